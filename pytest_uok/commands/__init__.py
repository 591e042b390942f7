"""Subcommands of the ``pytest-uok`` command line, one module each."""

from __future__ import annotations

#: Exit codes of the command line, following pytest's where they mean the same.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 4
