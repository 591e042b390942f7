"""Custom gates from the hook, command gates, fail-closed results, and the configuration's usage errors."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable

import pytest

from tests.conftest import UokRun
from tests.plugin.gate_helpers import GREEN, POLICY, gate, verdict_of, write_policy

RunUok = Callable[..., UokRun]

CUSTOM = """
import time

from pytest_uok.core.gates import PASS, GateResult, gate


@gate("min_tests", blocking=True)
def min_tests(facts, options):
    count = len(facts.summary.tests)
    return GateResult(PASS, f"{count} tests ran")


@gate("boom")
def boom(facts, options):
    raise RuntimeError("kaput")


@gate("stuck", blocking=False, timeout_s=0.1)
def stuck(facts, options):
    time.sleep(1)
    return GateResult(PASS, "too late")


@gate("after_min", requires=["min_tests"])
def after_min(facts, options):
    return GateResult(PASS, "ran after min_tests")


def pytest_uok_gates(config):
    return [after_min, min_tests, boom, stuck]
"""


def test_custom_gates_run_in_order_and_fail_closed(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeconftest(CUSTOM)
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester, POLICY + "\n[gates.nosuch]\n")
    run = run_uok("--uok-gate")
    assert run.ret == 6
    verdict = verdict_of(run)
    ids = [g["id"] for g in verdict["gates"]]
    assert ids.index("min_tests") < ids.index("after_min")
    assert gate(verdict, "min_tests")["detail"] == "2 tests ran"
    assert gate(verdict, "min_tests")["kind"] == "custom"

    boom = gate(verdict, "boom")
    assert (boom["status"], boom["blocking"], boom["attempts"]) == ("manual-attention", True, 2)
    assert boom["detail"] == "RuntimeError: kaput (execution error, 2 attempts)"

    stuck = gate(verdict, "stuck")  # declared non-blocking, but a timeout fails closed
    assert (stuck["status"], stuck["blocking"], stuck["attempts"]) == ("manual-attention", True, 3)
    assert stuck["detail"].startswith("timed out: did not finish within 0.1 s (timeout error, 3 attempts)")

    unknown = gate(verdict, "nosuch")
    assert (unknown["status"], unknown["blocking"]) == ("manual-attention", True)

    assert set(verdict["failed_gates"]) == {"boom", "stuck", "nosuch"}
    assert {b["kind"] for b in verdict["blockers"]} == {"manual_attention"}
    assert verdict["health"]["status"] == "needs-repair"
    run.result.stdout.fnmatch_lines(
        [
            "PASS * min_tests: 2 tests ran",
            "PASS * after_min: ran after min_tests",
            "MANUAL-ATTENTION boom: RuntimeError: kaput (execution error, 2 attempts)",
            "* reproduce: pytest-uok gate .uok --only boom",
            "MANUAL-ATTENTION stuck: timed out*",
            "MANUAL-ATTENTION nosuch: [[]gates.nosuch[]] is in the policy file, but no gate has this id*",
            "exit code 6: the tests passed, but a blocking gate failed",
        ]
    )
    gate_events = [e["data"] for e in run.events if e["kind"] == "gate"]
    assert {e["id"]: e["error_class"] for e in gate_events if e["error_class"]} == {
        "boom": "execution",
        "stuck": "timeout",
    }


def test_a_hook_returning_a_non_gate_is_a_usage_error(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeconftest("def pytest_uok_gates(config):\n    return ['not a gate']\n")
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stdout.fnmatch_lines(["uok gate error: a pytest_uok_gates hook returned 'not a gate'*"])


def _command_policy() -> str:
    py = json.dumps(sys.executable)
    return (
        POLICY
        + f"""
[[command_gate]]
id = "lint"
command = [{py}, "-c", "print('all clean')"]

[[command_gate]]
id = "typecheck"
command = [{py}, "-c", "import sys; print('3 type errors'); sys.exit(3)"]
blocking = false
requires = ["lint"]

