"""A deterministic generated test suite for the benchmarks: N tests over F files, every shape.

Each file mixes four kinds of tests in fixed proportions: plain functions, functions
parametrized with ids a shell would misread (spaces, quotes, ``$()``, ``;``, ``::``,
non-ASCII), methods of test classes, and functions asking for several fixtures (function,
module and session scoped, some with teardown). A failure rate turns a fixed, seeded
selection of tests into failing ones (assertions with a message, and raised exceptions).
Recorded durations go into pytest-split's ``.test_durations``, which pytest-uok also reads
as its durations store; a policy file can classify every file into a suite.

The same arguments always give byte-identical files and the same node ids.

Run: python benchmarks/suite.py DIR [--tests 10000] [--files 100] [--failure-rate 0.02]
     [--durations] [--policy]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

#: Parametrize values (and so ids) that need quoting in a shell or escaping in a node id.
AWKWARD = [
    "a b",
    "$(echo x)",
    "`echo x`",
    "x;y",
    "q'uote",
    'd"q',
    "a|b&c",
    "*",
    "a::b",
    "ü-ñ",
]
#: Folders of the suite (and the suites of the policy file) with their share of the files.
SUITES = (("unit", 6), ("integration", 3), ("e2e", 1))
#: The kinds of test in every file, cycled in this order with these weights.
KINDS = ("plain", "plain", "param", "class", "plain", "fixtures", "class", "plain", "param", "fixtures")
POLICY_FILE = "suite_policy.toml"
DURATIONS_FILE = ".test_durations"

CONFTEST = """\
import pytest


@pytest.fixture(scope="session")
def settings():
    return {"region": "eu", "retries": 3}


@pytest.fixture(scope="module")
def db(settings):
    conn = {"rows": [], "region": settings["region"]}
    yield conn
    conn["rows"].clear()


@pytest.fixture
def user(db):
    row = {"id": len(db["rows"]), "name": "ada"}
    db["rows"].append(row)
    yield row
    db["rows"].remove(row)


@pytest.fixture
def cart(user, settings):
    return {"owner": user["id"], "items": [], "retries": settings["retries"]}


@pytest.fixture
def clock():
    return iter(range(1000))
