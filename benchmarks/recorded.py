"""A recorded run of N tests built with pytest-uok's core alone, as the recorder holds it at session end.

Each test gets its setup, call and teardown reports as pytest would send them; a fixed, seeded
share fails with the facts the plugin gathers (exception type, message, where, output).
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

from pytest_uok.core import artifacts as art
from pytest_uok.core.commands import Launcher
from pytest_uok.core.models.common import ShardContext
from pytest_uok.core.records import RunRecorder
from pytest_uok.core.redact import Redactor

LONGREPR = """\
    def test_it():
>       assert total == -1, 'total of range(7) is not negative'
E       AssertionError: total of range(7) is not negative
E       assert 21 == -1

tests/unit/test_unit_007.py:12: AssertionError
"""


def nodeids(tests: int, per_file: int = 100) -> list[str]:
    """Node ids in the generated suite's shapes: plain, parametrized, class methods."""
    ids = []
    for i in range(tests):
        f, n = divmod(i, per_file)
        folder = ("unit", "unit", "integration", "e2e")[f % 4]
        path = f"tests/{folder}/test_{folder}_{f:04d}.py"
        shape = n % 4
        if shape == 0:
            ids.append(f"{path}::test_plain_{n}")
        elif shape == 1:
            ids.append(f"{path}::test_param_{n // 10}[a b-{n}]")
        elif shape == 2:
            ids.append(f"{path}::TestGroup{n // 20}::test_method_{n}")
        else:
            ids.append(f"{path}::test_fixtures_{n}")
    return ids


def record(ids: list[str], failure_rate: float = 0.01, seed: int = 8) -> tuple[RunRecorder, set[str]]:
    """Feed every test's three phase reports to a recorder; returns it and the failing ids."""
    rng = random.Random(seed)
    failing = set(rng.sample(ids, round(len(ids) * failure_rate)))
    recorder = RunRecorder()
    for nodeid in ids:
        recorder.add_test_report(nodeid, "setup", "passed", 0.00012)
        failed = nodeid in failing
        rec = recorder.add_test_report(nodeid, "call", "failed" if failed else "passed", rng.random() / 100)
        if rec is not None:  # a failure (a passing test is kept as its seconds)
            rec.failure = {
                "exc_type": "AssertionError",
                "message": "total of range(7) is not negative\nassert 21 == -1",
                "where": {
                    "path": nodeid.split("::")[0],
                    "line": 12,
                    "message": "total of range(7) is not negative",
                },
                "attempt": 1,
                "longrepr": LONGREPR,
                "stdout": "starting\n" * 20,
                "stderr": "",
                "log": "",
            }
        recorder.add_test_report(nodeid, "teardown", "passed", 0.00008)
    return recorder, failing


def run_info(
    out_dir: Path, run_id: str = "20261201T180000Z-bench000", shard: ShardContext | None = None
) -> art.RunInfo:
    """What the recording plugin knows about a run when it starts, for a rootdir in ``out_dir``'s parent."""
    root = str(out_dir.parent)
    return art.RunInfo(
        run_id=run_id,
        started_at=datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc),
        rootdir=root,
        invocation=["-q"],
        launcher=Launcher(argv0=("pytest",), kept=(), rootdir=root, invocation_dir=root),
        environment={
            "git_sha": "0123456789abcdef0123456789abcdef01234567",
            "git_dirty": False,
            "python": "3.11.7",
            "pytest": "9.2.0",
            "platform": "Linux-x86_64",
            "plugins": ["pytest-uok-0.1.0"],
            "shard_kind": shard.kind if shard else "none",
            "shard_index": shard.index if shard else 0,
            "shard_total": shard.total if shard else 1,
            "rootdir": root,
        },
        shard=shard,
        out_dir=out_dir,
    )


def redactor() -> Redactor:
    return Redactor({}, max_chars=4096)
