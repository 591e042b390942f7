"""The examples shipped in ``examples/`` show a verdict under ``pytest --uok-gate``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import UokRun
from tests.plugin.gate_helpers import gate, statuses, verdict_of

RunUok = Callable[..., UokRun]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def copy_example(name: str, pytester: pytest.Pytester) -> None:
    shutil.copytree(
        EXAMPLES / name,
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".uok", "__pycache__", ".pytest_cache"),
    )


def test_custom_gates_example_passes_with_its_own_gates(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    copy_example("custom_gates", pytester)
    run = run_uok()  # uok_gate = true in its pytest.ini
    assert run.ret == 0
    verdict = verdict_of(run)
    # every gate passes; regression has no baseline to compare with
    assert {g: s for g, s in statuses(verdict).items() if s != "pass"} == {"regression": "skip"}
    assert gate(verdict, "minimum_tests")["detail"] == "3 tests ran (minimum 3)"
    assert gate(verdict, "python_compiles")["kind"] == "command"
    run.result.stdout.fnmatch_lines(
        ["PASS * minimum_tests: 3 tests ran (minimum 3)", "verdict: PASS in strict mode*"]
    )


def test_custom_gates_example_fails_when_too_few_tests_run(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    copy_example("custom_gates", pytester)
    run = run_uok("-k", "addition")
    assert run.ret == 6
    verdict = verdict_of(run)
    assert verdict["failed_gates"] == ["minimum_tests"]
    run.result.stdout.fnmatch_lines(["FAIL * minimum_tests: only 1 tests ran; at least 3 expected"])


def test_the_demo_shows_its_verdict(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    if not (EXAMPLES / "demo").is_dir():
        pytest.skip("no demo project")
    copy_example("demo", pytester)
    run = run_uok("--uok-gate")
    assert run.ret == 1  # the demo's failing tests: pytest's own code stands
    verdict = verdict_of(run)
    assert gate(verdict, "test_results")["status"] == "fail"
    run.result.stdout.fnmatch_lines(
        ["*- pytest-uok gates -*", "FAIL * test_results: *", "verdict: FAIL in strict mode*"]
    )
