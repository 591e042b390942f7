"""Writes metrics.prom, report.md and report.html at session end, and pushes the metrics (controller only)."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gc_pause import paused_gc
from pytest_uok.core.runinfo import SUMMARY
from pytest_uok.core.settings import Settings
from pytest_uok.recording import RecordingPlugin

if TYPE_CHECKING:
    from pytest_uok.core.reports import Rendered


class ObservePlugin:
    """Renders the human and Prometheus views of the run after every other artifact is written."""

    def __init__(self, config: pytest.Config, settings: Settings, recording: RecordingPlugin) -> None:
        self.config = config
        self.settings = settings
        self.recording = recording
        self.rendered: Rendered | None = None
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.pushed: str | None = None

    # A trylast wrapper: its second half runs after every plain sessionfinish implementation
    # (the recording's artifacts, gating and its exit code), but inside the terminal
    # reporter's wrapper, so the terminal summary can still say what happened.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Generator[None, Any, Any]:
        result = yield
        with paused_gc():  # the reports of 100k tests: a burst of acyclic objects
            self.finish()
        return result

    def finish(self) -> None:
        if not self.settings.artifacts or self.recording.info is None:
            return
        folder = self.recording.out_dir
        if SUMMARY not in self.recording.written or not self._written_this_session(folder / SUMMARY):
            # Whatever summary.json is there belongs to an earlier run: report nothing rather
            # than the wrong run (the recording already said why the write failed).
            self.errors.append("reports not written: this run's summary.json was not written")
            return
        try:
            self.rendered = self._render(folder)
        except UokInputError as exc:
            self.errors.append(f"reports not written: {exc.message}")
            return
        except Exception as exc:  # a report must never turn a run's result around
            self.errors.append(f"reports not written: rendering failed: {exc!r}")
            return
        self.errors.extend(self.rendered.errors)
        self._step_summary()
        if self.settings.pushgateway:
            self._push(self.settings.pushgateway)

    def _render(self, folder: Path) -> Rendered:
        from pytest_uok.core.reports import render_reports

        written = self.recording.written_summary()
        if written is None:
            # The written summary is not the one in memory (redacted, repaired or written from
            # someone else's hook): render what the file says, never a secret it no longer has.
            return render_reports(folder)
        return render_reports(folder, written.summary, written.tests)

    def _written_this_session(self, path: Path) -> bool:
        try:
            modified = path.stat().st_mtime
        except OSError:
            return False
        return modified >= self.recording.started_at.timestamp() - 1.0

    def _step_summary(self) -> None:
        from pytest_uok.core.reports import append_step_summary

        assert self.rendered is not None
        try:
            append_step_summary(self.rendered.markdown)
        except OSError as exc:
            self.errors.append(
                f"could not append the report to $GITHUB_STEP_SUMMARY "
                f"({os.environ.get('GITHUB_STEP_SUMMARY')}): {exc.strerror or exc}"
            )

    def _push(self, gateway: str) -> None:
        from pytest_uok.core.metrics import describe_push_error, grouping_key, push_metrics, shown_gateway

        assert self.rendered is not None
        view = self.rendered.view
        job = self.settings.pushgateway_job
        events = self.recording.events
        shown = shown_gateway(gateway)
        try:
            push_metrics(view, gateway, job=job, timeout=self.settings.pushgateway_timeout_s)
        except Exception as exc:  # unreachable, refused, timed out, HTTP error: all only warn
            reason = describe_push_error(exc)
            self.warnings.append(
                f"could not push metrics to the Pushgateway {shown}: {reason} "
                "(the test run's result is not affected; metrics.prom has them)"
            )
            if events is not None:
                events.emit("metrics_push_failed", gateway=shown, job=job, error=reason)
            return
        self.pushed = f"{shown} (job {job}, shard {view.shard_label})"
        if events is not None:
            events.emit("metrics_pushed", gateway=shown, job=job, grouping_key=grouping_key(view))

    def _shown(self, path: Path) -> str:
        try:
            rel = os.path.relpath(path, self.config.invocation_params.dir)
        except ValueError:
            return str(path)
        return str(path) if rel.startswith("..") else rel

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tr = terminalreporter
        if self.rendered is not None and self.rendered.written:
            html = next((p for p in self.rendered.written if p.suffix == ".html"), None)
            if html is not None:
                tr.write_line(f"report: {self._shown(html)}")
        if self.settings.pushgateway and not self.settings.artifacts:
            tr.write_line(
                "uok warning: metrics not pushed: artifacts are off (--uok-no-artifacts)", yellow=True
            )
        if self.pushed:
            tr.write_line(f"metrics pushed to {self.pushed}")
        for warning in self.warnings:
            tr.write_line(f"uok warning: {warning}", yellow=True)
        for error in self.errors:
            tr.write_line(f"uok: {error}", red=True)
