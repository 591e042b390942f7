"""The run history in a session: every run appended to history.json at session end (controller only)."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_uok import options
from pytest_uok.core.gc_pause import paused_gc
from pytest_uok.core.runinfo import DEFAULT_HISTORY_RUNS, HISTORY
from pytest_uok.core.shard_spec import ShardSpec
from pytest_uok.stash import RECORDING

if TYPE_CHECKING:
    from pytest_uok.core.history import RunLabel
    from pytest_uok.core.models.summary import Summary

PLUGIN_NAME = "uok-history"


@dataclass(frozen=True)
class HistoryOptions:
    """Where the history lives and how many runs it keeps (0: no history)."""

    path: Path
    max_runs: int


def resolve(config: pytest.Config, base_out: Path) -> HistoryOptions:
    """``base_out`` is the artifact folder before sharding: shards of one run share one history."""
    runs, _ = options.raw_value(config, "uok_history_runs")
    return HistoryOptions(path=base_out / HISTORY, max_runs=DEFAULT_HISTORY_RUNS if runs is None else runs)


def _relative(config: pytest.Config, arg: str) -> str:
    path, sep, rest = arg.partition("::")
    absolute = Path(config.invocation_params.dir) / path
    try:
        shown = os.path.relpath(absolute, config.rootpath)
    except ValueError:
        shown = str(absolute)
    return shown.replace(os.sep, "/") + sep + rest


def selection_of(config: pytest.Config, spec: ShardSpec | None, by: str) -> str:
    """What the run selected, spelled as options, so that only like runs are compared.

    Empty for the default selection (the rootdir, or the ini's testpaths) of the whole suite.
    """
    paths = sorted(_relative(config, str(a)) for a in config.args)
    tokens = [] if paths == ["."] else paths
    keyword = getattr(config.option, "keyword", "")
    if keyword:
        tokens += ["-k", keyword]
    marks = getattr(config.option, "markexpr", "")
    if marks:
        tokens += ["-m", marks]
    for ini, flag in (("uok_suite", "--uok-suite"), ("uok_profile", "--uok-profile")):
        value, _ = options.raw_value(config, ini)
        if value:
            tokens += [flag, str(value)]
    if options.raw_value(config, "uok_rerun_from")[0]:
        tokens.append("--uok-rerun-from")
    if getattr(config.option, "lf", False):
        tokens.append("--lf")
    if spec is not None:
        tokens += ["--uok-shard", spec.label()]
        if by != "test":
            tokens += ["--uok-shard-by", by]
    return shlex.join(tokens)


class HistoryPlugin:
    """Appends the finished run to the history store, under its lock."""

    def __init__(self, config: pytest.Config, opts: HistoryOptions, selection: str) -> None:
        self.config = config
        self.opts = opts
        self.selection = selection
        self.summary: Summary | None = None
        self.problems: list[str] = []

    def label(self) -> RunLabel:
        from pytest_uok.core.history import RunLabel

        recording = self.config.stash.get(RECORDING, None)
        env = recording.info.environment if recording is not None and recording.info is not None else {}
        branch, dirty = env.get("git_branch"), env.get("git_dirty")
        return RunLabel(branch=branch, selection=self.selection, git_dirty=dirty)

    @pytest.hookimpl(trylast=True)
    def pytest_uok_summary(self, config: pytest.Config, summary: Summary) -> None:
        self.summary = summary

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        recording = self.config.stash.get(RECORDING, None)
        summary = self.summary
        if recording is None or summary is None:
            return
        tests = recording.entries()
        if not tests:
            return
        from pytest_uok.core.history import update_store  # loads the models: at the end only

        try:
            with paused_gc():  # the history of every test: a burst of acyclic objects
                self.problems += update_store(
                    self.opts.path, summary, self.label(), self.opts.max_runs, recording.redactor.scrub, tests
                )
        except Exception as exc:  # the history must never turn the run's result around
            recording.internal_error("updating the history", exc)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for problem in self.problems:
            terminalreporter.write_line(f"uok history: {problem}", yellow=True)
