"""Time pytest-uok's core writing a session's artifacts for 100,000 recorded tests (no pytest).

What a session does at its end: summary.json, replay_bundle.json, failure_digest.json and
environment.json, then metrics.prom, report.md and report.html, for a recorder holding 100,000
tests of which 1% failed. Each repetition writes into a fresh folder; the figure is the median
wall time of the repetitions (with the CPU time beside it). Target: <= 1.0 s.

Run: python benchmarks/artifacts_100k.py [--tests 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from recorded import nodeids, record, redactor, run_info

from pytest_uok.core import artifacts as art
from pytest_uok.core.records import RunRecorder
from pytest_uok.core.redact import Redactor
from pytest_uok.core.reports import render_reports
from pytest_uok.core.summary_file import entry_views

TARGET_S = 1.0


def write_all(out: Path, recorder: RunRecorder, red: Redactor) -> dict[str, float]:
    """The session's end, stage by stage, as the recording and observe plugins do it."""
    info = run_info(out)
    end = art.RunEnd(
        finished_at=info.started_at, exit_status=1, interrupted=False, complete=True, internal_errors=[]
    )
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    # The session's summary model carries no entries: they are written from the recorder.
    summary = art.build_summary(info, recorder, end, with_tests=False)
    models = {
        art.ENVIRONMENT: art.build_environment(info),
        art.REPLAY_BUNDLE: art.build_replay_bundle(info, recorder),
        art.FAILURE_DIGEST: art.build_failure_digest(info, recorder, red),
    }
    t1 = time.perf_counter()
    errors = art.write_models(out, models, red.scrub)
    error, exact, _ = art.write_summary(out, summary, recorder, red.scrub)
    if errors or error or not exact:
        raise RuntimeError("; ".join([*errors, error or "summary.json not written exactly"]))
    t2 = time.perf_counter()
    render_reports(out, summary, entry_views(recorder))
    t3 = time.perf_counter()
    times["build the models"] = t1 - t0
    times["write the 4 JSON artifacts"] = t2 - t1
    times["render the 3 reports"] = t3 - t2
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ids = nodeids(args.tests)
    recorder, failing = record(ids)
    red = redactor()
    work = Path(tempfile.mkdtemp(prefix="uok-artifacts-"))
    walls: list[float] = []
    cpus: list[float] = []
    stages: dict[str, list[float]] = {}
    try:
        for i in range(args.repeat + 1):
            out = work / f"run{i}" / ".uok"
            start, cpu = time.perf_counter(), time.process_time()
            times = write_all(out, recorder, red)
            wall, used = time.perf_counter() - start, time.process_time() - cpu
            shutil.rmtree(out.parent)
            if i == 0:
                continue  # warm-up: imports, first-use caches
            walls.append(wall)
            cpus.append(used)
            for name, seconds in times.items():
                stages.setdefault(name, []).append(seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"artifacts for {args.tests:,} recorded tests ({len(failing)} failed), median of {args.repeat}:")
    for name, values in stages.items():
        print(f"   {name:<32} {statistics.median(values):6.3f} s")
    total = statistics.median(walls)
    verdict = "met" if total <= TARGET_S else "ABOVE TARGET"
    print(
        f"   {'total':<32} {total:6.3f} s wall [{min(walls):.3f}..{max(walls):.3f}], "
        f"{statistics.median(cpus):.3f} s CPU  (target <= {TARGET_S} s: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
