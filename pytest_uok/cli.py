"""The ``pytest-uok`` command: work on artifacts and the policy file without running tests.

Each subcommand lives in its own module under ``pytest_uok.commands`` and registers itself
through a ``register(subparsers)`` function listed in ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType

from pytest_uok import __version__
from pytest_uok.commands import audit, classify, gate, history, merge, quarantine, report, schema

#: Subcommand modules, in the order ``pytest-uok --help`` lists them.
SUBCOMMANDS: list[ModuleType] = [schema, gate, classify, quarantine, audit, merge, report, history]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-uok",
        description="Work with pytest-uok artifacts and policy files without running tests.",
    )
    parser.add_argument("--version", action="version", version=f"pytest-uok {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
