"""The ``pytest-uok`` command: work on artifacts without running tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_uok import __version__
from pytest_uok.core import schema_files

#: Exit codes of the command line, following pytest's where they mean the same.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 4


def _schema(args: argparse.Namespace) -> int:
    texts = schema_files.generated()
    if args.check:
        stale = schema_files.drifted(Path(args.write) if args.write else schema_files.SCHEMA_DIR)
        for name in stale:
            print(f"out of date: {name}", file=sys.stderr)
        return EXIT_FAILED if stale else EXIT_OK
    if args.write:
        for path in schema_files.write_all(Path(args.write)):
            print(f"wrote {path}")
        return EXIT_OK
    if args.name:
        wanted = args.name if args.name.endswith(".json") else f"{args.name}.json"
        if wanted not in texts:
            print(
                f"pytest-uok schema: unknown schema {args.name!r}; known: "
                + ", ".join(n.removesuffix(".json") for n in sorted(texts)),
                file=sys.stderr,
            )
            return EXIT_USAGE
        sys.stdout.write(texts[wanted])
        return EXIT_OK
    for name in sorted(texts):
        print(name.removesuffix(".json"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-uok", description="Work with pytest-uok artifacts without running tests."
    )
    parser.add_argument("--version", action="version", version=f"pytest-uok {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    schema = sub.add_parser("schema", help="list, print or write the JSON Schemas of the artifacts")
    schema.add_argument("name", nargs="?", help="print this schema (e.g. uok.summary.v1)")
    schema.add_argument("--write", metavar="DIR", help="write every schema file into DIR")
    schema.add_argument(
        "--check", action="store_true", help="exit 1 if the shipped (or --write DIR) files drifted"
    )
    schema.set_defaults(func=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
