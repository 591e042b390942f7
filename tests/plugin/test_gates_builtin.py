"""Each built-in gate in a real session: pass and fail (and warn), terminal lines, verdict.json, exit code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest

from tests.conftest import UokRun
from tests.helpers.artifacts import load_and_validate
from tests.plugin.gate_helpers import (
    GREEN,
    POLICY,
    RED,
    edit_summary,
    gate,
    gate_cli,
    statuses,
    verdict_of,
    write_policy,
)

RunUok = Callable[..., UokRun]

ALL_BUILTIN = [
    "evidence_bundle",
    "collection",
    "test_results",
    "suite_classification",
    "waiver_lifecycle",
    "flaky",
    "pass_rate",
    "regression",
    "duration_budget",
]


def test_a_green_classified_run_passes_every_gate(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == 0
    verdict = verdict_of(run)
    # regression has no baseline to compare with (see tests/plugin/test_triage.py)
    assert statuses(verdict) == {**dict.fromkeys(ALL_BUILTIN, "pass"), "regression": "skip"}
    assert (verdict["overall"], verdict["mode"], verdict["blockers"]) == ("pass", "strict", [])
    assert verdict["health"] == {"status": "healthy", "reasons": []}
    run.result.stdout.fnmatch_lines(
        [
            "*- pytest-uok gates -*",
            "PASS * evidence_bundle: * artifacts indexed and valid",
            "PASS * collection: every file collected",
            "PASS * test_results: 2 tests, none failed",
            "PASS * suite_classification: every test file is classified (suite_classification.toml)",
            "verdict: PASS in strict mode; health healthy",
        ]
    )
    kinds = [e["kind"] for e in run.events]
    assert kinds.count("gate") == len(ALL_BUILTIN)
    assert kinds[-1] == "verdict"
    assert all(g["attempts"] == 1 for g in verdict["gates"])


def test_gates_are_off_without_the_option(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    run = run_uok()
    assert run.ret == 0
    assert "verdict.json" not in run.artifacts
    assert run.summary["verdict"] is None


def test_ini_key_turns_gating_on(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    pytester.makeini("[pytest]\nuok_gate = true\n")
    run = run_uok()
    assert run.ret == 6  # no policy file
    assert gate(verdict_of(run), "suite_classification")["status"] == "fail"


def test_collection_gate_fails_on_an_uncollectable_file(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN, test_broken="import nonexistent_module_xyz\n")
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == pytest.ExitCode.INTERRUPTED  # pytest's own code stands
    verdict = verdict_of(run)
    assert gate(verdict, "collection")["status"] == "fail"
    assert {"kind": "collection_error", "gate": "collection"}.items() <= verdict["blockers"][0].items()
    run.result.stdout.fnmatch_lines(
        [
            "FAIL * collection: 1 collection error: test_broken.py",
            "* reproduce: pytest --collect-only -q test_broken.py",
        ]
    )


def test_test_results_gate_fails_on_a_failed_test_and_keeps_pytests_code(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_a=RED)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == 1
    verdict = verdict_of(run)
    result = gate(verdict, "test_results")
    assert result["status"] == "fail"
    assert result["blocking"] is True
    assert result["reproduce_command"] == run.summary["replay_bundle"]["one_command_replay"]
    assert {b["subject"] for b in verdict["blockers"] if b["kind"] == "failed_test"} == {
        "test_a.py::test_bad"
    }
    assert "test_results" in verdict["failed_gates"]
    run.result.stdout.fnmatch_lines(
        [
            "FAIL * test_results: 1 test failed: test_a.py::test_bad",
            "* reproduce: * --uok-rerun-from .uok/summary.json",
            "verdict: FAIL in strict mode (blocking: test_results, pass_rate); health healthy",
        ]
    )
    assert "exit code 6" not in run.result.stdout.str()


def test_suite_classification_fails_without_a_policy_file_and_says_how_to_make_one(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_a=GREEN)
    run = run_uok("--uok-gate")
    assert run.ret == 6
    verdict = verdict_of(run)
    result = gate(verdict, "suite_classification")
    assert result["status"] == "fail"
    assert "pytest-uok classify --write" in result["detail"]
    assert verdict["blockers"][0]["kind"] == "missing_policy"
    assert "create the policy file: pytest-uok classify --write" in verdict["operator_next_actions"]
    run.result.stdout.fnmatch_lines(
        [
            "FAIL * suite_classification: no policy file at *suite_classification.toml; "
            "create one with `pytest-uok classify --write`",
            "exit code 6: the tests passed, but a blocking gate failed",
        ]
    )


def test_suite_classification_fails_on_an_unclassified_file(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_a=GREEN, other_test="def test_x():\n    pass\n")
    pytester.makeini("[pytest]\npython_files = test_*.py *_test.py\n")
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == 6
    verdict = verdict_of(run)
    assert gate(verdict, "suite_classification")["status"] == "fail"
    assert [(b["kind"], b["subject"]) for b in verdict["blockers"]] == [("unclassified", "other_test.py")]
    run.result.stdout.fnmatch_lines(["FAIL * suite_classification: 1 unclassified file: other_test.py*"])


def test_pass_rate_fails_below_the_suite_minimum(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=RED)
    write_policy(pytester, POLICY + "\n[gates.pass_rate]\nmin_rate = 0.4\nsuites = {unit = 0.75}\n")
    run = run_uok("--uok-gate")
    assert run.ret == 1
    assert gate(verdict_of(run), "pass_rate")["status"] == "fail"
    run.result.stdout.fnmatch_lines(["FAIL * pass_rate: pass rate below minimum: unit 50.0% < 75.0%"])


def test_pass_rate_passes_at_or_above_the_minimum(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=RED)
    write_policy(
        pytester, POLICY + "\n[gates.pass_rate]\nmin_rate = 0.5\n[gates.test_results]\nenabled = false\n"
    )
    run = run_uok("--uok-gate")
    verdict = verdict_of(run)
    assert gate(verdict, "pass_rate")["status"] == "pass"
    assert gate(verdict, "test_results")["status"] == "skip"
    run.result.stdout.fnmatch_lines(
        ["SKIP * test_results: disabled*", "PASS * pass_rate: pass rate unit 50.0%"]
    )


SLOW = """
import time

