"""The triage diff: groups, status, ranking and commands, with properties over random runs."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.models import TriageDiff
from pytest_uok.core.models.triage import Thresholds
from pytest_uok.core.outcomes import ALL_OUTCOMES, FAILING_OUTCOMES
from pytest_uok.core.triage import DiffInputs, Observation, Snapshot, diff, headline, transition
from tests.helpers.artifacts import validate_document
from tests.helpers.runs import TRIAGE


def command(nodeids: Sequence[str]) -> str:
    return shlex.join(["pytest", *nodeids])


def snap(run_id: str, tests: dict[str, str | tuple[str, float]], **kw: object) -> Snapshot:
    facts = {}
    for nodeid, value in tests.items():
        outcome, seconds = value if isinstance(value, tuple) else (value, 0.01)
        facts[nodeid] = Observation(outcome, seconds, "e2e" if "e2e" in nodeid else "unit")
    return Snapshot(run_id, facts, **kw)  # type: ignore[arg-type]


def test_a_change_that_breaks_one_test_and_fixes_another_is_a_regression() -> None:
    base = snap("base", {"t.py::a": "passed", "t.py::b": "failed", "t.py::c": "failed", "t.py::d": "passed"})
    now = snap("now", {"t.py::a": "failed", "t.py::b": "passed", "t.py::c": "failed", "t.py::d": "passed"})
    triage = diff(base, now, DiffInputs(command=command, details={"t.py::a": "AssertionError: 1 == 2"}))
    assert triage.status == "regression"
    assert triage.tests.regressed == ["t.py::a"]
    assert triage.tests.fixed == ["t.py::b"]
    assert triage.tests.still_failing == ["t.py::c"]
    s = triage.summary
    assert (s.regression_count, s.fixed_count, s.still_failing_count, s.unchanged_count) == (1, 1, 1, 1)
    first, second = triage.ranked_diagnostics
    assert (first.severity, first.kind, first.nodeid, first.change) == (
        "SEV-1",
        "regression",
        "t.py::a",
        "passed -> failed",
    )
    assert first.detail == "AssertionError: 1 == 2"
    assert first.replay_command == "pytest t.py::a"
    assert (second.severity, second.kind) == ("SEV-3", "still_failing")
    assert triage.recommended_commands.runner_repro_command == "pytest t.py::a"
    assert triage.recommended_commands.ranked_repro_commands == ["pytest t.py::a", "pytest t.py::c"]
    assert headline(triage).startswith("regression against run base: 1 regressed")


def test_known_failures_only_improved_and_stable() -> None:
    base = snap("b", {"t.py::a": "failed", "t.py::b": "failed"})
    assert diff(base, snap("n", {"t.py::a": "failed", "t.py::b": "passed"})).status == "known_failures_only"
    assert diff(base, snap("n", {"t.py::a": "passed", "t.py::b": "passed"})).status == "improved"
    green = snap("g", {"t.py::a": "passed"})
    assert diff(green, green).status == "stable"


def test_known_failures_only_replays_the_known_failures() -> None:
    base = snap("b", {"t.py::a": "failed"})
    triage = diff(base, snap("n", {"t.py::a": "error"}), DiffInputs(command=command))
    assert triage.status == "known_failures_only"
    assert triage.recommended_commands.runner_repro_command == "pytest t.py::a"


def test_severity_follows_blocking_suites_and_ranks_new_tests_and_drift() -> None:
    base = snap(
        "b",
        {
            "unit/t.py::ok": ("passed", 0.1),
            "e2e/t.py::flow": "passed",
            "unit/t.py::gone": "passed",
            "unit/t.py::steady": "passed",
            "unit/t.py::slow": ("passed", 0.2),
        },
    )
    now = snap(
        "n",
        {
            "unit/t.py::ok": ("failed", 0.1),
            "e2e/t.py::flow": "failed",
            "unit/t.py::brand_new": "failed",
            "unit/t.py::new_flaky": "flaky",
            "unit/t.py::steady": "flaky",
            "unit/t.py::slow": ("passed", 1.5),
        },
    )
    triage = diff(base, now, DiffInputs(command=command, blocking_suites=frozenset({"unit"})))
    ranked = [(d.severity, d.kind, d.nodeid or d.suite) for d in triage.ranked_diagnostics]
    assert ranked == [
        ("SEV-1", "regression", "unit/t.py::ok"),
        ("SEV-1", "new_failure", "unit/t.py::brand_new"),
        ("SEV-2", "regression", "e2e/t.py::flow"),
        ("SEV-2", "flaky_new", "unit/t.py::new_flaky"),
        ("SEV-2", "newly_flaky", "unit/t.py::steady"),
        ("SEV-3", "slower", "unit/t.py::slow"),
        ("SEV-3", "removed", "unit/t.py::gone"),
    ]
    assert [d.rank for d in triage.ranked_diagnostics] == list(range(1, 8))
    s = triage.summary
    assert (s.new_tests, s.removed_tests, s.newly_flaky, s.flaky_new, s.duration_regressions) == (
        2,
        1,
        1,
        1,
        1,
    )
    # the runner replays what this change may have broken, in rank order; removed tests cannot run
    assert triage.recommended_commands.runner_repro_command == command(
        [
            "unit/t.py::ok",
            "unit/t.py::brand_new",
            "e2e/t.py::flow",
            "unit/t.py::new_flaky",
            "unit/t.py::steady",
        ]
    )
    assert triage.ranked_diagnostics[-1].replay_command is None


def test_slower_needs_both_the_factor_and_the_floor() -> None:
    limits = Thresholds(factor=2.0, test_floor_s=0.5, suite_floor_s=1.0)
    base = snap(
        "b", {"t.py::tiny": ("passed", 0.01), "t.py::big": ("passed", 1.0), "t.py::mid": ("passed", 1.0)}
    )
    now = snap(
        "n", {"t.py::tiny": ("passed", 0.4), "t.py::big": ("passed", 1.9), "t.py::mid": ("passed", 2.6)}
    )
    triage = diff(base, now, DiffInputs(thresholds=limits))
    # tiny: 40x slower but only 0.39 s more; big: 0.9 s more but under 2x; mid: both
    assert [(d.kind, d.name) for d in triage.duration_regressions] == [
        ("test", "t.py::mid"),
        ("suite", "unit"),
    ]
    assert triage.duration_regressions[0].factor == 2.6
    assert triage.status == "stable"


def test_a_partial_run_does_not_call_unselected_tests_removed() -> None:
    base = snap("b", {"t.py::a": "passed", "t.py::b": "passed"})
    triage = diff(base, snap("n", {"t.py::a": "passed"}, partial=True))
    assert (triage.scope, triage.summary.removed_tests, triage.summary.not_run) == ("partial", 0, 1)


def test_new_collection_errors_are_sev1_regressions() -> None:
    base = snap("b", {"t.py::a": "passed"})
    now = snap("n", {"t.py::a": "passed"}, collection_errors=frozenset({"broken.py"}))
    triage = diff(base, now, DiffInputs(command=command))
    assert triage.status == "regression"
    (first,) = triage.ranked_diagnostics
    assert (first.severity, first.kind, first.replay_command) == (
        "SEV-1",
        "collection_error",
        "pytest broken.py",
    )
    again = diff(now, now)
    assert again.status == "known_failures_only"


def test_protected_failures_are_known_not_regressions() -> None:
    assert transition("passed", "quarantined") == "unchanged"
    assert transition("quarantined", "failed") == "still_failing"
    assert transition("failed", "waived") == "still_failing"
    assert transition("passed", "skipped") == "unchanged"
    assert transition("skipped", "error") == "regressed"


def test_the_sample_triage_of_the_report_tests_is_a_valid_triage_diff() -> None:
    TriageDiff.model_validate(TRIAGE)
    validate_document(TRIAGE, "tests/helpers/runs.py TRIAGE")


def test_a_written_diff_validates_against_the_shipped_schema() -> None:
    base = snap("b", {"t.py::a": "passed", "t.py::b": ("passed", 0.1)})
    now = snap("n", {"t.py::a": "failed", "t.py::c": "flaky", "t.py::b": ("passed", 3.0)})
    triage = diff(base, now, DiffInputs(command=command))
    validate_document(triage.model_dump(mode="json", by_alias=True), "diff")


# -- properties ------------------------------------------------------------------------------

nodeids = st.sampled_from(
    [f"tests/{s}/test_{f}.py::test_{t}" for s in ("unit", "e2e") for f in "ab" for t in "xyz"]
)
facts = st.builds(
    Observation,
    st.sampled_from(ALL_OUTCOMES),
    st.one_of(st.none(), st.floats(min_value=0, max_value=20, allow_nan=False)),
    st.sampled_from([None, "unit", "e2e"]),
)
runs = st.builds(
    lambda tests, errors, partial: Snapshot("run", tests, frozenset(errors), partial),
    st.dictionaries(nodeids, facts, max_size=12),
    st.sets(st.sampled_from(["tests/unit/test_c.py", "tests/e2e/test_d.py"]), max_size=2),
    st.booleans(),
)


@given(runs)
def test_a_run_diffed_with_itself_is_stable(run: Snapshot) -> None:
    triage = diff(run, run, DiffInputs(command=command))
    failing = any(t.outcome in FAILING_OUTCOMES for t in run.tests.values()) or run.collection_errors
    # Nothing changed: stable, or "known failures only" when the run itself has failures.
    assert triage.status == ("known_failures_only" if failing else "stable")
    s = triage.summary
    assert s.regression_count == s.fixed_count == s.new_tests == s.removed_tests == s.not_run == 0
    assert s.newly_flaky == s.flaky_new == s.duration_regressions == s.suite_duration_regressions == 0
    assert {d.severity for d in triage.ranked_diagnostics} <= {"SEV-3"}
    assert s.compared == len(run.tests)


@given(runs, runs)
def test_swapping_baseline_and_candidate_swaps_fixed_and_regressions(a: Snapshot, b: Snapshot) -> None:
    forward = diff(a, b)
    backward = diff(b, a)
    assert forward.tests.regressed == backward.tests.fixed
    assert forward.tests.fixed == backward.tests.regressed
    assert forward.tests.still_failing == backward.tests.still_failing
    assert forward.summary.compared == backward.summary.compared
    if not a.partial and not b.partial:
        assert forward.tests.new == backward.tests.removed
        assert forward.tests.removed == backward.tests.new


@given(runs, runs)
def test_counts_always_add_up(a: Snapshot, b: Snapshot) -> None:
    triage = diff(a, b, DiffInputs(command=command))
    s = triage.summary
    assert s.compared + s.new_tests == len(b.tests)
    assert s.compared + s.removed_tests + s.not_run == len(a.tests)
    assert (
        s.regression_count + s.fixed_count + s.still_failing_count + s.newly_flaky + s.unchanged_count
        == s.compared
    )
    assert s.new_failure_count + s.flaky_new <= s.new_tests
    failing_now = sum(1 for t in b.tests.values() if t.outcome in FAILING_OUTCOMES)
    still_failing_now = sum(1 for n in triage.tests.still_failing if b.tests[n].outcome in FAILING_OUTCOMES)
    assert s.regression_count + s.new_failure_count + still_failing_now == failing_now
    assert (s.status == "regression") == bool(
        s.regression_count + s.new_failure_count + s.new_collection_errors
    )
    severities = [d.severity for d in triage.ranked_diagnostics]
    assert severities == sorted(severities)
    assert [d.rank for d in triage.ranked_diagnostics] == list(range(1, len(severities) + 1))
    runner = triage.recommended_commands.runner_repro_command
    problems = triage.tests.regressed + triage.tests.new_failures
    assert (runner is not None) >= bool(problems)
    for nodeid in problems:
        assert runner is not None
        assert shlex.quote(nodeid) in runner
