"""Under pytest-xdist only the controller writes, and the artifacts equal a single-process run's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import UokRun
from tests.plugin.projects import MIXED, SUBTESTS

RunUok = Callable[..., UokRun]


def _comparable(run: UokRun) -> dict[str, object]:
    summary = run.summary
    digest = {
        f["nodeid"]: (f["root_cause_class"], f["first_failing_assertion"]) for f in run.digest["failures"]
    }
    return {
        "tests": sorted(
            (t["nodeid"], t["outcome"], t["phase"], str(t["subtests"])) for t in summary["tests"]
        ),
        "counts": summary["counts"],
        "failed": sorted(summary["failed_names"]),
        "digest": digest,
        "replay": sorted(s["file"] for s in run.replay["failed_suites"]),
    }


def test_two_workers_give_the_same_artifacts(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED, test_sub=SUBTESTS)
    single = run_uok("-p", "no:randomly", subprocess=True)
    parallel = run_uok("-p", "no:randomly", "-n", "2", subprocess=True)
    assert parallel.ret == single.ret == 1
    assert _comparable(parallel) == _comparable(single)
    assert parallel.replay["environment"]["xdist_workers"] == 2
    # workers never write: one session_start, one session_finish
    kinds = [e["kind"] for e in parallel.events]
    assert kinds.count("session_start") == kinds.count("session_finish") == 1


def test_rerun_from_under_xdist(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    first = run_uok("-n", "2", subprocess=True)
    (pytester.path / ".uok").rename(pytester.path / "saved")
    rerun = run_uok("-n", "2", "--uok-rerun-from", "saved", subprocess=True)
    failed = {n: o for n, o in first.outcomes().items() if o in ("failed", "error")}
    assert rerun.outcomes() == failed
