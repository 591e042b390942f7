"""How one report counts: pytest's terminal categories and the outcome of a test's phases."""

from __future__ import annotations

from typing import Literal, get_args

#: Outcomes that make a test "failed" for replay and gating purposes.
FAILING_OUTCOMES = frozenset({"failed", "error"})
#: Failures that a quarantine or waiver kept from failing the session.
PROTECTED_OUTCOMES = frozenset({"quarantined", "waived"})

#: Every outcome a test record can end with, in the order artifacts and reports list them.
Outcome = Literal[
    "passed",
    "failed",
    "error",
    "skipped",
    "xfailed",
    "xpassed",
    "quarantined",
    "waived",
    "flaky",
]
ALL_OUTCOMES: tuple[str, ...] = get_args(Outcome)


def report_category(
    when: str,
    outcome: str,
    wasxfail: bool,
    is_subtest: bool,
    failed_subtests: int,
    count_passed_subtests: bool,
) -> str:
    """The key pytest's terminal reporter files this report under; "" when it is not counted.

    Mirrors the ``pytest_report_teststatus`` implementations of pytest's runner, skipping,
    subtests and terminal modules, so the summary agrees with pytest's closing line.
    """
    if is_subtest:
        if wasxfail:
            return "xfailed" if (outcome == "skipped" and count_passed_subtests) else ""
        if outcome == "failed":
            return "failed"
        if outcome == "passed":
            return "subtests passed" if count_passed_subtests else ""
        return "skipped" if count_passed_subtests else ""
    if wasxfail:
        if outcome == "skipped":
            return "xfailed"
        if outcome == "passed":
            return "xpassed"
    if when in ("setup", "teardown", "collect"):
        if outcome == "failed":
            return "error"
        if outcome == "skipped":
            return "skipped"
        return ""
    if outcome == "passed" and failed_subtests:
        return "failed"
    return outcome


def phase_outcome(when: str, outcome: str, wasxfail: bool) -> str:
    """The test outcome one phase's report stands for, before phases are combined."""
    if wasxfail:
        return "xfailed" if outcome == "skipped" else "xpassed"
    if when in ("setup", "teardown") and outcome == "failed":
        return "error"
    return outcome


def combine(current: str | None, when: str, new: str) -> str:
    """The outcome of a test after a further phase: the first failure decides, teardown can spoil.

    A passed call followed by a failing teardown is an error (pytest prints "1 passed, 1 error";
    the one record says error). A failed call stays failed whatever teardown does.
    """
    if current is None:
        return new
    if when == "teardown":
        if new in ("error", "quarantined", "waived") and current in (
            "passed",
            "xpassed",
            "skipped",
            "xfailed",
        ):
            return new
        return current
    if current in ("error", "failed") and when == "call":
        return current
    return new
