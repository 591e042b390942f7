"""Gathers facts about a failure while its exception is live, on whichever process ran the test.

On an xdist worker the facts travel to the controller as a JSON-able report attribute
(``uok_failure``), the one deliberate extra attribute on reports. A single process takes them
from ``pytest_exception_interact`` instead (see FailureKeeper), which pytest calls for failures
only: no hook of ours then runs for the report of a passing phase.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

#: Longest exception message kept in the facts; the digest bounds it again when writing.
MAX_MESSAGE = 8192


def _relative(path: str, rootdir: str) -> str:
    try:
        rel = os.path.relpath(path, rootdir)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _where(
    excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item, message: str
) -> dict[str, Any] | None:
    """The deepest traceback entry in the test's own file, else in the project, else the last."""
    try:
        entries = list(excinfo.traceback)
    except Exception:
        return None
    if not entries:
        return None
    rootdir = str(item.config.rootpath)
    own = str(item.path)
    chosen = None
    for entry in reversed(entries):
        if str(entry.path) == own:
            chosen = entry
            break
    if chosen is None:
        for entry in reversed(entries):
            p = str(entry.path)
            if p.startswith(rootdir) and "site-packages" not in p:
                chosen = entry
                break
    if chosen is None:
        chosen = entries[-1]
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    if not first_line:
        try:
            first_line = str(chosen.statement).strip()
        except Exception:
            first_line = ""
    return {
        "path": _relative(str(chosen.path), rootdir),
        "line": chosen.lineno + 1,
        "message": first_line[:1024],
    }


def failure_facts(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException] | None) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if excinfo is None:
        return facts
    try:
        message = str(excinfo.value)
    except Exception as exc:  # a broken __str__ must not break the run
        message = f"<unprintable {excinfo.typename}: {type(exc).__name__}>"
    message = message[:MAX_MESSAGE]
    facts["exc_type"] = excinfo.typename
    facts["message"] = message
    where = _where(excinfo, item, message)
    if where:
        facts["where"] = where
    return facts


def add_extra_fields(config: pytest.Config, nodeid: str, facts: dict[str, Any]) -> None:
    """Put what the ``pytest_uok_digest_fields`` hooks add for ``nodeid`` under ``facts["extra"]``."""
    extra: dict[str, Any] = {}
    config.hook.pytest_uok_digest_fields(config=config, nodeid=nodeid, facts=extra)
    if extra:
        facts["extra"] = extra


class FailureFactsPlugin:
    """Attaches ``uok_failure`` to failing reports; registered on xdist workers only."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.outcome == "failed":  # every phase of every test passes here: no property call
            facts = failure_facts(item, call.excinfo)
            add_extra_fields(item.config, item.nodeid, facts)
            report.uok_failure = facts  # type: ignore[attr-defined]
        return report
