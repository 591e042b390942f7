"""What pytest-uok costs a pytest session, side by side with plain pytest and the peer plugins.

Plain pytest is ``-p no:uok`` in the same virtual environment; the peers (pytest's own
``--junitxml``, pytest-json-report, pytest-reportlog, pytest-rerunfailures, pytest-split and
``--lf``) run with the plugin off, in the same alternation as pytest-uok. Every ratio is to plain
pytest running the whole suite; see alternate.py for how the runs are taken.

Scenarios (N is --tests):
  passing   N passing tests: the plugin writing its artifacts, the gate with a policy file
            classifying every file, and the reporting peers
  failing   N tests with 2% failures: the plugin, --uok-reruns 2 and pytest-rerunfailures, and
            rerunning only the failures (--uok-rerun-from against --lf)
  shard     shard 1 of 3 by module, files decided before collection, against pytest-split
  collect   --collect-only of 5 x N tests with --uok-shard 3/8

Run: python benchmarks/session_cost.py [--tests 10000] [--rounds 7] [--scenario passing ...]
(needs the ``bench`` extra). Exits non-zero only if a run ends with an unexpected exit code:
timings are printed, never judged, so the script can run in CI on a noisy machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alternate import (
    COMMON_ARGS,
    BenchmarkError,
    Config,
    alternate,
    compile_plugin,
    environment,
    load,
    report,
)
from suite import POLICY_FILE, GeneratedSuite, write_suite

from pytest_uok.core.history import append_run
from pytest_uok.core.models.history import HistoryRun
from pytest_uok.core.runinfo import DEFAULT_HISTORY_RUNS, HISTORY

#: pytest's "tests failed" exit code.
FAILED = 1
#: The share of the files that hold the failing tests of the failing suite.
FAILURE_FILES = 0.5


def seed_history(root: Path, suite: GeneratedSuite, runs: int = DEFAULT_HISTORY_RUNS) -> None:
    """The artifact folder as a month of CI leaves it: a full history of earlier runs of the suite.

    Every session of the plugin reads and rewrites the history; an empty one would hide that cost.
    """
    history = None
    started = datetime(2026, 11, 1, tzinfo=timezone.utc)
    for n in range(runs):
        run = HistoryRun(
            run_id=f"seed-{n:03d}",
            started_at=started + timedelta(days=n),
            duration_s=10.0,
            branch="main",
            git_sha=None,
            git_dirty=None,
            selection="",
            exit_status=1 if suite.failing else 0,
            tests=len(suite.nodeids),
            failed=len(suite.failing),
        )
        tests = ((i, "failed" if i in suite.failing else "passed", 0.001) for i in suite.nodeids)
        history = append_run(history, run, tests, runs)
    assert history is not None
    folder = root / ".uok"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HISTORY).write_text(history.model_dump_json(by_alias=True) + "\n", encoding="utf-8")


def _measure(title: str, configs: list[Config], root: Path, rounds: int) -> list[str]:
    before = load()
    return report(title, alternate(configs, root, rounds), before)


def passing(root: Path, tests: int, rounds: int) -> list[str]:
    suite = write_suite(root, tests, max(1, tests // 100), policy=True)
    seed_history(root, suite)
    configs = [
        Config("plain pytest (-p no:uok)", ["-p", "no:uok"]),
        Config("pytest-uok, artifacts written", [], target=1.05, target_mib=5),
        Config(
            "pytest-uok --uok-gate, every file classified",
            ["--uok-gate", "--uok-policy", POLICY_FILE],
            target=1.08,
        ),
        Config("--junitxml", ["-p", "no:uok", "--junitxml=junit.xml"], note="issue: 1.145"),
        Config(
            "pytest-json-report",
            ["-p", "no:uok", "--json-report", "--json-report-file=report.json"],
            note="issue: 1.185, +22 MiB",
        ),
        Config("pytest-reportlog", ["-p", "no:uok", "--report-log=reportlog.jsonl"], note="issue: 1.218"),
    ]
    title = f"{tests:,} passing tests in {max(1, tests // 100)} files"
    return _measure(title, configs, root, rounds)


def failing(root: Path, tests: int, rounds: int) -> list[str]:
    # Failures gather in the files of what broke: here 200 failures in half of the files.
    suite = write_suite(root, tests, max(1, tests // 100), failure_rate=0.02, failure_files=FAILURE_FILES)
    seed_history(root, suite)
    first = root / ".uok-first"
    # The run whose failures are rerun: the plugin's summary.json, and pytest's cache for --lf.
    code = subprocess.run(
        [sys.executable, "-m", "pytest", *COMMON_ARGS, "--uok-out", str(first)],
        cwd=root,
        env=environment(),
        stdout=subprocess.DEVNULL,
        check=False,
    ).returncode
    if code != FAILED:
        raise BenchmarkError(f"the first run of the failing suite exited {code}, expected {FAILED}")
    configs = [
        Config("plain pytest (-p no:uok)", ["-p", "no:uok"], expect=(FAILED,)),
        Config("pytest-uok, artifacts written", [], expect=(FAILED,), target=1.08),
        Config("pytest-uok --uok-reruns 2", ["--uok-reruns", "2"], expect=(FAILED,), target=1.20),
        Config(
            "pytest-rerunfailures --reruns 2",
            ["-p", "no:uok", "--reruns", "2"],
            expect=(FAILED,),
            note="issue: 1.244",
        ),
        Config(
            f"pytest-uok --uok-rerun-from ({len(suite.failing)} failures)",
            ["--uok-rerun-from", str(first / "summary.json")],
            expect=(FAILED,),
            target=0.32,
        ),
        Config(
            f"--lf ({len(suite.failing)} failures)",
            ["-p", "no:uok", "--lf"],
            expect=(FAILED,),
            note="issue: 0.31",
        ),
    ]
    files = max(1, tests // 100)
    broken = round(files * FAILURE_FILES)
    title = f"{tests:,} tests with {len(suite.failing)} failures (2%) in {broken} of {files} files"
    return _measure(title, configs, root, rounds)


def shard(root: Path, tests: int, rounds: int) -> list[str]:
    seed_history(root, write_suite(root, tests, max(1, tests // 100), durations=True))
    configs = [
        Config("plain pytest (-p no:uok), whole suite", ["-p", "no:uok"]),
        Config(
            "pytest-uok --uok-shard 1/3 --uok-shard-by module",
            ["--uok-shard", "1/3", "--uok-shard-by", "module"],
            target=0.40,
        ),
        Config("pytest-uok --uok-shard 1/3 (by test)", ["--uok-shard", "1/3"]),
        Config(
            "pytest-split --splits 3 --group 2",
            ["-p", "no:uok", "--splits", "3", "--group", "2"],
            note="issue: 0.59",
        ),
    ]
    title = f"one shard of 3 of {tests:,} tests with recorded durations"
    return _measure(title, configs, root, rounds)


def collect(root: Path, tests: int, rounds: int) -> list[str]:
    count = tests * 5
    write_suite(root, count, max(1, count // 100), durations=True)
    configs = [
        Config("plain pytest --collect-only (-p no:uok)", ["-p", "no:uok", "--collect-only", "-q"]),
        Config("pytest-uok --collect-only", ["--collect-only", "-q"]),
        Config(
            "pytest-uok --collect-only --uok-shard 3/8",
            ["--collect-only", "-q", "--uok-shard", "3/8"],
        ),
    ]
    return _measure(f"--collect-only of {count:,} tests", configs, root, rounds)


SCENARIOS = {"passing": passing, "failing": failing, "shard": shard, "collect": collect}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000, help="tests per suite (default: 10000)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds after the warm-up")
    parser.add_argument("--scenario", choices=list(SCENARIOS), action="append", help="default: all")
    parser.add_argument(
        "--workdir", type=Path, help="where the suites are written (default: a temporary folder)"
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="uok-bench-"))
    compile_plugin()
    print(f"pytest-uok session cost: {load()}; suites in {workdir}", flush=True)
    lines: list[str] = []
    try:
        for name in args.scenario or list(SCENARIOS):
            lines += SCENARIOS[name](workdir / name, args.tests, args.rounds)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
