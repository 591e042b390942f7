"""``pytest-uok schema``: list, print, write or check the artifacts' JSON Schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pytest_uok.core import schema_files


def register(sub: Any) -> None:
    parser = sub.add_parser("schema", help="list, print, write or check the artifacts' JSON Schemas")
    parser.add_argument("name", nargs="?", help="print this schema (e.g. uok.summary.v1)")
    parser.add_argument("--write", metavar="DIR", help="write every schema file into DIR")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the shipped (or --write DIR) files drifted"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    texts = schema_files.generated()
    if args.check:
        stale = schema_files.drifted(Path(args.write) if args.write else schema_files.SCHEMA_DIR)
        for name in stale:
            print(f"out of date: {name} (regenerate with: pytest-uok schema --write DIR)", file=sys.stderr)
        return EXIT_FAILED if stale else EXIT_OK
    if args.write:
        for path in schema_files.write_all(Path(args.write)):
            print(f"wrote {path}")
        return EXIT_OK
    if args.name:
        wanted = args.name if args.name.endswith(".json") else f"{args.name}.json"
        if wanted not in texts:
            known = ", ".join(n.removesuffix(".json") for n in sorted(texts))
            print(f"pytest-uok schema: unknown schema {args.name!r}; known: {known}", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.write(texts[wanted])
        return EXIT_OK
    for name in sorted(texts):
        print(name.removesuffix(".json"))
    return EXIT_OK
