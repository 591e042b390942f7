"""``pytest-uok gate DIR`` over written artifacts, its self-test, and gating under xdist."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_uok import cli
from pytest_uok.commands import gate as gate_command
from pytest_uok.core.models.verdict import Verdict
from tests.conftest import UokRun
from tests.plugin.gate_helpers import GREEN, RED, gate, gate_cli, statuses, verdict_of, write_policy

RunUok = Callable[..., UokRun]


@pytest.mark.parametrize(
    ("project", "with_policy", "code"), [(RED, True, 1), (GREEN, False, 6), (GREEN, True, 0)]
)
def test_gating_written_artifacts_gives_the_sessions_verdict_and_exit_code(
    pytester: pytest.Pytester,
    run_uok: RunUok,
    capsys: pytest.CaptureFixture[str],
    project: str,
    with_policy: bool,
    code: int,
) -> None:
    pytester.makepyfile(test_a=project)
    if with_policy:
        write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == code
    session = Verdict.model_validate(verdict_of(run))
    folder = pytester.path / "copy"
    shutil.copytree(run.out, folder)
    got, out, verdict = gate_cli(folder, capsys=capsys)
    assert got == code
    assert verdict["source"] == "artifacts"
    assert gate_command.golden_of(Verdict.model_validate(verdict)) == gate_command.golden_of(session)
    assert out.splitlines()[0].startswith("PASS             evidence_bundle")
    assert json.loads((folder / "summary.json").read_text())["verdict"]["overall"] == verdict["overall"]
    if code == 6:
        assert "exit code 6: the tests passed, but a blocking gate failed" in out


def test_only_evaluates_the_named_gates(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_a=RED)
    run = run_uok()
    code, out, verdict = gate_cli(run.out, "--only", "collection", "--only", "flaky", capsys=capsys)
    assert statuses(verdict) == {"collection": "pass", "flaky": "pass"}
    assert "PASS             test_results" not in out
    # test_results is not among them: the failed test is not theirs to report
    assert code == 0
    assert "exit code 0: the tests failed (pytest exit code 1), but --only leaves out test_results" in out


@pytest.mark.parametrize(
    ("only", "code"),
    [
        (["test_results"], 1),
        (["flaky", "test_results"], 1),
        (["collection"], 0),
        (["suite_classification"], 6),
    ],
)
def test_failed_tests_decide_the_exit_code_only_when_test_results_is_evaluated(
    pytester: pytest.Pytester,
    run_uok: RunUok,
    capsys: pytest.CaptureFixture[str],
    only: list[str],
    code: int,
) -> None:
    pytester.makepyfile(test_a=RED)  # and no policy file: suite_classification fails
    run = run_uok()
    args = [a for gate_id in only for a in ("--only", gate_id)]
    got, _out, verdict = gate_cli(run.out, *args, capsys=capsys)
    assert got == code
    assert set(statuses(verdict)) == set(only)


def test_an_interrupted_run_keeps_its_exit_code_whatever_gates_are_evaluated(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    # a collection error stops the session before its tests: pytest exits 2 (interrupted)
    pytester.makepyfile(test_a=RED, test_broken="import nonexistent_module_xyz\n")
    run = run_uok()
    assert run.ret == pytest.ExitCode.INTERRUPTED
    code, _out, verdict = gate_cli(run.out, "--only", "flaky", capsys=capsys)
    assert code == pytest.ExitCode.INTERRUPTED
    assert statuses(verdict) == {"flaky": "pass"}


def test_a_policy_given_on_the_command_line_is_used(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_a=GREEN)
    run = run_uok()
    policy = pytester.path / "elsewhere.toml"
    policy.write_text('[suite.unit]\nfiles = ["test_a.py"]\n', encoding="utf-8")
    code, _out, verdict = gate_cli(run.out, "--policy", str(policy), capsys=capsys)
    assert code == 0
    assert gate(verdict, "suite_classification")["evidence"][0] == str(policy)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["gate", "nowhere"],
            "pytest-uok gate: nowhere is not a folder of pytest-uok artifacts (no summary.json).",
        ),
        (["gate"], "pytest-uok gate: give the artifact folder (e.g. .uok) or --self-test"),
    ],
)
def test_unusable_input_is_exit_4_with_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 4
    assert capsys.readouterr().err.strip() == message


def test_a_corrupt_summary_is_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "summary.json").write_text('{"schema": "uok.summary.v1", "run_id": 3}', encoding="utf-8")
    assert cli.main(["gate", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert "summary.json is not a valid uok.summary.v1" in err
    assert "Traceback" not in err


def test_self_test_matches_every_golden_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["gate", "--self-test"]) == 0
    out = capsys.readouterr().out
    assert "ok       green: pass" in out
    assert "ok       no_policy: fail" in out
    assert out.strip().endswith("5 of 5 scenarios match their golden verdicts")


def test_self_test_reports_a_mismatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    [green] = [f for f in gate_command.scenario_folders() if f.name == "green"]
    copy = tmp_path / "green"
    shutil.copytree(green, copy)
    golden = json.loads((copy / gate_command.GOLDEN).read_text())
    golden["overall"] = "fail"
    (copy / gate_command.GOLDEN).write_text(json.dumps(golden))
    monkeypatch.setattr(gate_command, "scenario_folders", lambda: [copy])
    assert cli.main(["gate", "--self-test"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH green" in out
    assert "overall: expected 'fail', got 'pass'" in out


BREAKING = """
from pytest_uok.core.gates import gate

