"""Shared pieces of the gate tests: projects, policy files, and reading a verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_uok import cli
from tests.conftest import UokRun
from tests.helpers.artifacts import load_and_validate

GREEN = """
def test_one():
    pass

def test_two():
    assert 1 + 1 == 2
"""

RED = """
def test_one():
    pass

def test_bad():
    assert 1 == 2
"""

#: A policy file that classifies every test file of these projects into suite unit.
POLICY = """
[suite.unit]
files = ["test_*.py"]
"""


def write_policy(pytester: pytest.Pytester, text: str = POLICY) -> Path:
    path = pytester.path / "tests" / "suite_classification.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def statuses(verdict: dict[str, Any]) -> dict[str, str]:
    return {g["id"]: g["status"] for g in verdict["gates"]}


def gate(verdict: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found = [g for g in verdict["gates"] if g["id"] == gate_id]
    assert found, f"no gate {gate_id} in {statuses(verdict)}"
    return found[0]


def verdict_of(run: UokRun) -> dict[str, Any]:
    verdict: dict[str, Any] = run.get("verdict.json")
    assert run.summary["verdict"] == {
        "overall": verdict["overall"],
        "mode": verdict["mode"],
        "failed_gates": verdict["failed_gates"],
    }
    return verdict


def gate_cli(folder: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, dict[str, Any]]:
    """Run ``pytest-uok gate FOLDER ARGS`` in-process; returns its exit code, output and validated verdict."""
    capsys.readouterr()
    code = cli.main(["gate", str(folder), *args])
    out = capsys.readouterr()
    verdict = load_and_validate(folder / "verdict.json")
    return code, out.out + out.err, verdict


def edit_summary(folder: Path, **changes: Any) -> None:
    path = folder / "summary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")
