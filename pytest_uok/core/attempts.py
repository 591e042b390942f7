"""How one phase report of one attempt counts: rerun, quarantined, waived, flaky or as pytest says.

The adapter asks ``decide`` once per report; the answer changes the report's outcome only
where a failure must not fail the session (a rerun is coming, or an entry protects the test)
and says under which terminal category the report is counted, so that a test is counted once
however many attempts it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_uok.core.quarantine import Cover

#: The outcome a protected failure gets, by the kind of entry that protects it.
PROTECTED_OUTCOME = {"quarantine": "quarantined", "waiver": "waived"}

#: A retried failure's report outcome: neither passed nor failed for pytest and other plugins.
RERUN = "rerun"
#: The report outcome of a failure that proves a test flaky (it passed an earlier attempt).
FLAKY = "flaky"

#: Early flake detection: a new test's first attempt up to this many seconds gets every retry,
#: up to the second bound at most SLOW_RETRIES; a slower one none (retries would cost too much).
FAST_S = 5.0
SLOW_S = 30.0
SLOW_RETRIES = 2


def new_test_attempts(first_attempt_s: float, retries: int) -> int:
    """How many attempts a new test gets, from how long its first one took."""
    if first_attempt_s <= FAST_S:
        return 1 + retries
    if first_attempt_s <= SLOW_S:
        return 1 + min(retries, SLOW_RETRIES)
    return 1


@dataclass
class AttemptState:
    """One attempt of one test, kept on the item while its phases run."""

    number: int = 1
    #: A setup or call failure in this attempt leads to another attempt.
    retry_on_failure: bool = False
    #: A passing call ends the attempts (False for the early runs of --uok-attempt-to-fix).
    final_if_passed: bool = True
    #: Running a quarantined test repeatedly to see whether it can be released.
    fixing: bool = False
    failed_before: int = 0
    failed: bool = False
    skipped: bool = False
    counted_protected: bool = False
    #: Early flake detection: at most this many retries of a new test, whatever its outcome
    #: (0: not exploring). The first attempt decides the real number once its duration is known.
    explore: int = 0
    passed_before: int = 0
    #: Attempts the test gets; set by the first attempt of an explored test.
    total: int = 1
    #: Attempts when a new test is too slow to explore: those of --uok-reruns.
    fallback_total: int = 1
    elapsed_s: float = 0.0
    counted_flaky: bool = False


@dataclass(frozen=True)
class Verdict:
    """What to do with a report: its new outcome, its record outcome and its terminal category.

    ``None`` everywhere means "leave the report as pytest made it".
    """

    outcome: str | None = None
    record_outcome: str | None = None
    category: str | None = None
    released: bool = False


UNCHANGED = Verdict()


def _plan_new_test(state: AttemptState) -> None:
    """The first attempt of an explored test is over: decide how many attempts it gets."""
    state.total = new_test_attempts(state.elapsed_s, state.explore)
    if state.total > 1:
        state.retry_on_failure = True
        state.final_if_passed = False
        return
    # Too slow to explore: it is an ordinary test now, with --uok-reruns' attempts if any.
    state.explore = 0
    state.total = state.fallback_total
    state.retry_on_failure = state.total > 1
    state.final_if_passed = True


def decide(
    state: AttemptState,
    when: str,
    outcome: str,
    wasxfail: bool,
    quarantine: Cover | None,
    waiver: Cover | None,
    duration: float = 0.0,
) -> Verdict:
    """Decide one report's fate; updates ``state`` (failed / skipped) as a side effect."""
    if state.explore:
        if state.number == 1 and when in ("setup", "call"):
            state.elapsed_s += duration
            if when == "call" or outcome != "passed":
                _plan_new_test(state)
        if wasxfail:
            state.skipped = True  # an expected failure is not explored: once is enough
    if outcome == "failed" and not wasxfail:
        # An explored attempt fails whatever phase fails, teardown included.
        if when in ("setup", "call") or (state.explore and when == "teardown"):
            state.failed = True
        if state.failed and state.explore and state.passed_before:
            # It passed an earlier attempt: flaky, proven; no further attempt is needed.
            category = "" if state.counted_flaky else "flaky"
            state.counted_flaky = True
            return Verdict(outcome=FLAKY, record_outcome="failed", category=category)
        if state.failed and state.retry_on_failure:
            return Verdict(outcome=RERUN, record_outcome="failed", category="")
        cover = quarantine if quarantine is not None and quarantine.protects else None
        if cover is None and waiver is not None and waiver.protects:
            cover = waiver
        if cover is None:
            return UNCHANGED
        protected = PROTECTED_OUTCOME[cover.kind]
        category = "" if state.counted_protected else protected
        state.counted_protected = True
        return Verdict(outcome=protected, record_outcome=protected, category=category)
    if outcome == "skipped" and when in ("setup", "call"):
        state.skipped = True
        return UNCHANGED
    if outcome == "passed" and when == "call" and not wasxfail:
        if not state.final_if_passed:
            return Verdict(category="")
        if state.fixing:
            return Verdict(released=True)
        if state.failed_before:
            return Verdict(category="flaky")
    return UNCHANGED


def leaves_passing_reports(state: AttemptState) -> bool:
    """Whether ``decide`` leaves every passing report of this attempt as pytest made it.

    Then it also leaves ``state`` as it is, whatever protects the test. The adapter asks this
    before ``decide``: with reruns on every phase of every test reaches it, and most are the
    passing phases of an attempt that nothing explores, fixes or counts as a retry.
    """
    return not state.explore and state.final_if_passed and not state.fixing and not state.failed_before
