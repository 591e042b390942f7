"""Quarantine, waivers and flaky tests in a session: report outcomes, terminal sections, audit."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from pytest_uok.core.attempts import RERUN, AttemptState, decide, leaves_passing_reports
from pytest_uok.core.records import TestRecord
from pytest_uok.core.runinfo import WAIVER_AUDIT
from pytest_uok.stash import ITEM_ATTEMPT, ITEM_QUARANTINE, ITEM_WAIVER, RECORDING
from pytest_uok.xdist_role import is_xdist_controller

if TYPE_CHECKING:
    # Loaded where a policy, a conftest's quarantine or the end of the session needs them:
    # always registered, this plugin must not load the models into every session's start.
    from pytest_uok.core.models.summary import FlakyTest, Summary
    from pytest_uok.core.policy import QuarantineEntry
    from pytest_uok.core.quarantine import Cover, Protections
    from pytest_uok.policy_setup import PolicyContext

#: How pytest's terminal shows the categories this plugin gives reports.
_STATUS: dict[str, tuple[str, str, tuple[str, Mapping[str, bool]]]] = {
    "quarantined": ("quarantined", "Q", ("QUARANTINED", {"yellow": True})),
    "waived": ("waived", "W", ("WAIVED", {"yellow": True})),
    "flaky": ("flaky", "K", ("FLAKY", {"yellow": True})),
}


@dataclass
class ProtectedFailure:
    nodeid: str
    when: str
    outcome: str
    cover: dict[str, Any]
    longrepr: str


#: The name the per-report part is registered under.
REPORTS_PLUGIN_NAME = "uok-protection-reports"


class ProtectionPlugin:
    """Turns protected failures into ``quarantined`` / ``waived`` and retried ones into reruns.

    The per-report work (``ProtectedReports``) is registered only when some test can be
    protected or retried: a run without quarantine, waiver or rerun pays nothing per test.
    """

    def __init__(self, config: pytest.Config, ctx: PolicyContext) -> None:
        self.config = config
        self.ctx = ctx
        self.protections: Protections | None = None
        if ctx.policy is not None:
            from pytest_uok.core.quarantine import Protections

            self.protections = Protections(ctx.policy, ctx.today)
        self.protected: list[ProtectedFailure] = []
        self.unprotected: list[tuple[str, dict[str, Any]]] = []
        self.released: list[str] = []
        self._flaky: list[FlakyTest] | None = None
        self.reports: ProtectedReports | None = None
        entries = self.protections is not None and bool(
            self.protections.quarantines or self.protections.waivers
        )
        # The xdist controller collects nothing: whether a conftest quarantines a test there is
        # known only from the workers' reports, so it listens whenever workers run the tests.
        # Runs that retry tests listen too (see configure_policy).
        if entries or is_xdist_controller(config):
            self.listen()

    def listen(self) -> None:
        """Register the per-report part (once)."""
        if self.reports is None:
            self.reports = ProtectedReports(self)
            self.config.pluginmanager.register(self.reports, REPORTS_PLUGIN_NAME)

    # -- collection ---------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        hook = config.hook
        protections = self.protections
        if protections is not None and not protections.quarantines and not protections.waivers:
            protections = None
        # Our own default implementation is always there; skip the per-item work when it is alone.
        hooked = len(hook.pytest_uok_quarantine.get_hookimpls()) > 1
        if protections is None and not hooked:
            return
        for item in items:
            entry = protections.quarantine_entry(item.nodeid) if protections is not None else None
            if hooked:
                entry = self._as_entry(
                    item, hook.pytest_uok_quarantine(config=config, item=item, entry=entry)
                )
            if protections is not None:
                item.stash[ITEM_QUARANTINE] = protections.quarantine_cover(entry) if entry else None
                item.stash[ITEM_WAIVER] = protections.waiver_cover(item.nodeid)
            elif entry is not None:
                # A conftest may quarantine a test even without a policy file.
                from pytest_uok.core.quarantine import Protections

                item.stash[ITEM_QUARANTINE] = Protections.for_entry(entry, self.ctx.today)
                self.listen()

    @pytest.hookimpl(trylast=True)
    def pytest_uok_quarantine(self, config: pytest.Config, item: pytest.Item, entry: Any) -> Any:
        return entry

    @staticmethod
    def _as_entry(item: pytest.Item, chosen: Any) -> QuarantineEntry | None:
        if chosen is None or chosen is False:
            return None
        from pydantic import ValidationError

        from pytest_uok.core.policy import QuarantineEntry

        if isinstance(chosen, QuarantineEntry):
            return chosen
        try:
            return QuarantineEntry.model_validate({"test": item.nodeid, **dict(chosen)})
        except (ValidationError, TypeError, ValueError) as exc:
            raise pytest.UsageError(
                f"pytest-uok: pytest_uok_quarantine returned an unusable quarantine for {item.nodeid}: "
                f"{exc}. Return a QuarantineEntry, a dict of its fields, False or None."
            ) from None

    def emit(self, kind: str, **data: Any) -> None:
        recording = self.config.stash.get(RECORDING, None)
        if recording is not None and recording.events is not None:
            recording.events.emit(kind, **data)

    def flaky_tests(self) -> list[FlakyTest]:
        if self._flaky is not None:
            return self._flaky
        recording = self.config.stash.get(RECORDING, None)
        found: list[FlakyTest] = []
        if recording is not None:
            days = self.ctx.policy.settings.quarantine_days if self.ctx.policy is not None else 30
            for _, rec in recording.recorder.tests():
                if not isinstance(rec, TestRecord) or rec.outcome != "flaky":
                    continue  # a test kept as its seconds passed its only attempt
                from pytest_uok.core.models.summary import FlakyTest
                from pytest_uok.core.quarantine import quarantine_snippet, suggest_category

                facts = rec.failure or {}
                exc_type = facts.get("exc_type")
                category, why = suggest_category(exc_type, facts.get("message"))
                failed = sum(1 for a in rec.attempts if a.outcome in ("failed", "error"))
                first = str(facts.get("message") or exc_type or "failure").strip().splitlines()
                cause = f"{exc_type}: {first[0]}" if first and exc_type else (first[0] if first else "")
                reason = f"failed {failed} of {len(rec.attempts)} attempts ({cause[:120]})"
                found.append(
                    FlakyTest(
                        nodeid=rec.nodeid,
                        attempts=len(rec.attempts),
                        failed_attempts=max(failed, 1),
                        suggested_category=category,
                        why=why,
                        quarantine_entry=quarantine_snippet(
                            rec.nodeid, category, reason, self.ctx.today, days
                        ),
                    )
                )
        self._flaky = found
        return found

    def pytest_uok_summary(self, config: pytest.Config, summary: Summary) -> None:
        summary.flaky = self.flaky_tests()
        summary.ready_to_release = sorted(set(self.released))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        recording = self.config.stash.get(RECORDING, None)
        policy = self.ctx.policy
        if recording is None or policy is None or not recording.settings.artifacts:
            return
        outcomes = {
            nodeid: rec.outcome if isinstance(rec, TestRecord) else "passed"
            for nodeid, rec in recording.recorder.tests()
        }
        from pytest_uok.core.artifacts import write_model
        from pytest_uok.core.waivers import build_audit

        audit = build_audit(policy, self.ctx.today, recording.run_id, outcomes)
        audit.policy_path = self.ctx.shown_path(self.config.rootpath)
        error = write_model(recording.out_dir, WAIVER_AUDIT, audit)
        if error:
            recording.write_errors.append(error)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if hasattr(self.config, "workerinput"):
            return
        tr = terminalreporter
        if self.protected:
            tr.section("uok quarantined and waived failures", sep="-", yellow=True)
            for p in self.protected:
                c = p.cover
                label = f"{c['kind']} {c['id']}" if c["kind"] == "waiver" else f"quarantine ({c['category']})"
                tr.write_line(f"{p.outcome.upper()} {p.nodeid} ({p.when}) by {label}, until {c['expires']}")
                if tr.verbosity >= 0 and p.longrepr:
                    for line in p.longrepr.splitlines()[-15:]:
                        tr.write_line(f"    {line}")
        if self.unprotected:
            tr.section("uok expired protection", sep="-", red=True)
            for nodeid, c in self.unprotected:
                tr.write_line(
                    f"FAILED {nodeid}: its {c['kind']} is {c['state']} (expires {c['expires']}) "
                    "and protects nothing; renew or remove the entry",
                    red=True,
                )
        flaky = self.flaky_tests()
        if flaky:
            tr.section("uok flaky tests", sep="-", yellow=True)
            for f in flaky:
                tr.write_line(
                    f"FLAKY {f.nodeid}: failed {f.failed_attempts} of {f.attempts} attempts; "
                    f"suggested {f.suggested_category} ({f.why}). Quarantine it with:"
                )
                for line in f.quarantine_entry.splitlines():
                    tr.write_line(f"    {line}")
        if self.released:
            tr.section("uok ready to release", sep="-", green=True)
            for nodeid in sorted(set(self.released)):
                tr.write_line(
                    f"{nodeid} passed every --uok-attempt-to-fix attempt; remove its [[quarantine]] entry"
                )


class ProtectedReports:
    """The per-report part of protection: decides each report's fate and notes protected failures.

    On single processes and workers it changes reports (``makereport``); on the process that
    writes the artifacts it collects what they say (``logreport``) and shows the status letters.
    """

    def __init__(self, owner: ProtectionPlugin) -> None:
        self.owner = owner

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        state = item.stash.get(ITEM_ATTEMPT, None)
        quarantine = item.stash.get(ITEM_QUARANTINE, None)
        waiver = item.stash.get(ITEM_WAIVER, None)
        if state is None:
            if quarantine is None and waiver is None:
                return report  # the common case: nothing to decide
            state = AttemptState()
        else:
            report.uok_attempt = state.number  # type: ignore[attr-defined]
            if report.outcome == "passed" and leaves_passing_reports(state):
                return report  # with reruns on, most reports: decide() would change nothing
        wasxfail = hasattr(report, "wasxfail")
        verdict = decide(state, report.when, report.outcome, wasxfail, quarantine, waiver, report.duration)
        if verdict.outcome is not None:
            report.outcome = verdict.outcome  # type: ignore[assignment]
        if verdict.record_outcome is not None:
            report.uok_outcome = verdict.record_outcome  # type: ignore[attr-defined]
        if verdict.category is not None:
            report.uok_category = verdict.category  # type: ignore[attr-defined]
        if verdict.released:
            report.uok_released = True  # type: ignore[attr-defined]
        if report.outcome in ("failed", "quarantined", "waived"):
            cover = _covering(quarantine, waiver)
            if cover is not None:
                report.uok_cover = cover.to_json()  # type: ignore[attr-defined]
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> tuple[str, str, Any] | None:
        category = report.__dict__.get("uok_category")  # once per report: no getattr default
        if category is None:
            return None
        if category:
            status: tuple[str, str, Any] = _STATUS.get(category, (category, "?", category.upper()))
            return status
        if report.outcome == RERUN:
            return "", "R", ("RERUN", {"yellow": True})
        return "", "", ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        extra = report.__dict__  # once per report: the usually absent attributes, cheaply
        if extra.get("uok_released", False):
            self.owner.released.append(report.nodeid)
        if extra.get("uok_category") == "flaky":
            self.owner.emit("test_flaky", nodeid=report.nodeid, attempts=extra.get("uok_attempt", 1))
        cover = extra.get("uok_cover")
        if not isinstance(cover, dict):
            return
        if report.outcome in ("quarantined", "waived"):
            self.owner.protected.append(
                ProtectedFailure(report.nodeid, report.when, report.outcome, cover, report.longreprtext)
            )
            self.owner.emit("test_protected", nodeid=report.nodeid, outcome=report.outcome, by=cover)
        elif report.outcome == "failed":
            self.owner.unprotected.append((report.nodeid, cover))
            self.owner.emit("protection_expired", nodeid=report.nodeid, by=cover)


def _covering(quarantine: Cover | None, waiver: Cover | None) -> Cover | None:
    for cover in (quarantine, waiver):
        if cover is not None and cover.protects:
            return cover
    return quarantine or waiver
