"""``pytest-uok merge``: shards' artifacts into one run's, with a check that they form a partition."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pytest_uok.core.durations import DEFAULT_MAX_AGE_DAYS, store_durations
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gc_pause import paused_gc
from pytest_uok.core.merge import (
    ShardInput,
    check_commits,
    find_summaries,
    load_shard,
    merge,
    write_merged,
)
from pytest_uok.core.reports import render_reports


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "merge",
        help="merge the artifacts of a run's shards into one run's artifacts",
        description="Merge the summary.json, replay_bundle.json, failure_digest.json, durations and "
        "events of N shards into one run's, checking that every test of the shards' manifests ran "
        "exactly once. Exit 0 when the shards form a complete partition, 1 when shards or tests are "
        "missing or duplicated (the merged artifacts are still written), 4 for unusable input.",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="DIR_OR_SUMMARY",
        help="a shard's summary.json, its folder, or a folder holding shard folders",
    )
    parser.add_argument(
        "-o", "--out", required=True, metavar="OUT", help="folder to write the merged run into"
    )
    parser.add_argument(
        "--allow-mixed-commits",
        action="store_true",
        help="merge shards even if they ran on different commits",
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="also write the shards' measured durations into this durations store (e.g. .uok/durations.json)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # A merge reads hundreds of thousands of objects that all live until it ends, and makes no
    # cycles: the garbage collector would only walk them again and again (half of the time).
    with paused_gc():
        return _merge(args)


def _merge(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        paths = find_summaries([Path(p) for p in args.inputs])
        shards: list[ShardInput] = []
        for path, explicit in paths:
            if path.parent == out.resolve():
                continue  # an earlier merge into the same folder is not a shard
            # Found in a folder, an unsharded run's summary.json (next to the shard folders) is skipped.
            shard = load_shard(path, required=explicit)
            if shard is not None:
                shards.append(shard)
        if not shards:
            raise UokInputError("no shard artifacts found in " + ", ".join(args.inputs) + ".")
        if not args.allow_mixed_commits:
            check_commits(shards)
        merged = merge(shards, out, Path.cwd())
        write_merged(merged, out)
        # The merged run gets the same reports and metrics a single run would have.
        render_reports(out, merged.summary)
    except UokInputError as exc:
        print(f"pytest-uok merge: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"pytest-uok merge: could not write {out}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    s = merged.summary
    total = s.shards[0].total if s.shards else len(shards)
    print(
        f"merged {len(shards)} of {total} shards into {out}: {len(s.tests)} tests, "
        f"{len(s.failed_names)} failed, exit status {s.exit_status}"
    )
    if args.store:
        measured = {k: v.duration_s for k, v in merged.durations.items()}
        count = store_durations(Path(args.store), measured, DEFAULT_MAX_AGE_DAYS)
        print(f"durations of {len(measured)} tests written into {args.store} ({count} entries)")
    for problem in merged.problems:
        print(f"pytest-uok merge: {problem}", file=sys.stderr)
    if merged.problems:
        print("pytest-uok merge: the shards do not form one complete run (see above)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
