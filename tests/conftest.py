"""Fixtures for running real pytest sessions with pytest-uok and checking what they leave behind."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.artifacts import validate_folder

#: pytest's closing-line keys and the summary.json counts they must agree with.
TERMINAL_TO_SUMMARY = {
    "passed": "passed",
    "failed": "failed",
    "errors": "errors",
    "skipped": "skipped",
    "xfailed": "xfailed",
    "xpassed": "xpassed",
    "deselected": "deselected",
    "subtests": "subtests_passed",  # parseoutcomes keeps the first word of "subtests passed"
}


@dataclass
class UokRun:
    """One finished session: its result, artifact folder and the validated artifacts."""

    result: pytest.RunResult
    out: Path
    artifacts: dict[str, Any] = field(default_factory=dict)

    @property
    def ret(self) -> int:
        return int(self.result.ret)

    def get(self, name: str) -> Any:
        assert name in self.artifacts, f"{name} not written; have {sorted(self.artifacts)}"
        return self.artifacts[name]

    @property
    def summary(self) -> dict[str, Any]:
        return self.get("summary.json")  # type: ignore[no-any-return]

    @property
    def digest(self) -> dict[str, Any]:
        return self.get("failure_digest.json")  # type: ignore[no-any-return]

    @property
    def replay(self) -> dict[str, Any]:
        return self.get("replay_bundle.json")  # type: ignore[no-any-return]

    @property
    def events(self) -> list[dict[str, Any]]:
        """This run's events (the file is append-only and also holds earlier runs')."""
        run_id = self.summary["run_id"]
        return [e for e in self.get("events.jsonl") if e["run_id"] == run_id]

    def outcomes(self) -> dict[str, str]:
        return {t["nodeid"]: t["outcome"] for t in self.summary["tests"]}


def check_counts_agree(result: pytest.RunResult, summary: dict[str, Any]) -> None:
    """summary.json's counts equal the numbers in pytest's closing line."""
    try:
        terminal = result.parseoutcomes()
    except ValueError:
        return  # no closing line (e.g. a usage error or -p no:terminal)
    counts = summary["counts"]
    for key, field_name in TERMINAL_TO_SUMMARY.items():
        assert terminal.get(key, 0) == counts.get(field_name, 0), (
            f"{key}: terminal says {terminal.get(key, 0)}, summary.json says {counts.get(field_name, 0)}"
        )
    for key, value in counts.get("other", {}).items():
        assert terminal.get(key, 0) == value, f"{key}: terminal {terminal.get(key, 0)} != {value}"


@pytest.fixture
def run_uok(pytester: pytest.Pytester) -> Callable[..., UokRun]:
    """Run pytest with pytest-uok in ``pytester``'s project, validate every artifact, and return it.

    ``subprocess=True`` runs in a child process (isolation: signals, xdist, environment).
    ``out`` names the artifact folder relative to the project (default ``.uok``).
    """

    def run(*args: str, subprocess: bool = False, out: str = ".uok", check_counts: bool = True) -> UokRun:
        if subprocess:
            result = pytester.runpytest_subprocess(*args, timeout=300)
        else:
            result = pytester.runpytest(*args)
        folder = pytester.path / out
        artifacts = validate_folder(folder) if folder.exists() else {}
        run_ = UokRun(result, folder, artifacts)
        if check_counts and "summary.json" in artifacts and artifacts["summary.json"]["complete"]:
            check_counts_agree(result, artifacts["summary.json"])
        return run_

    return run


@pytest.fixture(autouse=True)
def _no_ci_reporting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions run by tests never append to the CI job summary or push to a real Pushgateway."""
    for name in ("GITHUB_STEP_SUMMARY", "UOK_PUSHGATEWAY", "UOK_PUSHGATEWAY_JOB"):
        monkeypatch.delenv(name, raising=False)


def shell(command: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run an artifact's command in a real shell, with this interpreter's scripts first on PATH."""
    env = dict(os.environ)
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def run_shell() -> Callable[..., subprocess.CompletedProcess[str]]:
    return shell


def quoted(*parts: str) -> str:
    return shlex.join(parts)
