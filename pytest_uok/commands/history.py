"""``pytest-uok history [DIR]``: the flakiest and slowest tests over the runs the history keeps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_OK, EXIT_USAGE, argument_type
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.history import HISTORY, TrackRecord, branches, flakiest, load_history, slowest
from pytest_uok.core.models.history import History
from pytest_uok.core.reportfacts import seconds
from pytest_uok.core.sanitize import printable
from pytest_uok.core.settings import parse_positive_int


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "history",
        help="print the flakiest and slowest tests of the runs kept in history.json",
        description="Print the flakiest tests (failure rate, flip rate, why they are flaky) and the "
        "slowest tests of the runs kept in the history store.",
    )
    parser.add_argument(
        "path", nargs="?", default=".uok", help="the artifact folder or its history.json (default: .uok)"
    )
    parser.add_argument(
        "--top",
        type=argument_type(parse_positive_int, "--top"),
        default=10,
        metavar="N",
        help="tests per list (default: 10)",
    )
    parser.add_argument("--branch", metavar="NAME", help="only the runs on this branch")
    parser.set_defaults(func=run)


def only_branch(history: History, branch: str) -> History:
    """The history restricted to the runs on ``branch``."""
    keep = [i for i, r in enumerate(history.runs) if (r.branch or "(unknown)") == branch]
    tests = {}
    for nodeid, (letters, recent) in history.tests.items():
        kept = "".join(letters[i] for i in keep)
        if kept.strip("."):
            tests[nodeid] = (kept, recent)
    runs = [history.runs[i] for i in keep]
    return History.model_construct(
        schema_=History.SCHEMA_ID, max_runs=history.max_runs, runs=runs, tests=tests
    )


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _flaky_line(t: TrackRecord) -> str:
    why = f"; flaky: {t.flaky}" if t.flaky else ""
    rate = f"failure rate {_percent(t.failure_rate)} ({t.failures} of {t.runs} runs)"
    return f"  {printable(t.nodeid, 300)}: {rate}, flip rate {_percent(t.flip_rate)}{why}"


def _slow_line(t: TrackRecord) -> str:
    return f"  {printable(t.nodeid, 300)}: {seconds(t.mean_s)} on average, last {t.last or 'not run'}"


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    file = path / HISTORY if path.is_dir() else path
    try:
        history = load_history(file)
    except UokInputError as exc:
        print(f"pytest-uok history: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.branch:
        history = only_branch(history, args.branch)
    counted = ", ".join(f"{name} {n}" for name, n in sorted(branches(history).items()))
    kept = f"keeps {history.max_runs}; {counted or 'no runs'}"
    print(f"{len(history.runs)} runs of {len(history.tests)} tests in {file} ({kept})")
    flaky = flakiest(history, args.top)
    print(
        f"flakiest tests ({len(flaky)}):" if flaky else "flakiest tests: none failed and passed in these runs"
    )
    for t in flaky:
        print(_flaky_line(t))
    slow = slowest(history, args.top)
    if slow:
        print(f"slowest tests ({len(slow)}):")
        for t in slow:
            print(_slow_line(t))
    return EXIT_OK
