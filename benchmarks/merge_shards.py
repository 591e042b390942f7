"""Time ``pytest-uok merge`` of 8 shards of 12,500 recorded tests each.

The shards' folders are written by pytest-uok's core as 8 sessions of ``--uok-shard I/8``
would leave them (summary.json with the manifest, replay_bundle.json, failure_digest.json,
environment.json, durations.json, events.jsonl; 1% of the tests failed). The figure is the
median wall time of the ``pytest-uok merge`` command, a process of its own as a CI job runs it,
interpreter start included; a breakdown of one merge in-process follows. Target: <= 2 s.

Run: python benchmarks/merge_shards.py [--shards 8] [--tests 12500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from recorded import nodeids, record, redactor, run_info

from pytest_uok.core import artifacts as art
from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.durations import render, updated
from pytest_uok.core.events import EventStream
from pytest_uok.core.merge import find_summaries, load_shard, merge, write_merged
from pytest_uok.core.models.common import ShardContext
from pytest_uok.core.models.shard import ShardManifest
from pytest_uok.core.reports import render_reports
from pytest_uok.core.sharding import digest_ids, partition

TARGET_S = 2.0
CLI = Path(sys.executable).with_name("pytest-uok")


def write_shards(root: Path, shards: int, per_shard: int) -> None:
    """Every shard's artifact folder under ``root``, as the sessions would have written them."""
    ids = nodeids(shards * per_shard)
    plan = partition(ids, {}, shards)
    universe = sorted(ids)
    red = redactor()
    for index in range(shards):
        mine = plan.of(index)
        out = root / f"shard-{index}-of-{shards}"
        shard = ShardContext(kind="test", index=index, total=shards, source="--uok-shard")
        info = run_info(out, run_id=f"20261201T180000Z-shard{index:03d}", shard=shard)
        info.manifest = ShardManifest(
            kind="test",
            index=index,
            total=shards,
            source="--uok-shard",
            count=len(mine),
            digest=digest_ids(mine),
            nodeids=mine,
            estimated_s=float(len(mine)),
            shard_deselected=len(ids) - len(mine),
            universe_count=len(universe),
            universe_digest=digest_ids(universe),
        )
        recorder, _ = record(mine, seed=index)
        end = art.RunEnd(datetime.now(timezone.utc), 1, False, True, [])
        events = EventStream(out / art.EVENTS, info.run_id)
        events.emit("session_start", invocation=info.invocation)
        models = {
            art.REPLAY_BUNDLE: art.build_replay_bundle(info, recorder),
            art.FAILURE_DIGEST: art.build_failure_digest(info, recorder, red),
            art.ENVIRONMENT: art.build_environment(info),
            art.SUMMARY: art.build_summary(info, recorder, end),
        }
        errors = art.write_models(out, models)
        if errors:
            raise RuntimeError("; ".join(errors))
        measured = {n: r if isinstance(r, float) else r.duration_s for n, r in recorder.tests()}
        now = datetime.now(timezone.utc)
        atomic_write_text(
            out / "durations.json", render(updated({}, measured, now.date()), flat=False, now=now)
        )
        events.emit("session_finish", exit_status=1)


def breakdown(root: Path, out: Path) -> list[tuple[str, float]]:
    """One merge in this process, stage by stage (what the command does after starting)."""
    gc.disable()  # as the command does
    try:
        return _stages(root, out)
    finally:
        gc.enable()


def _stages(root: Path, out: Path) -> list[tuple[str, float]]:
    t0 = time.perf_counter()
    shards = [s for p, _ in find_summaries([root]) if (s := load_shard(p)) is not None]
    t1 = time.perf_counter()
    merged = merge(shards, out, Path.cwd())
    t2 = time.perf_counter()
    write_merged(merged, out)
    t3 = time.perf_counter()
    render_reports(out, merged.summary)
    t4 = time.perf_counter()
    return [
        ("read and validate the shards", t1 - t0),
        ("check the partition and merge", t2 - t1),
        ("write the merged artifacts", t3 - t2),
        ("render the reports", t4 - t3),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--tests", type=int, default=12_500, help="tests per shard")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="uok-merge-"))
    try:
        shards = work / "shards"
        write_shards(shards, args.shards, args.tests)
        walls = []
        for i in range(args.repeat + 1):
            out = work / f"merged{i}"
            start = time.perf_counter()
            proc = subprocess.run(
                [str(CLI), "merge", str(shards), "-o", str(out)], capture_output=True, text=True, check=False
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                print(
                    f"pytest-uok merge exited {proc.returncode}:\n{proc.stdout}{proc.stderr}", file=sys.stderr
                )
                return 2
            shutil.rmtree(out)
            if i:
                walls.append(wall)  # the first run warms the file cache
        stages = breakdown(shards, work / "merged-inprocess")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = statistics.median(walls)
    print(f"pytest-uok merge of {args.shards} shards x {args.tests:,} tests, median of {args.repeat}:")
    for name, seconds in stages:
        print(f"   {name:<34} {seconds:6.3f} s  (in-process)")
    verdict = "met" if total <= TARGET_S else "ABOVE TARGET"
    print(
        f"   {'the command, start to exit':<34} {total:6.3f} s wall [{min(walls):.3f}..{max(walls):.3f}]"
        f"  (target <= {TARGET_S} s: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
