"""Keeps each failing test's facts on its record and sends its ``test_failure`` event.

A failure's facts come in two parts: the report's (the attempt, the captured output) when it is
logged, and its live exception's (type, message, the failing line, the digest extras) from
``pytest_exception_interact``, which pytest calls right after for failures only. The event
waits for the second part so that it can name the exception's type; a failure no exception
comes for (an XPASS(strict)) is sent at the next report or at the session end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_uok.core.attempts import RERUN
from pytest_uok.core.events import EventStream
from pytest_uok.core.records import RunRecorder, TestRecord
from pytest_uok.core.sanitize import printable
from pytest_uok.failure_facts import add_extra_fields, failure_facts
from pytest_uok.xdist_role import is_xdist_controller


class FailureKeeper:
    """The failure half of the recording: facts on records, events in order, tracebacks last."""

    def __init__(
        self,
        config: pytest.Config,
        recorder: RunRecorder,
        internal_error: Callable[[str, BaseException], None],
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.internal_error = internal_error
        #: The run's event stream, once the session has started one.
        self.events: EventStream | None = None
        #: A failure of this process just recorded, with its facts, whose exception's facts come
        #: next, from pytest_exception_interact (its event waits for them).
        self.awaiting: tuple[pytest.TestReport, dict[str, Any]] | None = None
        #: Whether ``settle`` has anything to do at the next report: read once per report.
        self.pending = False
        #: The report behind each record's failure facts, whose traceback text is rendered last.
        self._reports: dict[str, pytest.TestReport] = {}
        #: The test whose retried attempts' events are deferred (see keep).
        self._deferred_for: str | None = None
        #: Whether the tests run on xdist workers: a report without facts (a crashed worker's
        #: test) gets none here, where the failure did not happen.
        self._tests_run_elsewhere = is_xdist_controller(config)

    def settle(self, nodeid: str) -> None:
        """Before ``nodeid``'s report is recorded: send what can no longer wait."""
        if self.awaiting is not None:  # no exception came for the last failure
            self._emit(*self.awaiting)
        if self._deferred_for is not None and nodeid != self._deferred_for:
            self.flush()
        self.pending = self._deferred_for is not None

    def flush(self) -> None:
        """Send every event still held back (before a checkpoint, at the session end)."""
        if self.awaiting is not None:
            self._emit(*self.awaiting)
        self._deferred_for = None
        self.pending = False
        if self.events is not None:
            self.events.flush()

    def keep(self, rec: TestRecord, report: pytest.TestReport) -> None:
        """Put the facts of a failing (or protected) report on its test's record."""
        # The first failure of the deciding attempt explains the test; later phases only add.
        if rec.failure is not None and rec.failure.get("attempt") == len(rec.attempts):
            return
        # Facts gathered before the report was logged: on the xdist worker that ran the test, or
        # by exception_interact when a rerun plugin logs its reports itself.
        sent = report.__dict__.get("uok_failure")
        facts: dict[str, Any] = dict(sent or {})
        # Gathered here: the extras now, the exception's facts when pytest shows it.
        local = sent is None and not self._tests_run_elsewhere
        if local:
            add_extra_fields(self.config, rec.nodeid, facts)
        facts["attempt"] = len(rec.attempts)
        # The traceback's text is rendered at session end, for the failure that explains the
        # test: a test rerun twice would otherwise render it for every failed attempt.
        facts["longrepr"] = ""
        self._reports[rec.nodeid] = report
        facts["stdout"] = report.capstdout
        facts["stderr"] = report.capstderr
        facts["log"] = report.caplog
        rec.failure = facts
        if local:
            self.awaiting = (report, facts)
            self.pending = True
        else:
            self._emit(report, facts)

    def exception_interact(self, node: pytest.Item, call: pytest.CallInfo[Any], report: Any) -> None:
        """The live exception of a failing report: its facts join the report's."""
        # Normally right after the report is logged, but before it when a rerun plugin logs its
        # reports itself: the facts then travel on the report, as a worker's do.
        awaiting = self.awaiting if self.awaiting and self.awaiting[0] is report else None
        try:
            facts = failure_facts(node, call.excinfo)
            if awaiting is not None:
                awaiting[1].update(facts)
            elif "uok_failure" not in report.__dict__:
                add_extra_fields(self.config, node.nodeid, facts)
                report.uok_failure = facts
        except Exception as exc:
            self.internal_error(f"reading the failure of {printable(node.nodeid)}", exc)
        if awaiting is not None:
            self._emit(*awaiting)

    def render_tracebacks(self) -> None:
        """Put each kept failure's traceback text into its facts (see keep)."""
        records = self.recorder.records
        for nodeid, report in self._reports.items():
            rec = records.get(nodeid)
            if rec is not None and rec.failure is not None:
                rec.failure["longrepr"] = report.longreprtext
        self._reports.clear()

    def _emit(self, report: pytest.TestReport, facts: dict[str, Any]) -> None:
        self.awaiting = None
        self.pending = self._deferred_for is not None
        if self.events is None:
            return
        # An attempt that will run again: its event waits for the test's next one (or the
        # next test's first report), so a test failing three times takes the lock once.
        deferred = report.outcome == RERUN
        self.events.emit(
            "test_failure",
            deferred=deferred,
            nodeid=report.nodeid,
            when=report.when,
            exc_type=facts.get("exc_type"),
        )
        if deferred:
            self._deferred_for = report.nodeid
            self.pending = True