def test_slow():
    time.sleep(0.3)

def test_quick():
    pass
"""


def test_duration_budget_fails_without_blocking_by_default(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_a=SLOW)
    write_policy(pytester, POLICY + "\n[gates.duration_budget]\ntest_s = {unit = 0.1}\n")
    run = run_uok("--uok-gate")
    assert run.ret == 0
    verdict = verdict_of(run)
    result = gate(verdict, "duration_budget")
    assert (result["status"], result["blocking"], verdict["overall"]) == ("fail", False, "pass")
    run.result.stdout.fnmatch_lines(
        ["FAIL * duration_budget (non-blocking): 1 budget exceeded: test_a.py::test_slow: took * s > 0.1 s"]
    )


def test_duration_budget_blocks_when_configured(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=SLOW)
    write_policy(
        pytester, POLICY + "\n[gates.duration_budget]\nblocking = true\ndefault_test_s = 0.1\ntest_s = {}\n"
    )
    run = run_uok("--uok-gate")
    assert run.ret == 6
    verdict = verdict_of(run)
    assert verdict["failed_gates"] == ["duration_budget"]
    assert verdict["blockers"][0]["kind"] == "duration_budget"


def test_duration_budget_passes_within_budget(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester, POLICY + "\n[gates.duration_budget]\ntotal_s = 600\nsuite_s = {unit = 300}\n")
    run = run_uok("--uok-gate")
    assert gate(verdict_of(run), "duration_budget")["status"] == "pass"
    run.result.stdout.fnmatch_lines(["PASS * duration_budget (non-blocking): 2 tests within budget"])


def test_evidence_bundle_indexes_every_artifact_with_its_sha256(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert gate(verdict_of(run), "evidence_bundle")["status"] == "pass"
    index = run.get("index.json")
    names = {a["name"]: a for a in index["artifacts"]}
    assert {
        "summary.json",
        "replay_bundle.json",
        "failure_digest.json",
        "environment.json",
        "events.jsonl",
        "verdict.json",
    } <= set(names)
    assert names["summary.json"]["schema"] == "uok.summary.v1"
    assert names["verdict.json"]["schema"] == "uok.verdict.v1"
    for name, entry in names.items():
        data = (run.out / name).read_bytes()[: entry["bytes"]]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert entry["valid"], entry


def test_evidence_bundle_fails_on_a_missing_required_artifact(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester, POLICY + '\n[gates.evidence_bundle]\nrequired = ["summary.json", "report.md"]\n')
    run = run_uok("--uok-gate")
    assert run.ret == 6
    verdict = verdict_of(run)
    assert [(b["kind"], b["subject"]) for b in verdict["blockers"]] == [("missing_artifact", "report.md")]
    assert verdict["health"]["status"] == "needs-repair"
    assert run.get("index.json")["missing"] == ["report.md"]
    run.result.stdout.fnmatch_lines(["FAIL * evidence_bundle: missing: report.md"])


def test_evidence_bundle_fails_on_an_invalid_artifact(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    (run.out / "environment.json").write_text('{"schema": "uok.environment.v1"}', encoding="utf-8")
    code, out, verdict = gate_cli(run.out, capsys=capsys)
    assert code == 6
    assert gate(verdict, "evidence_bundle")["status"] == "fail"
    assert verdict["blockers"][0]["kind"] == "invalid_artifact"
    assert "FAIL             evidence_bundle: invalid: environment.json" in out


# -- gates over facts of the policy concern, fed through the artifact folder --------------


def _audit(run_id: str, *states: str) -> str:
    entries = [
        {
            "kind": "waiver",
            "id": f"W{i}",
            "target": f"test_a.py::test_{i}",
            "owner": "qa",
            "issue": "I-1",
            "state": state,
            "reason": f"{state} entry",
            "created": "2026-01-01",
            "expires": "2026-01-20",
            "days_left": 3,
        }
        for i, state in enumerate(states)
    ]
    return json.dumps({"schema": "uok.waiver_audit.v1", "run_id": run_id, "entries": entries, "counts": {}})


@pytest.mark.parametrize(
    ("states", "status", "code", "line"),
    [
        ((), "pass", 0, "PASS * waiver_lifecycle: no waivers or quarantines"),
        (("valid", "valid"), "pass", 0, "PASS * waiver_lifecycle: 2 waiver or quarantine entries, all valid"),
        (("valid", "expiring"), "warn", 0, "WARN * waiver_lifecycle: 1 entry expiring or stale: waiver W1"),
        (
            ("expired", "invalid"),
            "fail",
            6,
            "FAIL * waiver_lifecycle: 2 entries expired or invalid: waiver W0, waiver W1",
        ),
    ],
)
def test_waiver_lifecycle_over_the_waiver_audit(
    pytester: pytest.Pytester,
    run_uok: RunUok,
    capsys: pytest.CaptureFixture[str],
    states: tuple[str, ...],
    status: str,
    code: int,
    line: str,
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok()
    if states:
        (run.out / "waiver_audit.json").write_text(_audit(run.summary["run_id"], *states), encoding="utf-8")
    got, out, verdict = gate_cli(run.out, capsys=capsys)
    assert got == code
    assert gate(verdict, "waiver_lifecycle")["status"] == status
    pytest.LineMatcher(out.splitlines()).fnmatch_lines([line])
    if status == "fail":
        assert {b["kind"] for b in verdict["blockers"]} == {"expired_waiver", "invalid_waiver"}


def _make_flaky(folder: object, nodeid: str) -> None:
    from pathlib import Path

    path = Path(str(folder)) / "summary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for test in data["tests"]:
        if test["nodeid"] == nodeid:
            test["outcome"] = "flaky"
            test["attempts"] = [
                {"outcome": "failed", "duration_s": 0.0, "phase": "call"},
                test["attempts"][0],
            ]
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("config", "status", "code"),
    [(None, "pass", 0), ("", "warn", 0), ('[gates.flaky]\naction = "fail"\n', "fail", 6)],
)
def test_flaky_gate_warns_or_fails_on_a_flaky_test_outside_quarantine(
    pytester: pytest.Pytester,
    run_uok: RunUok,
    capsys: pytest.CaptureFixture[str],
    config: str | None,
    status: str,
    code: int,
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester, POLICY + (config or ""))
    run = run_uok()
    if config is not None:
        _make_flaky(run.out, "test_a.py::test_two")
    got, out, verdict = gate_cli(run.out, capsys=capsys)
    assert got == code
    assert gate(verdict, "flaky")["status"] == status
    if status != "pass":
        assert f"{status.upper():<16} flaky: 1 flaky test not quarantined: test_a.py::test_two" in out


def test_a_quarantined_flaky_test_passes_the_flaky_gate(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok()
    _make_flaky(run.out, "test_a.py::test_two")
    audit = json.loads(_audit(run.summary["run_id"], "valid"))
    audit["entries"][0].update(kind="quarantine", target="test_a.py::test_two")
    (run.out / "waiver_audit.json").write_text(json.dumps(audit), encoding="utf-8")
    code, _out, verdict = gate_cli(run.out, capsys=capsys)
    assert code == 0
    assert (
        gate(verdict, "flaky")["detail"] == "no flaky test outside quarantine (1 flaky test, all quarantined)"
    )


def test_rollback_mode_demotes_a_blocking_failure(
    pytester: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UOK_GATE_MODE", "rollback")
    monkeypatch.setenv("UOK_GATE_ROLLBACK_REASON", "INC-42 classification rework")
    monkeypatch.setenv("UOK_GATE_ROLLBACK_EXPIRES", "2099-12-31")
    pytester.makepyfile(test_a=GREEN)
    run = run_uok("--uok-gate")  # no policy file: suite_classification fails
    assert run.ret == 0
    verdict = verdict_of(run)
    assert (verdict["overall"], verdict["mode"]) == ("pass", "rollback")
    assert verdict["rollback"]["reason"] == "INC-42 classification rework"
    result = gate(verdict, "suite_classification")
    assert (result["status"], result["demoted"]) == ("warn", True)
    run.result.stdout.fnmatch_lines(
        ["mode: rollback until 2099-12-31T23:59:59+00:00*", "verdict: PASS in rollback mode*"]
    )


def test_an_expired_rollback_is_ignored_and_says_so(
    pytester: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UOK_GATE_MODE", "rollback")
    monkeypatch.setenv("UOK_GATE_ROLLBACK_REASON", "old")
    monkeypatch.setenv("UOK_GATE_ROLLBACK_EXPIRES", "2001-01-01")
    pytester.makepyfile(test_a=GREEN)
    run = run_uok("--uok-gate")
    assert run.ret == 6
    verdict = verdict_of(run)
    assert verdict["mode"] == "strict"
    assert "expired" in verdict["rollback"]["note"]
    run.result.stdout.fnmatch_lines(["mode: rollback ignored: it expired on 2001-01-01*"])


def test_edit_summary_helper_keeps_the_summary_valid(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    run = run_uok()
    edit_summary(run.out, exit_status=0)
    assert json.loads((run.out / "summary.json").read_text())["exit_status"] == 0


MIXED = """
import pathlib


