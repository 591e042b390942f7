"""How one phase report of one attempt counts: rerun, quarantined, waived, flaky or as pytest says.

The adapter asks ``decide`` once per report; the answer changes the report's outcome only
where a failure must not fail the session (a rerun is coming, or an entry protects the test)
and says under which terminal category the report is counted, so that a test is counted once
however many attempts it took.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_uok.core.quarantine import Cover

#: The outcome a protected failure gets, by the kind of entry that protects it.
PROTECTED_OUTCOME = {"quarantine": "quarantined", "waiver": "waived"}

#: A retried failure's report outcome: neither passed nor failed for pytest and other plugins.
RERUN = "rerun"


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


def decide(
    state: AttemptState,
    when: str,
    outcome: str,
    wasxfail: bool,
    quarantine: Cover | None,
    waiver: Cover | None,
) -> Verdict:
    """Decide one report's fate; updates ``state`` (failed / skipped) as a side effect."""
    if outcome == "failed" and not wasxfail:
        if when in ("setup", "call"):
            state.failed = True
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
