"""A pytest plugin for instructions.py: dumps callgrind's counters at each phase of the session.

Loaded with ``-p callgrind_phases`` in a session run under ``valgrind --tool=callgrind``; every
dump holds the instructions since the one before, so the dumps split the session into its
start (interpreter, plugins, configuration), collection, the tests, the session end, and the
exit (unconfiguration and interpreter shutdown, in the final file callgrind writes itself).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator

import pytest

#: The phases in the order their dumps are taken ("finish" is the session end); the file
#: callgrind writes when the process ends holds "exit".
PHASES = ("start", "collection", "tests", "finish", "exit")


def _dump(phase: str) -> None:
    # callgrind_control asks the running valgrind for a dump and waits until it is written.
    subprocess.run(
        ["callgrind_control", "--dump=" + phase, str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _dump("start")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    _dump("collection")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    _dump("tests")
    try:
        return (yield)
    finally:
        _dump("finish")