[[command_gate]]
id = "docs"
command = "no-such-tool-xyz --strict"

[[command_gate]]
id = "hang"
command = [{py}, "-c", "import time; time.sleep(30)"]
timeout = 0.2
blocking = false
"""
    )


def test_command_gates_pass_fail_skip_and_time_out(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester, _command_policy())
    run = run_uok("--uok-gate")
    verdict = verdict_of(run)
    lint = gate(verdict, "lint")
    assert (lint["kind"], lint["status"]) == ("command", "pass")
    log = run.out / "gates" / "lint.log"
    assert "all clean" in log.read_text(encoding="utf-8")
    assert lint["evidence"] == [str(log)] or lint["evidence"][0].endswith("gates/lint.log")

    typecheck = gate(verdict, "typecheck")
    assert (typecheck["status"], typecheck["blocking"]) == ("fail", False)
    assert typecheck["detail"].endswith("exited 3: 3 type errors")

    docs = gate(verdict, "docs")
    assert docs["status"] == "skip"
    assert "executable 'no-such-tool-xyz' not found" in docs["detail"]

    hang = gate(verdict, "hang")
    assert (hang["status"], hang["blocking"], hang["attempts"]) == ("manual-attention", True, 3)
    assert "did not finish within 0.2 s" in hang["detail"]

    assert verdict["failed_gates"] == ["hang"]
    assert run.ret == 6
    run.result.stdout.fnmatch_lines(
        [
            "PASS * lint: `*` exited 0",
            "FAIL * typecheck (non-blocking): `*` exited 3: 3 type errors",
            "SKIP * docs: executable 'no-such-tool-xyz' not found on PATH; command gate not run",
            "MANUAL-ATTENTION hang: timed out: command did not finish within 0.2 s (timeout error, 3 attempts)",
        ]
    )


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("[gates.pass_rate]\nmin_rate = 'most'\n", "*table [[]gates.pass_rate[]], field 'min_rate'*"),
        ("[[command_gate]]\nid = 'x'\n", "*table [[][[]command_gate[]][]] #1 (id 'x'), field 'command'*"),
        (
            "[gates.collection]\nrequires = ['x']\n[[command_gate]]\nid = 'x'\ncommand = 'true'\n"
            "requires = ['collection']\n",
            "*requires' form a cycle*",
        ),
    ],
)
def test_a_bad_gates_configuration_is_a_usage_error(
    pytester: pytest.Pytester, run_uok: RunUok, policy: str, message: str
) -> None:
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester, POLICY + policy)
    run = run_uok("--uok-gate")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines([f"ERROR: pytest-uok: *suite_classification.toml{message}"])
    assert "Traceback" not in run.result.stderr.str()


def test_gating_needs_artifacts(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a=GREEN)
    run = run_uok("--uok-gate", "--uok-no-artifacts")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stderr.fnmatch_lines(["*--uok-gate * cannot be combined with --uok-no-artifacts*"])


def test_an_unknown_gate_mode_is_reported(
    pytester: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UOK_GATE_MODE", "lenient")
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.result.stdout.fnmatch_lines(["uok gate error: environment variable UOK_GATE_MODE is 'lenient'*"])


def test_a_broken_gating_pass_fails_closed(
    pytester: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From sys.modules: gating is imported by sessions that gate, and pytester's inline runs
    # unload what they imported, so the package attribute may name an older copy.
    gating = importlib.import_module("pytest_uok.gating")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(gating, "run_gates", broken)
    pytester.makepyfile(test_a=GREEN)
    write_policy(pytester)
    run = run_uok("--uok-gate")
    assert run.ret == 6
    run.result.stdout.fnmatch_lines(
        [
            "uok gate error: the gates could not be evaluated: OSError('disk on fire')",
            "exit code 6: the tests passed, but a blocking gate failed",
        ]
    )
