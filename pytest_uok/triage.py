"""``--uok-diff-from``: compare the run with a baseline run, write triage_diff.json, say what changed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import pytest_uok.core.artifacts as art
from pytest_uok import options
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.history import baseline_run, flaky_note, read_history, snapshot_at
from pytest_uok.core.models.history import History
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.models.triage import Thresholds, TriageDiff
from pytest_uok.core.readback import load_baseline
from pytest_uok.core.records import TestRecord
from pytest_uok.core.sanitize import printable
from pytest_uok.core.triage import (
    DEFAULT_THRESHOLDS,
    TRIAGE_DIFF,
    DiffInputs,
    Snapshot,
    diff,
    headline,
    snapshot_of,
)
from pytest_uok.history import HistoryPlugin
from pytest_uok.recording import RecordingPlugin
from pytest_uok.stash import RECORDING

PLUGIN_NAME = "uok-triage"
#: The value of --uok-diff-from that picks the baseline from the history.
LAST = "last"
#: How many ranked diagnostics the terminal section lists.
SHOWN = 5
#: Longest failure description copied into a diagnostic.
MAX_DETAIL = 200


@dataclass(frozen=True)
class TriageOptions:
    """The diff settings of a session, after precedence was applied."""

    #: The baseline's summary.json or artifact folder (None: no diff, or ``last``).
    diff_from: Path | None
    #: ``--uok-diff-from last``: the last run of the same selection on the same branch, from the history.
    last: bool
    #: How the option was given, for messages: ``--uok-diff-from``, ``ini key uok_diff_from``, ...
    source: str
    thresholds: Thresholds
    blocking_suites: frozenset[str] | None


def _where(source: str, flag: str, ini: str) -> str:
    if source == "cli":
        return flag
    if source.startswith("env:"):
        return f"environment variable {source[4:]}"
    return f"ini key {ini}"


def resolve(config: pytest.Config) -> TriageOptions:
    value, source = options.raw_value(config, "uok_diff_from")
    path = None
    last = bool(value) and str(value).strip().lower() == LAST
    if value and not last:
        path = Path(str(value))
        if not path.is_absolute():
            base = config.invocation_params.dir if source != "ini" else config.rootpath
            path = base / path
    factor, _ = options.raw_value(config, "uok_slower_factor")
    test_floor, _ = options.raw_value(config, "uok_slower_test_floor")
    suite_floor, _ = options.raw_value(config, "uok_slower_suite_floor")
    suites, _ = options.raw_value(config, "uok_blocking_suites")
    names = frozenset(n.strip() for n in str(suites or "").split(",") if n.strip())
    return TriageOptions(
        diff_from=path,
        last=last,
        source=_where(source, "--uok-diff-from", "uok_diff_from"),
        thresholds=Thresholds(
            factor=factor if factor is not None else DEFAULT_THRESHOLDS.factor,
            test_floor_s=test_floor if test_floor is not None else DEFAULT_THRESHOLDS.test_floor_s,
            suite_floor_s=suite_floor if suite_floor is not None else DEFAULT_THRESHOLDS.suite_floor_s,
        ),
        blocking_suites=names or None,
    )


def shown(config: pytest.Config, path: Path) -> str:
    """A path as the user would type it from the folder pytest was started in."""
    try:
        rel = os.path.relpath(path, config.invocation_params.dir)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


@dataclass
class Baseline:
    """A baseline run ready to diff against, and the file it came from."""

    snapshot: Snapshot
    source: str
    path: str | None


def load_explicit_baseline(config: pytest.Config, opts: TriageOptions, typed: Path) -> Baseline:
    """The baseline named by the option (``typed``, as the user wrote it), validated.

    A bad file is a one-paragraph usage error naming the file and the field.
    """
    try:
        file, summary = load_baseline(typed)
    except UokInputError as exc:
        raise pytest.UsageError(f"pytest-uok: {opts.source}: {exc.message}") from None
    return Baseline(snapshot_of(summary), "summary", shown(config, file))


class TriagePlugin:
    """Diffs the run with its baseline as summary.json is built, and writes triage_diff.json."""

    def __init__(
        self,
        config: pytest.Config,
        opts: TriageOptions,
        baseline: Baseline | None,
        history: HistoryPlugin | None = None,
    ) -> None:
        self.config = config
        self.opts = opts
        self.baseline = baseline
        self.history = history
        self.triage: TriageDiff | None = None
        self.written: str | None = None
        self.error: str | None = None
        #: Why there was nothing to compare with (``last`` found no earlier run).
        self.note: str | None = None
        self._kept: tuple[History | None, str | None] | None = None

    def _from_history(self) -> Baseline | None:
        """The last run of the same selection on the same branch that ran to its end."""
        assert self.history is not None
        path = self.history.opts.path
        history, problem = self._history()
        label = self.history.label()
        index = baseline_run(history, label.branch, label.selection)
        if history is None or index is None:
            branch = f"branch {label.branch}" if label.branch else "an unknown branch"
            self.note = (
                f"nothing to compare with: the history ({shown(self.config, path)}) has no earlier "
                f"run of this selection on {branch}" + (f" ({problem})" if problem else "")
            )
            return None
        return Baseline(snapshot_at(history, index), "history", shown(self.config, path))

    def _history(self) -> tuple[History | None, str | None]:
        if self._kept is None:
            self._kept = read_history(self.history.opts.path) if self.history is not None else (None, None)
        return self._kept

    def _recording(self) -> RecordingPlugin | None:
        return self.config.stash.get(RECORDING, None)

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        if self.baseline is None:
            return None
        return f"uok: comparing with run {self.baseline.snapshot.run_id} ({self.baseline.path})"

    def pytest_uok_summary(self, config: pytest.Config, summary: Summary) -> None:
        recording = self._recording()
        if recording is None or recording.info is None:
            return
        try:
            baseline = self.baseline
            if baseline is None and self.history is not None:
                baseline = self.baseline = self._from_history()
            if baseline is None:
                return
            self.triage = self.compare(recording, summary, baseline)
        except Exception as exc:  # the comparison must never turn the run's result around
            recording.internal_error("comparing with the baseline", exc)
            return
        summary.triage_diff = self.triage.summary

    def compare(self, recording: RecordingPlugin, summary: Summary, baseline: Baseline) -> TriageDiff:
        assert recording.info is not None
        details: dict[str, str] = {}
        history, _problem = self._history()
        for _, rec in recording.recorder.tests():
            if not isinstance(rec, TestRecord) or rec.failure is None:
                continue  # a test kept as its seconds passed
            facts = rec.failure
            exc_type = str(facts.get("exc_type") or "")
            lines = str(facts.get("message") or "").strip().splitlines()
            text = ": ".join(part for part in (exc_type, lines[0] if lines else "") if part)
            text = printable(recording.redactor.redact(text), MAX_DETAIL)
            # A failure the history has seen come and go is worth saying so: maybe not this change.
            note = flaky_note(history, rec.nodeid)
            details[rec.nodeid] = f"{text}; {note}" if text and note else text or note
        inputs = DiffInputs(
            thresholds=self.opts.thresholds,
            blocking_suites=self.opts.blocking_suites,
            command=recording.info.launcher.test_command,
            details=details,
            source=baseline.source,
            path=baseline.path,
        )
        return diff(baseline.snapshot, snapshot_of(summary, tests=recording.entries()), inputs)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        recording = self._recording()
        if self.triage is None or recording is None:
            return
        error = art.write_model(recording.out_dir, TRIAGE_DIFF, self.triage, recording.redactor.scrub)
        if error:
            self.error = error
            return
        self.written = shown(self.config, recording.out_dir / TRIAGE_DIFF)
        if recording.events is not None:
            s = self.triage.summary
            recording.events.emit(
                "triage",
                status=self.triage.status,
                baseline_run_id=self.triage.baseline.run_id,
                regression_count=s.regression_count,
                new_failure_count=s.new_failure_count,
                fixed_count=s.fixed_count,
            )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tr = terminalreporter
        triage = self.triage
        if triage is None and self.error is None and self.note is None:
            return
        tr.section("pytest-uok triage", sep="-", bold=True)
        if self.note:
            tr.write_line(f"uok: {self.note}")
        if self.error:
            tr.write_line(f"uok: {self.error}", red=True)
        if triage is None:
            return
        colour = {"regression": {"red": True, "bold": True}, "known_failures_only": {"yellow": True}}
        tr.write_line(printable(headline(triage), 1000), **colour.get(triage.status, {"green": True}))
        for d in triage.ranked_diagnostics[:SHOWN]:
            subject = d.nodeid or f"suite {d.suite}"
            detail = f" ({d.detail})" if d.detail else ""
            tr.write_line(printable(f"{d.severity} {d.kind} {subject}: {d.change}{detail}", 1000))
        more = len(triage.ranked_diagnostics) - SHOWN
        if more > 0:
            tr.write_line(f"... and {more} more in the triage file")
        runner = triage.recommended_commands.runner_repro_command
        if runner:
            tr.write_line(f"reproduce: {printable(runner, 100_000)}")
        if self.written:
            tr.write_line(f"triage file: {self.written}")
