"""On a generated suite of 2,000 tests, rerun-from and every targeted replay command reproduce the failures."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import UokRun, shell
from tests.helpers.artifacts import load_and_validate
from tests.helpers.generated_suite import write_suite

RunUok = Callable[..., UokRun]


@pytest.mark.slow
def test_rerun_and_targeted_replays_reproduce_every_failure(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    expected = write_suite(pytester.path)
    first = run_uok("-p", "no:randomly")
    failed = {n: o for n, o in first.outcomes().items() if o in ("failed", "error")}
    assert failed == expected
    assert len(first.summary["tests"]) == 2000
    assert 0.015 <= len(failed) / 2000 <= 0.03

    (pytester.path / ".uok").rename(pytester.path / "first")
    rerun = run_uok("-p", "no:randomly", "--uok-rerun-from", "first/summary.json")
    assert rerun.outcomes() == failed

    entries = first.get("failure_digest.json")["failures"]
    assert len(entries) == len(failed)

    def replay(i: int) -> tuple[str, str, subprocess.CompletedProcess[str]]:
        entry = entries[i]
        command = entry["remediation_pointer"]["targeted_test_replay_command"]
        # Each replay writes its own artifacts so they can be checked independently.
        proc = shell(f"UOK_OUT=replay-{i} {command}", cwd=pytester.path)
        return entry["nodeid"], command, proc

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(replay, range(len(entries))))
    for i, (nodeid, command, proc) in enumerate(results):
        assert proc.returncode == 1, f"{command}\n{proc.stdout}\n{proc.stderr}"
        summary = load_and_validate(pytester.path / f"replay-{i}" / "summary.json")
        assert [(t["nodeid"], t["outcome"]) for t in summary["tests"]] == [(nodeid, failed[nodeid])], command
    assert not list(pytester.path.rglob("PWNED")), "a node id was executed by the shell"
