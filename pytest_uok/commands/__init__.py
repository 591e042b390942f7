"""Subcommands of the ``pytest-uok`` command line, one module each."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Exit codes of the command line, following pytest's where they mean the same.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 4


def argument_type(parse: Callable[[str, str], T], flag: str) -> Callable[[str], T]:
    """An argparse ``type=`` from a settings parser: its ValueError becomes argparse's usage error."""

    def convert(value: str) -> T:
        try:
            return parse(value, flag)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert
