"""``--uok-diff-from``: a red run compared with yesterday's, ranked, gated, and replayable in a shell."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import UokRun, shell
from tests.helpers.artifacts import load_and_validate
from tests.plugin.gate_helpers import gate, verdict_of

RunUok = Callable[..., UokRun]

POLICY = """
[suite.e2e]
files = ["tests/e2e/"]

[suite.unit]
files = ["tests/unit/"]
"""

#: Yesterday: one known failure (test_div) and one the team fixes today (test_legacy).
CALC_BEFORE = """
def test_add():
    assert 1 + 1 == 2

def test_div():
    assert 1 / 1 == 2, "division is broken"

def test_legacy():
    assert "legacy" == "fixed"

def test_sub():
    assert 2 - 1 == 1
"""

#: Today: test_add breaks, test_legacy is fixed, test_div still fails.
CALC_AFTER = """
def test_add():
    assert 1 + 1 == 3, "addition broke"

def test_div():
    assert 1 / 1 == 2, "division is broken"

def test_legacy():
    assert "fixed" == "fixed"

def test_sub():
    assert 2 - 1 == 1
"""

FLOW = """
def test_checkout():
    pass
"""

#: Today also brings a new end-to-end test that fails.
FLOW_AFTER = (
    FLOW
    + """
def test_refund():
    raise RuntimeError("refunds are not wired")
"""
)


def project(pytester: pytest.Pytester, calc: str, flow: str) -> None:
    (pytester.path / "tests" / "unit").mkdir(parents=True, exist_ok=True)
    (pytester.path / "tests" / "e2e").mkdir(parents=True, exist_ok=True)
    (pytester.path / "tests" / "suite_classification.toml").write_text(POLICY, encoding="utf-8")
    (pytester.path / "tests" / "unit" / "test_calc.py").write_text(calc, encoding="utf-8")
    (pytester.path / "tests" / "e2e" / "test_flow.py").write_text(flow, encoding="utf-8")


def test_a_change_that_breaks_one_test_and_fixes_another_is_triaged_and_replayable(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    project(pytester, CALC_BEFORE, FLOW)
    base = run_uok("--uok-out", "baseline", out="baseline")
    assert base.ret == 1
    assert sorted(base.summary["failed_names"]) == [
        "tests/unit/test_calc.py::test_div",
        "tests/unit/test_calc.py::test_legacy",
    ]

    project(pytester, CALC_AFTER, FLOW_AFTER)
    run = run_uok("--uok-diff-from", "baseline", "--uok-blocking-suites", "unit")
    assert run.ret == 1
    triage = run.get("triage_diff.json")
    assert triage["status"] == "regression"
    assert triage["baseline"]["run_id"] == base.summary["run_id"]
    assert triage["baseline"]["path"] == "baseline/summary.json"
    s = triage["summary"]
    assert (s["regression_count"], s["fixed_count"], s["still_failing_count"]) == (1, 1, 1)
    assert (s["new_tests"], s["new_failure_count"], s["removed_tests"], s["compared"]) == (1, 1, 0, 5)
    assert triage["tests"]["fixed"] == ["tests/unit/test_calc.py::test_legacy"]
    ranked = [(d["rank"], d["severity"], d["kind"], d["nodeid"]) for d in triage["ranked_diagnostics"]]
    assert ranked == [
        (1, "SEV-1", "regression", "tests/unit/test_calc.py::test_add"),
        (2, "SEV-2", "new_failure", "tests/e2e/test_flow.py::test_refund"),
        (3, "SEV-3", "still_failing", "tests/unit/test_calc.py::test_div"),
    ]
    first = triage["ranked_diagnostics"][0]
    assert first["change"] == "passed -> failed"
    assert first["detail"] == "AssertionError: addition broke"
    assert first["suite"] == "unit"
    # summary.json carries the diff's summary; the reports and the terminal show it
    assert run.summary["triage_diff"] == s
    run.result.stdout.fnmatch_lines(
        [
            "*- pytest-uok triage -*",
            "regression against run *: 1 regressed, 1 new failing, 1 fixed, 1 still failing, 1 new, 0 removed tests",
            "SEV-1 regression tests/unit/test_calc.py::test_add: passed -> failed (AssertionError: addition broke)",
            "SEV-2 new_failure tests/e2e/test_flow.py::test_refund: absent -> failed (RuntimeError: *)",
            "SEV-3 still_failing tests/unit/test_calc.py::test_div: failed -> failed *",
            "reproduce: * tests/unit/test_calc.py::test_add tests/e2e/test_flow.py::test_refund",
            "triage file: .uok/triage_diff.json",
        ]
    )
    assert "SEV-1 regression: passed -> failed" in (run.out / "report.md").read_text(encoding="utf-8")
    assert [e["data"]["status"] for e in run.events if e["kind"] == "triage"] == ["regression"]

    # Each command replays exactly the new failures when pasted into a shell.
    commands = triage["recommended_commands"]
    runner = shell(commands["runner_repro_command"], pytester.path)
    assert runner.returncode == 1, runner.stdout + runner.stderr
    replayed = load_and_validate(pytester.path / ".uok" / "summary.json")
    assert {t["nodeid"]: t["outcome"] for t in replayed["tests"]} == {
        "tests/unit/test_calc.py::test_add": "failed",
        "tests/e2e/test_flow.py::test_refund": "failed",
    }
    assert commands["ranked_repro_commands"][0] == first["replay_command"]
    single = shell(first["replay_command"], pytester.path)
    assert single.returncode == 1, single.stdout + single.stderr
    assert "1 failed" in single.stdout
    assert "addition broke" in single.stdout


def test_the_regression_gate_fails_on_regressions_and_passes_known_failures(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    project(pytester, CALC_BEFORE, FLOW)
    run_uok("--uok-out", "baseline", out="baseline")
    same = run_uok("--uok-diff-from", "baseline/summary.json", "--uok-gate")
    assert same.get("triage_diff.json")["status"] == "known_failures_only"
    result = gate(verdict_of(same), "regression")
    assert (result["status"], result["blocking"]) == ("pass", True)
    assert (
        result["detail"]
        == f"known failures only: 2 tests failing as in run {same.summary['triage_diff']['baseline_run_id']}"
    )

    project(pytester, CALC_AFTER, FLOW)
    worse = run_uok("--uok-diff-from", "baseline", "--uok-gate")
    verdict = verdict_of(worse)
    result = gate(verdict, "regression")
    assert result["status"] == "fail"
    assert result["detail"].startswith("1 regression against run ")
    assert "1. SEV-1 regression tests/unit/test_calc.py::test_add (passed -> failed)" in result["detail"]
    assert result["reproduce_command"].endswith("tests/unit/test_calc.py::test_add")
    assert "regression" in verdict["failed_gates"]
    assert [b["subject"] for b in verdict["blockers"] if b["kind"] == "regression"] == [
        "tests/unit/test_calc.py::test_add"
    ]


def test_pytest_uok_gate_compares_with_a_baseline_it_is_given(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    project(pytester, CALC_BEFORE, FLOW)
    run_uok("--uok-out", "baseline", out="baseline")
    project(pytester, CALC_AFTER, FLOW)
    run_uok()
    proc = shell("pytest-uok gate .uok --only regression --baseline baseline", pytester.path)
    # the regression gate decides: its failure is exit code 6, whatever pytest's own code was
    assert proc.returncode == 6, proc.stdout + proc.stderr
    assert "FAIL             regression: 1 regression against run" in proc.stdout
    assert "reproduce: pytest tests/unit/test_calc.py::test_add" in proc.stdout
    # the comparison is recorded as a session would, and the reports show it
    triage = load_and_validate(pytester.path / ".uok" / "triage_diff.json")
    assert (triage["status"], triage["baseline"]["path"]) == ("regression", "baseline/summary.json")
    assert load_and_validate(pytester.path / ".uok" / "summary.json")["triage_diff"] == triage["summary"]
    assert "## Compared with the baseline" in (pytester.path / ".uok" / "report.md").read_text(
        encoding="utf-8"
    )
    bad = shell("pytest-uok gate .uok --baseline nowhere", pytester.path)
    assert bad.returncode == 4
    assert "pytest-uok gate: --baseline: nowhere does not exist." in bad.stderr


def test_without_a_baseline_the_regression_gate_skips(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    project(pytester, CALC_BEFORE, FLOW)
    result = gate(verdict_of(run_uok("--uok-gate")), "regression")
    assert result["status"] == "skip"
    assert result["detail"].startswith("no baseline to compare with")


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (None, "ERROR: pytest-uok: --uok-diff-from: base does not exist."),
        ("{", "ERROR: pytest-uok: --uok-diff-from: base/summary.json is not valid JSON: *"),
        (
            '{"schema": "uok.summary.v1", "run_id": 5}',
            "ERROR: pytest-uok: --uok-diff-from: base/summary.json is not a valid uok.summary.v1: "
            "field 'run_id': Input should be a valid string; *",
        ),
        (
            '{"schema": "uok.verdict.v1"}',
            "ERROR: pytest-uok: --uok-diff-from: base/summary.json has field 'schema' = 'uok.verdict.v1', "
            "but 'uok.summary.v1' is needed here.",
        ),
    ],
)
def test_a_bad_baseline_is_a_usage_error_naming_the_file_and_field(
    pytester: pytest.Pytester, write: str | None, message: str
) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    if write is not None:
        (pytester.path / "base").mkdir()
        (pytester.path / "base" / "summary.json").write_text(write, encoding="utf-8")
    result = pytester.runpytest("--uok-diff-from", "base")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_a_sharded_artifact_folder_asks_for_a_merge(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a(): pass\ndef test_b(): pass")
    pytester.runpytest("--uok-shard", "0/2")
    pytester.runpytest("--uok-shard", "1/2")
    (pytester.path / ".uok").rename(pytester.path / "base")
    result = pytester.runpytest("--uok-diff-from", "base")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: pytest-uok: --uok-diff-from: base holds the shards of a sharded run (shard-0-of-2, "
            "shard-1-of-2) but no summary.json of its own: merge them with pytest-uok merge base*"
        ]
    )


def test_diffing_without_artifacts_is_a_usage_error(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    run_uok("--uok-out", "base", out="base")
    result = pytester.runpytest("--uok-diff-from", "base", "--uok-no-artifacts")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-uok: --uok-diff-from writes triage_diff.json, so it cannot*"])
