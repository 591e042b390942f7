"""Records every report of a session and writes the run's artifacts (controller only)."""

from __future__ import annotations

import ast
import os
import sys
import time
import uuid
from collections.abc import Generator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from pytest_uok.core import runinfo as run
from pytest_uok.core.atomic import ensure_artifact_folder
from pytest_uok.core.commands import Launcher, kept_options, launcher_argv0
from pytest_uok.core.environment import allowed_variables, branch_name, git_state, platform_string
from pytest_uok.core.events import EventStream
from pytest_uok.core.gc_pause import freeze_heap, paused_gc
from pytest_uok.core.outcomes import FAILING_OUTCOMES, PROTECTED_OUTCOMES
from pytest_uok.core.records import RunRecorder, TestRecord
from pytest_uok.core.redact import Redactor
from pytest_uok.core.sanitize import printable
from pytest_uok.core.settings import Settings
from pytest_uok.core.summary_file import WrittenSummary, summary_values, write_summary
from pytest_uok.failure_keeping import FailureKeeper

if TYPE_CHECKING:
    # The artifact models load when the artifacts are built, at session end (see core/runinfo).
    from pytest_uok.core.models.common import ArtifactModelBase, ShardContext
    from pytest_uok.core.models.summary import Summary
    from pytest_uok.core.runview import TestFacts
    from pytest_uok.core.summary_file import EntryView

SubtestReport: Any = getattr(pytest, "SubtestReport", None)
#: At most this many internal errors are kept, each at most this long.
MAX_INTERNAL_ERRORS = 20
MAX_INTERNAL_ERROR = 500

#: Report outcomes whose failure facts are kept: failures, and those a quarantine or waiver protected.
KEPT_REPORT_OUTCOMES = frozenset({"failed"}) | PROTECTED_OUTCOMES


def _unrepr(value: Any) -> Any:
    try:
        inner = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value
    return inner if isinstance(inner, str) else value


def _subtest_description(report: Any) -> str:
    context = getattr(report, "context", None)
    parts = []
    msg = getattr(context, "msg", None)
    if msg is not None:
        parts.append(f"[{msg}]")
    kwargs = getattr(context, "kwargs", None) or {}
    if kwargs:
        # A report that crossed from an xdist worker had its values repr'd twice on the way;
        # undo one layer so descriptions are the same with and without xdist.
        if hasattr(report, "node"):
            kwargs = {k: _unrepr(v) for k, v in kwargs.items()}
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")")
    return " ".join(parts) or "(<subtest>)"


def _plugin_names(config: pytest.Config) -> list[str]:
    names = set()
    for _plugin, dist in config.pluginmanager.list_plugin_distinfo():
        names.add(f"{dist.project_name}-{dist.version}")
    return sorted(names)


def _is_ours(plugin: object) -> bool:
    """Whether a hook implementation belongs to one of pytest-uok's own plugin objects."""
    return type(plugin).__module__.startswith("pytest_uok.")


def _count_passed_subtests(config: pytest.Config) -> bool:
    # pytest hides passed subtests from its closing line only at verbosity exactly 0.
    try:
        return config.get_verbosity("subtests") != 0
    except (ValueError, KeyError, AttributeError):
        return config.get_verbosity() != 0