def test_flaky():
    marker = pathlib.Path(__file__).with_name("ran-once")
    if not marker.exists():
        marker.write_text("x")
        assert False, "the first attempt fails"


def test_bad():
    assert 1 == 2


def test_ok():
    pass
"""

#: Counts the times a gate reads summary.json back into its model, for the session's end.
COUNT_SUMMARY_READS = """
import json
import pathlib

import pytest_uok.core.gates.facts as facts

READS = []
_read = facts.parse_artifact


def _counted(path, raw, model):
    READS.append(path.name)
    return _read(path, raw, model)


facts.parse_artifact = _counted


def pytest_unconfigure(config):
    pathlib.Path(config.rootpath, "reads.json").write_text(json.dumps(READS))
"""


def test_session_gates_decide_on_the_summary_in_memory_as_the_cli_does_on_the_file(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makeconftest(COUNT_SUMMARY_READS)
    pytester.makepyfile(test_a=MIXED)
    write_policy(pytester)
    run = run_uok("--uok-gate", "--uok-reruns", "1", subprocess=True)
    assert run.ret == 1
    # The session wrote summary.json and gated on what it holds in memory: no read back.
    assert json.loads((pytester.path / "reads.json").read_text()) == []
    session = {g["id"]: g for g in verdict_of(run)["gates"]}
    assert session["flaky"]["status"] == "warn"
    assert session["test_results"]["detail"] == "1 test failed: test_a.py::test_bad"
    assert session["evidence_bundle"]["status"] == "pass"
    code, _, verdict = gate_cli(run.out, capsys=capsys)
    assert code == 1  # the run's own exit code: a test failed
    cli = {g["id"]: g for g in verdict["gates"]}
    # The folder now also holds verdict.json and index.json: the evidence count differs.
    assert cli.pop("evidence_bundle")["status"] == session.pop("evidence_bundle")["status"]
    assert {k: (g["status"], g["detail"]) for k, g in cli.items()} == {
        k: (g["status"], g["detail"]) for k, g in session.items()
    }


def test_a_summary_changed_after_its_writing_is_validated_from_the_file(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        COUNT_SUMMARY_READS
        + """

def pytest_uok_gates(config):
    # Between the summary's writing and the gates: the file no longer holds what was written.
    path = pathlib.Path(config.rootpath, ".uok", "summary.json")
    path.write_text(path.read_text().replace('"complete": true', '"complete": [true]'))
    return []
"""
    )
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    # Not run_uok: the summary it would validate is broken on purpose.
    result = pytester.runpytest_subprocess("--uok-gate")
    assert result.ret == 6
    verdict = load_and_validate(pytester.path / ".uok" / "verdict.json")
    evidence = gate(verdict, "evidence_bundle")
    assert evidence["status"] == "fail"
    assert "summary.json" in evidence["detail"]
