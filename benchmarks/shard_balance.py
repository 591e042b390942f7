"""Shard balance: makespan / lower bound of pytest-uok's partition against pytest-split's.

For every data set, number of shards and seed, each algorithm splits the suite using the
durations it is allowed to see; the makespan (the slowest shard) is then measured with the true
durations and divided by the lower bound max(total / k, longest test). 1.00 is a perfect split.

Data sets: a synthetic lognormal suite of 600 tests, and durations recorded from real
open-source suites (benchmarks/data/*.json, pytest-uok durations stores), each with full
durations and with 20% of the tests unknown to the store (a fresh random 20% per seed, the same
for every algorithm). The real suites were each run once from their sdist with
``--uok-store-durations``: boltons, more-itertools, toolz, click 8.5.1 (without its 30,000
``stress`` tests: ``-k "not stress"``) and networkx 3.6.1 (without numpy and scipy).

Run: python benchmarks/shard_balance.py [--seeds 50] [--first-seed 0] (needs the ``bench``
extra: pytest-split). Another ``--first-seed`` checks that a result is not an accident of seeds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from pytest_split.algorithms import DurationBasedChunksAlgorithm, LeastDurationAlgorithm

from pytest_uok.core.sharding import partition

DATA = Path(__file__).resolve().parent / "data"
SHARD_COUNTS = (3, 8, 16)
HIDDEN_FRACTION = 0.2


class Item(NamedTuple):
    """What pytest-split reads of a pytest item."""

    nodeid: str


Splitter = Callable[[list[str], dict[str, float], int], list[list[str]]]


def uok(ids: list[str], seen: dict[str, float], k: int) -> list[list[str]]:
    return partition(ids, seen, k).shards


def _split_with(algorithm: object) -> Splitter:
    def split(ids: list[str], seen: dict[str, float], k: int) -> list[list[str]]:
        # pytest-split sees the items in collection order: the node ids as collected (sorted here)
        groups = algorithm(k, [Item(i) for i in ids], seen)  # type: ignore[operator]
        return [[item.nodeid for item in g.selected] for g in groups]

    return split


ALGORITHMS: dict[str, Splitter] = {
    "pytest-uok": uok,
    "split least_duration": _split_with(LeastDurationAlgorithm()),
    "split duration_based_chunks": _split_with(DurationBasedChunksAlgorithm()),
}


def lognormal_suite(rng: random.Random, n: int = 600) -> dict[str, float]:
    """600 tests in files of 5-40 tests, some in classes, some parametrized; durations i.i.d."""
    suite: dict[str, float] = {}
    f = 0
    while len(suite) < n:
        f += 1
        for t in range(rng.randint(5, 40)):
            cls = "TestThing::" if t % 3 == 0 else ""
            param = f"[{t % 4}]" if t % 2 else ""
            suite[f"tests/pkg{f % 7}/test_mod{f}.py::{cls}test_{t // 4}{param}_{t}"] = rng.lognormvariate(
                -3.0, 1.0
            )
            if len(suite) == n:
                break
    return suite


def load_store(path: Path) -> dict[str, float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: float(v["duration_s"]) for k, v in data["tests"].items()}


def ratio(shards: list[list[str]], truth: dict[str, float], k: int) -> float:
    seen = [n for s in shards for n in s]
    assert sorted(seen) == sorted(truth), "not a partition"
    makespan = max(sum(truth[n] for n in s) for s in shards)
    bound = max(sum(truth.values()) / k, max(truth.values()))
    return makespan / bound


def run(seeds: int, first: int = 0) -> list[tuple[str, str, int, dict[str, tuple[float, float]]]]:
    datasets: list[tuple[str, Callable[[int], dict[str, float]]]] = [
        ("lognormal-600", lambda seed: lognormal_suite(random.Random(seed)))
    ]
    for path in sorted(DATA.glob("*.json")):
        store = load_store(path)
        datasets.append((path.stem, lambda seed, store=store: store))
    rows = []
    for name, make in datasets:
        for hidden in (False, True):
            for k in SHARD_COUNTS:
                results: dict[str, list[float]] = {a: [] for a in ALGORITHMS}
                for seed in range(first, first + seeds):
                    truth = make(seed)
                    ids = sorted(truth)
                    seen = dict(truth)
                    if hidden:
                        rng = random.Random(1000 + seed)
                        for nodeid in rng.sample(ids, int(len(ids) * HIDDEN_FRACTION)):
                            del seen[nodeid]
                    for algo, split in ALGORITHMS.items():
                        results[algo].append(ratio(split(ids, seen, k), truth, k))
                label = f"{name}{' 20% unknown' if hidden else ''}"
                stats = {a: (statistics.median(v), max(v)) for a, v in results.items()}
                rows.append((label, f"{len(truth)}", k, stats))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="how many seeds (default 50)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    args = parser.parse_args(argv)
    rows = run(args.seeds, args.first_seed)
    names = list(ALGORITHMS)
    header = f"| data | tests | k | {' | '.join(n + ' (median / worst)' for n in names)} |"
    print(header)
    print("|" + " --- |" * (3 + len(names)))
    for label, tests, k, stats in rows:
        cells = " | ".join(f"{stats[n][0]:.3f} / {stats[n][1]:.3f}" for n in names)
        print(f"| {label} | {tests} | {k} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
