"""A run interrupted halfway (Ctrl-C) still leaves a valid summary with the results so far."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.artifacts import load_and_validate

HALFWAY = """
import os, time, pathlib
import pytest

@pytest.mark.parametrize("i", range(40))
def test_step(i):
    if i == 20:
        pathlib.Path("HALFWAY").write_text("")
        time.sleep(60)
    assert i % 7 != 3
"""


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never got halfway"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_sigint_halfway_leaves_an_interrupted_summary(pytester: pytest.Pytester, workers: list[str]) -> None:
    pytester.makepyfile(test_long=HALFWAY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *workers],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    _wait_for(pytester.path / "HALFWAY", proc)
    time.sleep(0.5)
    # Ctrl-C in a terminal reaches the whole process group, xdist workers included.
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    summary = load_and_validate(pytester.path / ".uok" / "summary.json")
    assert summary["interrupted"] is True
    assert summary["complete"] is False
    assert summary["exit_status"] == 2
    outcomes = {t["nodeid"]: t["outcome"] for t in summary["tests"]}
    done = {n: o for n, o in outcomes.items() if o in ("passed", "failed")}
    assert len(done) >= (10 if workers else 20)
    assert all((o == "failed") == (int(n.split("[")[1][:-1]) % 7 == 3) for n, o in done.items())
    if not workers:
        assert "test_long.py::test_step[39]" not in outcomes
    events = load_and_validate(pytester.path / ".uok" / "events.jsonl")
    assert events[-1]["kind"] == "session_finish"
    assert events[-1]["data"]["interrupted"] is True
