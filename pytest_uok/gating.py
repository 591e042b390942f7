"""``--uok-gate``: evaluates the gates on the controller after the artifacts are written."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from pytest_uok import options
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gates.result import Gate
from pytest_uok.core.gates.session import EXIT_GATE_FAILED, load_config, run_gates
from pytest_uok.core.gates.verdict import verdict_lines, verdict_summary
from pytest_uok.core.gc_pause import paused_gc
from pytest_uok.core.models.verdict import Verdict
from pytest_uok.core.policy import DEFAULT_POLICY
from pytest_uok.core.settings import Settings
from pytest_uok.stash import RECORDING

#: Terminal markup per gate status.
_COLOURS: dict[str, dict[str, bool]] = {
    "pass": {"green": True},
    "fail": {"red": True, "bold": True},
    "manual-attention": {"red": True, "bold": True},
    "warn": {"yellow": True},
    "skip": {},
}


def policy_path(config: pytest.Config) -> Path:
    """The policy file: ``uok_policy`` when that option exists and is set, else the default."""
    if "uok_policy" in options.BY_INI:
        value, _ = options.raw_value(config, "uok_policy")
        if value:
            path = Path(str(value))
            return path if path.is_absolute() else config.rootpath / path
    return config.rootpath / DEFAULT_POLICY


def custom_gates(config: pytest.Config) -> list[Gate]:
    gates: list[Gate] = []
    for answer in config.hook.pytest_uok_gates(config=config):
        for item in answer or []:
            if not isinstance(item, Gate):
                raise UokInputError(
                    f"a pytest_uok_gates hook returned {item!r}, which is not a gate: give it id, "
                    "requires, blocking, kind and evaluate(facts, options), or make it with "
                    "@pytest_uok.core.gates.gate."
                )
            gates.append(item)
    return gates


class GatingPlugin:
    """Runs the gates in a trylast sessionfinish, sets exit code 6 when only the gates failed."""

    def __init__(self, config: pytest.Config, settings: Settings, policy: Path) -> None:
        self.config = config
        self.settings = settings
        self.policy = policy
        self.verdict: Verdict | None = None
        self.errors: list[str] = []
        self.exit_changed = False
        self.out_dir = settings.out_dir

    def _shown(self, path: Path) -> str:
        rel = os.path.relpath(path, self.config.invocation_params.dir)
        return str(path) if rel.startswith("..") else rel

    def pytest_report_header(self, config: pytest.Config) -> str:
        return f"uok: gates on (policy {self._shown(self.policy)})"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # Collection errors also end in INTERRUPTED, so the gates run whatever the status.
        recording = self.config.stash.get(RECORDING, None)
        events = recording.events if recording is not None else None
        # The recording plugin's folder: a shard writes into a subfolder of its own.
        out_dir = recording.out_dir if recording is not None else self.settings.out_dir
        self.out_dir = out_dir
        try:
            custom = custom_gates(self.config)
            # Someone else's gate may read ``facts.summary.tests``, empty in memory: with custom
            # gates the summary is read back from the file.
            written = None if custom or recording is None else recording.written_summary()
            with paused_gc():  # the gates read the run's artifacts back: a burst of acyclic objects
                outcome = run_gates(
                    out_dir,
                    policy_path=self.policy,
                    source="session",
                    custom=custom,
                    events=events,
                    gate_command=shlex.join(["pytest-uok", "gate", self._shown(out_dir)]),
                    written=written,
                )
        except UokInputError as exc:
            self.errors.append(exc.message)
            if session.exitstatus == 0:
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        except Exception as exc:  # fail closed: a green run must not pass when gating broke
            self.errors.append(f"the gates could not be evaluated: {exc!r}")
            if session.exitstatus == 0:
                session.exitstatus = EXIT_GATE_FAILED
                self.exit_changed = True
            return
        self.verdict = outcome.verdict
        self.errors.extend(outcome.errors)
        if recording is not None and recording.summary is not None:
            # summary.json now carries the verdict: so does the summary the reports are made of.
            recording.summary.verdict = verdict_summary(self.verdict)
        if session.exitstatus == 0 and self.verdict.overall == "fail":
            session.exitstatus = EXIT_GATE_FAILED
            self.exit_changed = True

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tr = terminalreporter
        tr.section("pytest-uok gates", sep="-", bold=True)
        for error in self.errors:
            tr.write_line(f"uok gate error: {error}", red=True)
        if self.verdict is not None:
            for line, status in verdict_lines(self.verdict):
                tr.write_line(line, **_COLOURS.get(status, {}))
            tr.write_line(f"verdict file: {self._shown(self.out_dir / 'verdict.json')}")
        if self.exit_changed:
            text = f"exit code {EXIT_GATE_FAILED}: the tests passed, but a blocking gate failed"
            tr.write_line(text, red=True)


def make_gating_plugin(config: pytest.Config, settings: Settings) -> GatingPlugin:
    """Build the plugin, validating the gates configuration now so mistakes stop the run early."""
    if not settings.artifacts:
        raise pytest.UsageError(
            "pytest-uok: --uok-gate evaluates the run's artifacts, so it cannot be combined with "
            "--uok-no-artifacts (uok_no_artifacts); drop one of them."
        )
    policy = policy_path(config)
    try:
        load_config(policy)
    except UokInputError as exc:
        raise pytest.UsageError(f"pytest-uok: {exc.message}") from None
    return GatingPlugin(config, settings, policy)
