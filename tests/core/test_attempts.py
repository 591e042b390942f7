"""How each report of each attempt counts: reruns, protection, flaky and attempt-to-fix."""

from __future__ import annotations

from datetime import date

from pytest_uok.core.attempts import RERUN, UNCHANGED, AttemptState, Verdict, decide
from pytest_uok.core.quarantine import Cover

VALID = Cover("quarantine", "t", "valid", date(2030, 1, 1), "FLAKE-NET")
EXPIRED = Cover("quarantine", "t", "expired", date(2020, 1, 1), "FLAKE-NET")
WAIVER = Cover("waiver", "W-1", "expiring", date(2030, 1, 1))


def test_a_failure_with_attempts_left_is_a_rerun() -> None:
    state = AttemptState(retry_on_failure=True)
    assert decide(state, "call", "failed", False, None, None) == Verdict(RERUN, "failed", "")
    assert state.failed
    # The teardown of a retried attempt is not counted either.
    assert decide(state, "teardown", "failed", False, None, None) == Verdict(RERUN, "failed", "")


def test_the_last_failure_is_protected_or_not() -> None:
    assert decide(AttemptState(), "call", "failed", False, None, None) is UNCHANGED
    assert decide(AttemptState(), "call", "failed", False, EXPIRED, None) is UNCHANGED
    assert decide(AttemptState(), "setup", "failed", False, VALID, None) == Verdict(
        "quarantined", "quarantined", "quarantined"
    )
    assert decide(AttemptState(), "call", "failed", False, EXPIRED, WAIVER).outcome == "waived"


def test_a_protected_test_is_counted_once_per_attempt() -> None:
    state = AttemptState()
    assert decide(state, "call", "failed", False, VALID, None).category == "quarantined"
    assert decide(state, "teardown", "failed", False, VALID, None).category == ""


def test_a_pass_after_failures_is_flaky() -> None:
    assert (
        decide(AttemptState(number=3, failed_before=2), "call", "passed", False, None, None).category
        == "flaky"
    )
    assert decide(AttemptState(), "call", "passed", False, None, None) is UNCHANGED
    assert decide(AttemptState(failed_before=1), "setup", "passed", False, None, None) is UNCHANGED


def test_attempt_to_fix_counts_only_the_last_pass() -> None:
    early = AttemptState(final_if_passed=False, fixing=True)
    assert decide(early, "call", "passed", False, VALID, None) == Verdict(category="")
    last = AttemptState(number=3, fixing=True)
    assert decide(last, "call", "passed", False, VALID, None).released


def test_xfail_and_skips_are_left_alone() -> None:
    state = AttemptState(retry_on_failure=True)
    assert decide(state, "call", "failed", True, VALID, None) is UNCHANGED
    assert decide(state, "call", "skipped", False, None, None) is UNCHANGED
    assert state.skipped
    assert not state.failed