"""

PYTEST_INI = """\
[pytest]
testpaths = tests
"""


def _node_param_id(value: str) -> str:
    # pytest's id for a str value: non-ASCII escaped as unicode_escape, the rest kept.
    return value.encode("unicode_escape").decode("ascii")


@dataclass
class GeneratedSuite:
    """What was written: the root, every node id in collection order, and the failing ones."""

    root: Path
    nodeids: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)

    @property
    def policy(self) -> Path:
        return self.root / POLICY_FILE


@dataclass
class _File:
    path: str
    lines: list[str] = field(default_factory=lambda: ["import pytest", "", ""])
    ids: list[str] = field(default_factory=list)


def _file_names(files: int) -> list[str]:
    weights = sum(w for _, w in SUITES)
    names: list[str] = []
    for suite, weight in SUITES:
        count = max(1, round(files * weight / weights)) if suite != SUITES[-1][0] else files - len(names)
        names += [f"tests/{suite}/test_{suite}_{i:03d}.py" for i in range(count)]
    return names[:files]


def _plan(tests: int, files: int) -> list[list[tuple[str, int]]]:
    """Per file, the blocks to write: (kind, how many tests the block holds)."""
    per_file = [tests // files + (1 if i < tests % files else 0) for i in range(files)]
    plans: list[list[tuple[str, int]]] = []
    for f, count in enumerate(per_file):
        blocks: list[tuple[str, int]] = []
        left = count
        k = f  # each file starts elsewhere in the cycle
        while left > 0:
            kind = KINDS[k % len(KINDS)]
            size = {"param": len(AWKWARD), "class": 5}.get(kind, 1)
            size = min(size, left)
            blocks.append((kind, size))
            left -= size
            k += 1
        plans.append(blocks)
    return plans


def _write_block(out: _File, kind: str, size: int, n: int, failing: set[int], first: int) -> None:
    """Append one block of tests numbered from ``first`` (global index) to the file."""
    body = out.lines
    if kind == "plain":
        name = f"test_plain_{n}"
        body += [f"def {name}():", f"    total = sum(range({n % 50}))"]
        if first in failing:
            body += [f"    assert total == -1, 'total of range({n % 50}) is not negative'"]
        else:
            body += [f"    assert total == {sum(range(n % 50))}"]
        out.ids.append(f"{out.path}::{name}")
    elif kind == "param":
        values = AWKWARD[:size]
        bad = [v for i, v in enumerate(values) if first + i in failing]
        name = f"test_param_{n}"
        body += [f"@pytest.mark.parametrize('value', {values!r})", f"def {name}(value):"]
        body += [f"    assert value not in {bad!r}, f'bad value {{value!r}}'"]
        out.ids += [f"{out.path}::{name}[{_node_param_id(v)}]" for v in values]
    elif kind == "class":
        cls = f"TestGroup{n}"
        body += [f"class {cls}:", "    limit = 10", ""]
        for m in range(size):
            body += [f"    def test_method_{m}(self):"]
            if first + m in failing:
                body += [f"        raise ValueError('method {m} of {cls} broke')"]
            else:
                body += [f"        assert {m} < self.limit"]
            if m < size - 1:
                body += [""]
            out.ids.append(f"{out.path}::{cls}::test_method_{m}")
    else:
        name = f"test_fixtures_{n}"
        body += [f"def {name}(cart, user, db, settings, clock):", "    cart['items'].append(next(clock))"]
        expected = 0 if first in failing else 1
        body += [f"    assert len(cart['items']) == {expected}, cart", "    assert user in db['rows']"]
        out.ids.append(f"{out.path}::{name}")
    body += ["", ""]


def _policy(files: list[str]) -> str:
    lines = ["# Every file of the generated suite in its suite (written by benchmarks/suite.py).", ""]
    for suite, _ in SUITES:
        mine = sorted(f for f in files if f.startswith(f"tests/{suite}/"))
        lines += [f"[suite.{suite}]", f'description = "generated {suite} tests"', "files = ["]
        lines += [f'  "{f}",' for f in mine]
        lines += ["]", ""]
    return "\n".join(lines)


def write_suite(
    root: Path,
    tests: int = 10_000,
    files: int = 100,
    failure_rate: float = 0.0,
    durations: bool = False,
    policy: bool = False,
    seed: int = 8,
    failure_files: float = 1.0,
) -> GeneratedSuite:
    """Write the suite into ``root`` (emptied first); returns its node ids and failing ids.

    ``failure_files`` is the share of the files the failures are drawn from (1.0: any file).
    """
    if root.exists():
        shutil.rmtree(root)
    files = max(1, min(files, tests))
    rng = random.Random(seed)
    plans = _plan(tests, files)
    starts = [0]
    for blocks in plans:
        starts.append(starts[-1] + sum(size for _, size in blocks))
    broken = sorted(rng.sample(range(files), max(1, round(files * failure_files))))
    pool = [i for f in broken for i in range(starts[f], starts[f + 1])]
    failing_index = set(rng.sample(pool, min(len(pool), round(tests * failure_rate))))
    names = _file_names(files)
    suite = GeneratedSuite(root=root, files=names)
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    index = 0
    for name, blocks in zip(names, plans, strict=True):
        out = _File(name)
        for n, (kind, size) in enumerate(blocks):
            _write_block(out, kind, size, n, failing_index, index)
            failed = [out.ids[-size + i] for i in range(size) if index + i in failing_index]
            suite.failing.update(failed)
            index += size
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out.lines).rstrip() + "\n")
        suite.nodeids += out.ids
    if durations:
        # Lognormal seconds, as recorded by an earlier run: the shard plugins balance by them.
        recorded = {n: round(rng.lognormvariate(-6, 1.0), 6) for n in suite.nodeids}
        (root / DURATIONS_FILE).write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    if policy:
        suite.policy.write_text(_policy(names))
    return suite


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument(
        "--failure-files", type=float, default=1.0, help="share of files holding the failures"
    )
    parser.add_argument("--durations", action="store_true", help=f"write recorded {DURATIONS_FILE}")
    parser.add_argument("--policy", action="store_true", help=f"write {POLICY_FILE} classifying every file")
    args = parser.parse_args()
    suite = write_suite(
        args.root,
        args.tests,
        args.files,
        args.failure_rate,
        args.durations,
        args.policy,
        8,
        args.failure_files,
    )
    print(
        f"{len(suite.nodeids)} tests in {len(suite.files)} files, {len(suite.failing)} failing: {args.root}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
