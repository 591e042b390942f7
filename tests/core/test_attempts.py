"""How each report of each attempt counts: reruns, protection, flaky and attempt-to-fix."""

from __future__ import annotations

import copy
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.attempts import (
    FLAKY,
    RERUN,
    UNCHANGED,
    AttemptState,
    Verdict,
    decide,
    leaves_passing_reports,
    new_test_attempts,
)
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


# -- early flake detection ---------------------------------------------------------------------


def test_new_tests_get_more_attempts_when_fast() -> None:
    assert [new_test_attempts(s, 9) for s in (0.01, 5.0, 5.1, 30.0, 31.0)] == [10, 10, 3, 3, 1]
    assert new_test_attempts(10.0, 1) == 2


def test_an_explored_first_attempt_is_not_final_once_its_duration_is_known() -> None:
    state = AttemptState(explore=9, total=10, fallback_total=1, retry_on_failure=True)
    assert decide(state, "setup", "passed", False, None, None, duration=0.5) is UNCHANGED
    assert decide(state, "call", "passed", False, None, None, duration=0.25) == Verdict(category="")
    assert (state.total, state.elapsed_s, state.final_if_passed) == (10, 0.75, False)


def test_a_slow_new_test_falls_back_to_the_reruns() -> None:
    state = AttemptState(explore=9, total=10, fallback_total=3, retry_on_failure=True)
    assert decide(state, "call", "failed", False, None, None, duration=45.0) == Verdict(RERUN, "failed", "")
    assert (state.explore, state.total, state.retry_on_failure) == (0, 3, True)
    once = AttemptState(explore=9, total=10, fallback_total=1)
    assert decide(once, "call", "passed", False, None, None, duration=45.0) is UNCHANGED  # counted now


def test_a_failure_after_a_pass_proves_a_new_test_flaky() -> None:
    state = AttemptState(number=3, explore=9, total=10, passed_before=2, retry_on_failure=True)
    assert decide(state, "call", "failed", False, None, None) == Verdict(FLAKY, "failed", "flaky")
    # ... and its teardown failing too is not counted again
    assert decide(state, "teardown", "failed", False, None, None) == Verdict(FLAKY, "failed", "")


def test_an_explored_teardown_failure_is_a_failed_attempt() -> None:
    state = AttemptState(number=2, explore=9, total=10, retry_on_failure=True)
    assert decide(state, "teardown", "failed", False, None, None) == Verdict(RERUN, "failed", "")
    assert state.failed


def test_an_expected_failure_is_not_explored() -> None:
    state = AttemptState(explore=9, total=10, retry_on_failure=True)
    assert decide(state, "call", "passed", True, None, None) is UNCHANGED  # xpassed, counted once
    assert state.skipped


STATES = st.builds(
    AttemptState,
    number=st.integers(1, 4),
    retry_on_failure=st.booleans(),
    final_if_passed=st.booleans(),
    fixing=st.booleans(),
    failed_before=st.integers(0, 3),
    failed=st.booleans(),
    skipped=st.booleans(),
    counted_protected=st.booleans(),
    explore=st.integers(0, 3),
    passed_before=st.integers(0, 3),
    total=st.integers(1, 5),
    fallback_total=st.integers(1, 5),
    elapsed_s=st.floats(0, 60),
    counted_flaky=st.booleans(),
)


@given(
    state=STATES,
    when=st.sampled_from(["setup", "call", "teardown"]),
    wasxfail=st.booleans(),
    quarantine=st.sampled_from([None, VALID, EXPIRED]),
    waiver=st.sampled_from([None, WAIVER]),
    duration=st.floats(0, 60),
)
def test_the_passing_fast_path_is_exactly_where_decide_changes_nothing(
    state: AttemptState,
    when: str,
    wasxfail: bool,
    quarantine: Cover | None,
    waiver: Cover | None,
    duration: float,
) -> None:
    before = copy.copy(state)
    verdict = decide(state, when, "passed", wasxfail, quarantine, waiver, duration)
    if leaves_passing_reports(before):
        assert verdict is UNCHANGED
        assert state == before
    elif when == "call" and not wasxfail and not before.explore:
        # outside the fast path a passing call of a plain attempt always means something
        assert verdict is not UNCHANGED
