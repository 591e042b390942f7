"""``pytest-uok classify``: propose a suite for every unclassified test file, and add them with --write."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pytest_uok.core.classify import propose_suite, stale_pairs
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.policy import DEFAULT_POLICY, load_policy
from pytest_uok.core.policy_edit import add_suite_files, read_for_edit, remove_suite_entries, write_policy
from pytest_uok.stash import ITEM_SUITE

#: The suites proposed when the policy file defines none yet.
DEFAULT_SUITES = ("unit", "vcr", "e2e")


class _Collector:
    """Notes every collected file, whether it has a suite, and its tests' markers."""

    def __init__(self) -> None:
        self.suites: dict[str, str | None] = {}
        self.markers: dict[str, set[str]] = {}
        self.rootdir = Path.cwd()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        self.rootdir = config.rootpath
        for item in items:
            file = item.nodeid.split("::", 1)[0]
            suite = item.stash.get(ITEM_SUITE, None)
            if self.suites.get(file) is None:
                self.suites[file] = suite
            self.markers.setdefault(file, set()).update(m.name for m in item.iter_markers())


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "classify", help="propose a suite for every unclassified test file; report stale entries"
    )
    parser.add_argument("--policy", default=DEFAULT_POLICY, help=f"the policy file ({DEFAULT_POLICY})")
    parser.add_argument(
        "--write", action="store_true", help="add the proposals to the policy file and remove stale entries"
    )
    parser.add_argument("pytest_args", nargs="*", help="arguments for collection (paths, -k, ...)")
    parser.set_defaults(func=run)


def collect(policy_path: Path, pytest_args: list[str]) -> tuple[_Collector, int, str]:
    collector = _Collector()
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "--uok-no-artifacts"]
    if policy_path.exists():
        args += ["--uok-policy", str(policy_path)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pytest.main([*args, *pytest_args], plugins=[collector])
    return collector, int(code), out.getvalue()


def run(args: argparse.Namespace) -> int:
    path = Path(args.policy)
    try:
        policy = load_policy(path)
    except UokInputError as exc:
        print(f"pytest-uok classify: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    collector, code, output = collect(path, list(args.pytest_args))
    if code not in (0, 5):
        sys.stdout.write(output)
        print(f"pytest-uok classify: collection failed (exit {code})", file=sys.stderr)
        return EXIT_USAGE if code == 4 else EXIT_FAILED
    known = list(policy.suite) if policy is not None and policy.suite else list(DEFAULT_SUITES)
    proposals: dict[str, list[str]] = {}
    for file in sorted(collector.suites):
        if collector.suites[file] is None:
            suite = propose_suite(file, collector.markers.get(file, set()), known)
            proposals.setdefault(suite, []).append(file)
            print(f"{file} -> {suite}")
    stale = stale_pairs(policy, collector.rootdir) if policy is not None else []
    for name, entry in stale:
        print(f"stale: suite.{name}: {entry} names no existing file")
    if not proposals and not stale:
        print(f"every collected test file is classified in {path}")
        return EXIT_OK
    count = sum(len(v) for v in proposals.values())
    if not args.write:
        print(
            f"{count} unclassified file(s), {len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'}; "
            "fix them with: pytest-uok classify --write"
        )
        return EXIT_FAILED
    try:
        text, _ = read_for_edit(path)
        text = remove_suite_entries(text, path, stale)
        write_policy(path, add_suite_files(text, path, proposals))
    except UokInputError as exc:
        print(f"pytest-uok classify: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"added {count} file(s) to {path}, removed {len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'}"
    )
    return EXIT_OK
