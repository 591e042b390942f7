"""Suite classification in a session: markers, --uok-suite / --uok-profile selection, summary fields."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_uok.core.classify import ClassificationReport, SuiteMatcher, classify
from pytest_uok.core.models.summary import Classification, SuiteCounts, Summary
from pytest_uok.core.outcomes import FAILING_OUTCOMES
from pytest_uok.core.records import TestRecord
from pytest_uok.stash import ITEM_SUITE, RECORDING
from pytest_uok.xdist_role import is_xdist_controller, is_xdist_worker

if TYPE_CHECKING:
    from pytest_uok.policy_setup import PolicyContext

#: The pseudo-suite of tests whose file is in no suite.
UNCLASSIFIED = "unclassified"
_WORKER_KEY = "uok_classification"


class ClassificationPlugin:
    """Puts every collected item in its suite and reports what the policy misses."""

    def __init__(self, config: pytest.Config, ctx: PolicyContext) -> None:
        self.config = config
        self.ctx = ctx
        self.matcher = SuiteMatcher(ctx.policy) if ctx.policy is not None else None
        #: Every collected file and the suites whose entries match it (all processes' collections).
        self.files: dict[str, list[str]] = {}
        self.report: ClassificationReport | None = None

    # -- collection (single process and xdist workers) ------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.matcher is None:
            return
        hook = config.hook
        wanted = set(self.ctx.suites)
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        # Our own default implementation is always there; the hook is called only for others'.
        hooked = len(hook.pytest_uok_suite.get_hookimpls()) > 1
        marks: dict[str, pytest.MarkDecorator] = {}
        recording = config.stash.get(RECORDING, None)
        suite_of = recording.recorder.suite_of if recording is not None else {}
        for item in items:
            nodeid = item.nodeid
            file = nodeid.split("::", 1)[0]
            matched = self.files.get(file)
            if matched is None:
                matched = self.files[file] = self.matcher.suites_for(file)
            if hooked:
                suite = hook.pytest_uok_suite(config=config, item=item, suites=list(matched))
            else:
                suite = matched[0] if matched else None
            item.stash[ITEM_SUITE] = suite
            if suite:
                mark = marks.get(suite)
                if mark is None:
                    mark = marks[suite] = pytest.mark.uok_suite(suite, name=suite)
                item.add_marker(mark)
                # In this process the record takes its suite when it is made; from xdist workers
                # the suite travels on the setup report (see make_suite_reporting).
                suite_of[nodeid] = suite
            if wanted and suite not in wanted:
                dropped.append(item)
            else:
                kept.append(item)
        if dropped:
            hook.pytest_deselected(items=dropped)
            items[:] = kept
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WORKER_KEY] = self.files

    @pytest.hookimpl(trylast=True)
    def pytest_uok_suite(self, config: pytest.Config, item: pytest.Item, suites: list[str]) -> str | None:
        # Several matching suites are reported as duplicates; the first one in the file wins.
        return suites[0] if suites else None

    # -- controller -------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if isinstance(data, dict):
            for file, suites in data.items():
                self.files.setdefault(str(file), [str(s) for s in suites])

    def classification(self) -> Classification:
        shown = self.ctx.shown_path(self.config.rootpath)
        if self.ctx.policy is None:
            return Classification(policy_path=shown, error=self.ctx.error)
        if self.report is None:
            self.report = classify(self.ctx.policy, self.files, Path(self.config.rootpath))
        r = self.report
        return Classification(
            policy_path=shown,
            unclassified=r.unclassified,
            stale=r.stale,
            duplicates=r.duplicates,
            unsorted=r.unsorted,
        )

    def pytest_uok_summary(self, config: pytest.Config, summary: Summary) -> None:
        recording = self.config.stash.get(RECORDING, None)
        by_suite: dict[str, Counter[str]] = {}
        # The recorder, not summary.tests: a session's summary model carries no entries.
        if recording is not None:
            recorder = recording.recorder
            for nodeid, value in recorder.tests():
                outcome = value.outcome if isinstance(value, TestRecord) else "passed"
                suite = recorder.suite(nodeid, value)
                by_suite.setdefault(suite or UNCLASSIFIED, Counter())[outcome] += 1
        else:
            for test in summary.tests:
                by_suite.setdefault(test.suite or UNCLASSIFIED, Counter())[test.outcome] += 1
        suites = {}
        for name in sorted(by_suite):
            outcomes = by_suite[name]
            failed = any(outcomes[o] for o in FAILING_OUTCOMES)
            suites[name] = SuiteCounts(
                total=sum(outcomes.values()), outcomes=dict(outcomes), passed=not failed
            )
        summary.suites = suites
        summary.total_suites = len(suites)
        summary.passed_suites = sum(1 for s in suites.values() if s.passed)
        summary.classification = self.classification()

    # -- terminal ---------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> str:
        shown = self.ctx.shown_path(config.rootpath)
        if self.ctx.policy is None:
            return f"uok policy: {shown} UNREADABLE, nothing quarantined or waived ({self.ctx.error})"
        p = self.ctx.policy
        line = (
            f"uok policy: {shown} ({len(p.suite)} suites, {len(p.quarantine)} quarantined, "
            f"{len(p.waiver)} waivers)"
        )
        if self.ctx.suites:
            line += f"; running suites: {', '.join(self.ctx.suites)}"
        return line

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if hasattr(self.config, "workerinput"):
            return
        c = self.classification()
        problems = [
            ("unclassified file", c.unclassified),
            ("duplicate classification", c.duplicates),
            ("stale entry", c.stale),
            ("unsorted suite", c.unsorted),
        ]
        if c.error is None and not any(values for _, values in problems):
            return
        tr = terminalreporter
        tr.section("uok classification", sep="-", yellow=True)
        if c.error:
            tr.write_line(f"policy file unreadable, nothing quarantined or waived: {c.error}", red=True)
        for label, values in problems:
            for value in values:
                tr.write_line(f"{label}: {value}")
        if c.unclassified:
            tr.write_line("propose suites for them with: pytest-uok classify (add --write to edit the file)")


class WorkerSuites:
    """On an xdist worker: each setup report carries its test's suite to the controller."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "setup":
            report.uok_suite = item.stash.get(ITEM_SUITE, None)  # type: ignore[attr-defined]
        return report


class ControllerSuites:
    """On the xdist controller, which collects nothing: records take the suite their setup report carries."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "setup":
            return
        recording = self.config.stash.get(RECORDING, None)
        if recording is None:
            return
        suite = getattr(report, "uok_suite", None)
        recording.recorder.set_suite(report.nodeid, suite if isinstance(suite, str) else None)


def suite_reporting(config: pytest.Config) -> WorkerSuites | ControllerSuites | None:
    """The per-report part of classification this process needs: none when it runs alone.

    A single process knows each test's suite from its own collection, before the first report.
    """
    if is_xdist_worker(config):
        return WorkerSuites()
    if is_xdist_controller(config):
        return ControllerSuites(config)
    return None