@gate("remote_check")
def remote_check(facts, options):
    raise ConnectionError("service down")

def pytest_uok_gates(config):
    return [remote_check]
"""


def test_the_breaker_persists_between_sessions(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeconftest(BREAKING)
    pytester.makepyfile(test_a=GREEN)
    write_policy(
        pytester, '[suite.unit]\nfiles = ["test_a.py"]\n[gates.remote_check]\nbreaker_threshold = 1\n'
    )
    first = run_uok("--uok-gate")
    record = gate(verdict_of(first), "remote_check")
    assert (record["status"], record["attempts"], record["breaker"]) == ("manual-attention", 2, "open")
    breakers = first.get("gate_breakers.json")["breakers"]["remote_check"]
    assert (breakers["state"], breakers["streaks"]) == ("open", 1)
    second = run_uok("--uok-gate")
    record = gate(verdict_of(second), "remote_check")
    assert (record["status"], record["attempts"], record["breaker"]) == ("manual-attention", 0, "open")
    assert record["detail"].startswith("circuit breaker open after 1 consecutive errors (streak 1")
    assert second.ret == 6


@pytest.mark.slow
def test_gates_run_once_on_the_xdist_controller(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=RED, test_b=GREEN)
    write_policy(pytester)
    run = run_uok("-n", "2", "--uok-gate", subprocess=True)
    assert run.ret == 1
    verdict = verdict_of(run)
    assert gate(verdict, "test_results")["status"] == "fail"
    assert [e["kind"] for e in run.events].count("verdict") == 1
    run.result.stdout.fnmatch_lines(["FAIL * test_results: 1 test failed: test_a.py::test_bad"])


SHARDED = {
    "test_a": "def test_a1():\n    pass\n\ndef test_a2():\n    pass\n",
    "test_b": "def test_b1():\n    pass\n\ndef test_b2():\n    assert 1 == 2\n",
    "test_c": "import pytest\n\n@pytest.mark.parametrize('n', range(4))\ndef test_c(n):\n    pass\n",
    "test_d": "def test_d1():\n    pass\n",
}


def test_three_merged_shards_give_the_verdict_of_the_unsharded_run(
    pytester: pytest.Pytester, run_uok: RunUok, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pytest_uok.commands.merge", reason="needs pytest-uok merge")
    pytester.makepyfile(**SHARDED)
    policy = write_policy(pytester)
    whole = run_uok("--uok-gate")
    assert whole.ret == 1
    for index in range(3):
        run_uok(f"--uok-shard={index}/3", "--uok-out=shards", check_counts=False)
    merged = pytester.path / "merged"
    assert cli.main(["merge", str(pytester.path / "shards"), "-o", str(merged)]) == 0
    code, _out, verdict = gate_cli(merged, "--policy", str(policy), capsys=capsys)
    assert code == whole.ret
    expected = gate_command.golden_of(Verdict.model_validate(verdict_of(whole)))
    assert gate_command.golden_of(Verdict.model_validate(verdict)) == expected