class RecordingPlugin:
    """Turns reports into records, streams events, and writes the artifacts at session end."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.recorder = RunRecorder(count_passed_subtests=_count_passed_subtests(config))
        self.redactor = Redactor(os.environ, max_chars=settings.excerpt_chars)
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        self.started_at = datetime.now(timezone.utc)
        #: The shard's context, set by the shard plugin (None: not sharded).
        self.shard: ShardContext | None = None
        self.info: run.RunInfo | None = None
        self.events: EventStream | None = None
        self.write_errors: list[str] = []
        self.internal_errors: list[str] = []
        self.written: list[str] = []
        self.out_dir = settings.out_dir
        self.unfinished: set[str] = set()
        self._checkpoint_s = settings.checkpoint_s
        self._next_checkpoint = time.monotonic() + settings.checkpoint_s
        #: The summary model written at session end (its ``tests`` empty when written from records).
        self.summary: Summary | None = None
        #: The sha256 of summary.json's bytes as written, set only when the file holds exactly
        #: ``summary`` and the recorder's entries (see ``written_summary``).
        self.summary_sha256: str | None = None
        self._entries_in_model = False
        #: The summary being built at session end, as the ``pytest_uok_summary`` hooks see it.
        self.summary_model: Summary | None = None
        self._entries: list[EntryView] | None = None
        #: Whether this plugin froze the heap at session end (thawed at unconfigure).
        self.heap_frozen = False
        self.failures = FailureKeeper(config, self.recorder, self.internal_error)

    # -- facts gathered once ------------------------------------------------------------

    def _launcher(self) -> Launcher:
        params = self.config.invocation_params
        args = [str(a) for a in params.args]
        kept = kept_options(args, [str(a) for a in self.config.args])
        seed = getattr(self.config.option, "randomly_seed", None)
        if isinstance(seed, int) and not any(k.startswith("--randomly-seed") for k in kept):
            kept.append(f"--randomly-seed={seed}")
        return Launcher(
            argv0=launcher_argv0(sys.argv[0] if sys.argv else "pytest"),
            kept=tuple(kept),
            rootdir=str(self.config.rootpath),
            invocation_dir=str(params.dir),
        )

    def _environment(self) -> dict[str, Any]:
        """The fields of the environment block (``EnvironmentBlock``), as plain values."""
        git = git_state(str(self.config.rootpath))
        seed = getattr(self.config.option, "randomly_seed", None)
        workers = getattr(self.config.option, "numprocesses", None)
        shard = self.shard
        return {
            "git_sha": git.sha,
            "git_dirty": git.dirty,
            "git_branch": branch_name(git.branch),
            "python": sys.version.split()[0],
            "pytest": pytest.__version__,
            "platform": platform_string(),
            "plugins": _plugin_names(self.config),
            "seed": seed if isinstance(seed, int) else None,
            "xdist_workers": workers if isinstance(workers, int) else None,
            "shard_kind": shard.kind if shard is not None else "none",
            "shard_index": shard.index if shard is not None else 0,
            "shard_total": shard.total if shard is not None else 1,
            "rootdir": str(self.config.rootpath),
        }

    # -- session hooks ------------------------------------------------------------------

    def internal_error(self, what: str, exc: BaseException) -> None:
        """Note a fault of the plugin itself: reported, and the artifacts marked incomplete.

        A fault in the recorder never changes the session's exit status (a green run stays
        green, a red one red); the terminal and summary.json (complete: false) say what failed.
        """
        line = f"{what} failed: {type(exc).__name__}: {exc}"[:MAX_INTERNAL_ERROR]
        if line not in self.internal_errors and len(self.internal_errors) < MAX_INTERNAL_ERRORS:
            self.internal_errors.append(line)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            self._start()
        except Exception as exc:
            self.internal_error("starting the run record", exc)

    def _start(self) -> None:
        self.info = run.RunInfo(
            run_id=self.run_id,
            started_at=self.started_at,
            rootdir=str(self.config.rootpath),
            # Arguments can carry credentials (a gateway URL with user:password@): redact them.
            invocation=[self.redactor.redact(str(a)) for a in self.config.invocation_params.args],
            launcher=self._launcher(),
            environment=self._environment(),
            shard=self.shard,
            out_dir=self.out_dir,
            variables=allowed_variables(),
        )
        if not self.settings.artifacts:
            return
        self.events = EventStream(self.out_dir / run.EVENTS, self.run_id, self.redactor.scrub)
        self.failures.events = self.events
        try:
            ensure_artifact_folder(self.out_dir)
        except OSError as exc:
            self.write_errors.append(f"could not create {self.out_dir}: {exc.strerror or exc}")
            return
        env = self.info.environment
        self.events.emit(
            "session_start",
            invocation=self.info.invocation,
            rootdir=self.info.rootdir,
            shard={"index": env["shard_index"], "total": env["shard_total"]},
        )
        self._write_summary_only(complete=False)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        try:
            self._record_collect_report(report)
        except Exception as exc:
            self.internal_error("recording a collection report", exc)

    def _record_collect_report(self, report: pytest.CollectReport) -> None:
        if report.passed:
            return
        # Import errors quote the failing line: a secret in it must not reach summary.json.
        message = self.redactor.redact(report.longreprtext) if report.failed else ""
        self.recorder.add_collect_report(report.nodeid, report.outcome, message)
        if report.failed and self.events is not None:
            self.events.emit("collection_error", nodeid=report.nodeid)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.recorder.deselected(len(items))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Once per phase of every test, so it reads each report attribute once, and the usual
        # absent ones from the report's __dict__ (much cheaper than getattr with a default).
        nodeid = report.nodeid
        when = report.when
        if self.failures.pending:
            self.failures.settle(nodeid)
        # Tests between their setup and teardown reports: if the run ends there (interrupt,
        # kill), their records hold a passed setup and must not be reported as passed tests.
        if when == "setup":
            self.unfinished.add(nodeid)
        elif when != "call":
            self.unfinished.discard(nodeid)
        try:
            self._record_test_report(report, nodeid, when)
        except Exception as exc:
            self.internal_error(f"recording the report of {printable(nodeid)}", exc)

    def _record_test_report(self, report: pytest.TestReport, nodeid: str, when: str) -> None:
        subtest = None
        plain = report.__class__ is pytest.TestReport
        if not plain and SubtestReport is not None and isinstance(report, SubtestReport):
            subtest = _subtest_description(report)
        extra = report.__dict__
        reported = report.outcome
        # uok_outcome / uok_category: set where a rerun or a quarantine changed the report.
        outcome = extra.get("uok_outcome") or reported
        rec = self.recorder.add_test_report(
            nodeid,
            when,
            outcome,
            report.duration,
            "wasxfail" in extra,
            subtest,
            True if plain else report.count_towards_summary,
            extra.get("uok_attempt", 1),
            extra.get("uok_category"),
        )
        # A protected failure (report outcome "quarantined" / "waived") is recorded in full too.
        if (reported in KEPT_REPORT_OUTCOMES or outcome != reported) and subtest is None:
            self.failures.keep(rec or self.recorder.records[nodeid], report)
        # Not between a failure and its exception's facts: the next report checkpoints instead.
        due = self._checkpoint_s and time.monotonic() >= self._next_checkpoint
        if due and self.failures.awaiting is None:
            self._next_checkpoint = time.monotonic() + self._checkpoint_s
            self.failures.flush()
            self._write_summary_only(complete=False)

    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any], report: Any
    ) -> None:
        if isinstance(node, pytest.Item):
            self.failures.exception_interact(node, call, report)

    @pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_sessionfinish")
    def pytest_sessionfinish_on_a_frozen_heap(self) -> Generator[None, None, None]:
        # Before any plugin's session end (the artifacts, the waiver audit, the history, the
        # gates, the reports): each allocates in bursts, and a full collection those trigger
        # would walk the whole session's heap and free nothing of it. Thawed at unconfigure.
        # (pytest takes only names starting with pytest_, hence the name and the specname.)
        self.heap_frozen = self.heap_frozen or freeze_heap()
        return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.failures.flush()
        status = int(exitstatus)
        interrupted = status == int(pytest.ExitCode.INTERRUPTED)
        complete = not interrupted and status != int(pytest.ExitCode.INTERNAL_ERROR)
        try:
            with paused_gc():  # the artifacts of 100k tests: a burst of acyclic objects
                self.finish(status, interrupted, complete)
        except Exception as exc:
            self.internal_error("writing the artifacts", exc)
            try:
                self._write_summary_only(complete=False)
            except Exception as again:
                self.internal_error("writing the provisional summary", again)

    def finish(self, status: int, interrupted: bool, complete: bool) -> None:
        if not self.settings.artifacts or self.info is None:
            return
        import pytest_uok.core.artifacts as art  # the models load here, at the end

        self._set_aside_unfinished()
        self.failures.render_tracebacks()
        end = run.RunEnd(
            finished_at=datetime.now(timezone.utc),
            exit_status=status,
            interrupted=interrupted,
            complete=complete and not self.internal_errors,
            internal_errors=self.internal_errors,
        )
        try:
            models = self.build_models(end)
        except Exception as exc:  # never let the recorder turn the run's result around
            self.internal_errors.append(f"building the artifacts failed: {exc!r}")
            end.complete = False
            self._entries_in_model = False
            models = {art.SUMMARY: art.build_summary(self.info, self.recorder, end, with_tests=False)}
        # summary.json goes last: "complete: true" then also vouches for the files beside it,
        # and a run killed while writing leaves the provisional summary (complete: false).
        order = list(models)
        summary = models.pop(art.SUMMARY)
        assert isinstance(summary, art.Summary)
        errors = art.write_models(self.out_dir, models, self.redactor.scrub)
        if errors:
            summary.complete = False
            summary.internal_errors = [*summary.internal_errors, *errors]
        models[art.SUMMARY] = summary
        # Someone else's hook had the entries in the model: they are written as it left them.
        recorder = None if self._entries_in_model else self.recorder
        last, _, self.summary_sha256 = art.write_summary(self.out_dir, summary, recorder, self.redactor.scrub)
        self.summary = summary
        errors += [last] if last else []
        self.write_errors.extend(errors)
        if any(e.startswith("could not create the artifact folder") for e in errors):
            self.written = []
        else:
            self.written = [name for name in order if not any(name in e for e in errors)]
        if self.events is not None:
            self.events.emit(
                "session_finish",
                durable=True,
                exit_status=status,
                interrupted=interrupted,
                failed=len(self.recorder.failed_records()),
                tests=len(self.recorder.records),
                write_errors=self.write_errors,
            )
            self.write_errors.extend(e for e in self.events.errors if e not in self.write_errors)

    def build_models(self, end: run.RunEnd) -> dict[str, ArtifactModelBase]:
        import pytest_uok.core.artifacts as art

        assert self.info is not None
        hook = self.config.hook.pytest_uok_summary
        # Our own implementations read the records; a test entry per test is built only for
        # someone else's hook, which may read or change them.
        foreign = any(not _is_ours(impl.plugin) for impl in hook.get_hookimpls())
        self._entries_in_model = foreign
        summary = art.build_summary(self.info, self.recorder, end, with_tests=foreign)
        self.summary_model, self._entries = summary, None
        hook(config=self.config, summary=summary)
        extra_env: dict[str, str] = {}
        for result in self.config.hook.pytest_uok_environment(config=self.config):
            if result:
                extra_env.update({str(k): str(v) for k, v in result.items()})
        environment = art.build_environment(self.info)
        environment.extra = extra_env
        return {
            art.SUMMARY: summary,
            art.REPLAY_BUNDLE: art.build_replay_bundle(self.info, self.recorder),
            art.FAILURE_DIGEST: art.build_failure_digest(self.info, self.recorder, self.redactor),
            art.ENVIRONMENT: environment,
        }

    def written_summary(self) -> WrittenSummary | None:
        """summary.json as this session wrote it, for readers that would otherwise read it back.

        None unless the file holds exactly ``summary`` and the recorder's entries: not when the
        last redaction pass or a text repair changed it, nor when someone else's hook had the
        entries in the model (then the file says what that hook left).
        """
        if self.summary is None or self.summary_sha256 is None:
            return None
        return WrittenSummary(self.summary, self.entries(), self.summary_sha256)

    def entries(self) -> Sequence[TestFacts]:
        """summary.json's test entries as the other concerns read them, made once at session end.

        The summary model has them only when someone else's ``pytest_uok_summary`` hook asked for
        them; otherwise they come straight from the recorder.
        """
        if self._entries_in_model and self.summary_model is not None:
            return self.summary_model.tests
        if self._entries is None:
            from pytest_uok.core.summary_file import entry_views

            self._entries = entry_views(self.recorder)
        return self._entries

    def _set_aside_unfinished(self) -> dict[str, TestRecord]:
        """Remove the records of tests still running whose outcome is not yet a failure."""
        aside: dict[str, TestRecord] = {}
        for nodeid in self.unfinished:
            rec = self.recorder.records.get(nodeid)
            if rec is not None and rec.outcome not in FAILING_OUTCOMES:
                aside[nodeid] = self.recorder.records.pop(nodeid)
        return aside

    def _write_summary_only(self, complete: bool) -> None:
        if self.info is None:
            return
        end = run.RunEnd(None, None, False, complete, self.internal_errors)
        aside = self._set_aside_unfinished()
        # From plain values, laid out as the model would write them: no model loads for it.
        values = summary_values(self.info, self.recorder, end)
        error = write_summary(self.out_dir, values, self.recorder, self.redactor.scrub).error
        self.recorder.records.update(aside)
        if error and error not in self.write_errors:
            self.write_errors.append(error)

    # -- terminal -----------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        if not self.settings.artifacts:
            return "uok: artifacts off (--uok-no-artifacts)"
        return f"uok: run {self.run_id}, artifacts in {self._shown(self.out_dir)}"

    def _shown(self, path: os.PathLike[str] | str) -> str:
        try:
            rel = os.path.relpath(path, self.config.invocation_params.dir)
        except ValueError:
            return str(path)
        return str(path) if rel.startswith("..") else rel

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        try:
            self._terminal_summary(terminalreporter)
        except Exception as exc:
            self.internal_error("reporting", exc)
        for error in self.internal_errors:
            terminalreporter.write_line(f"uok internal error: {error}", red=True)

    def _terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.settings.artifacts or self.info is None:
            return
        tr = terminalreporter
        tr.section("pytest-uok", sep="-", bold=True)
        if self.written:
            tr.write_line(f"artifacts: {self._shown(self.out_dir)}/ ({', '.join(self.written)})")
        failed = self.recorder.failed_records()
        if failed or self.recorder.collection_failures:
            tr.write_line(f"replay failures: {self.info.runner_command()}")
        for error in dict.fromkeys(self.write_errors):
            tr.write_line(f"uok: {error}", red=True)
