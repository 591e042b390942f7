"""The triage diff: a run compared with a baseline run, test by test, and ranked by severity.

Everything here is a pure function over plain snapshots of two runs, so the same diff is
made in a session (``--uok-diff-from``), by the ``regression`` gate over artifacts, and in
the properties that keep it honest (a run diffed with itself is stable, swapping the runs
swaps fixed and regressed tests, every count adds up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pytest_uok.core.models.summary import Summary
from pytest_uok.core.models.triage import (
    Baseline,
    Diagnostic,
    DiagnosticKind,
    DurationRegression,
    RecommendedCommands,
    Severity,
    TestGroups,
    Thresholds,
    TriageDiff,
    TriageStatus,
    TriageSummary,
)
from pytest_uok.core.outcomes import FAILING_OUTCOMES, PROTECTED_OUTCOMES

if TYPE_CHECKING:
    from pytest_uok.core.runview import TestFacts

#: The file a comparison is written to, beside the run's summary.json.
TRIAGE_DIFF = "triage_diff.json"
#: The suite name of tests whose file is in no suite.
UNCLASSIFIED = "unclassified"

DEFAULT_THRESHOLDS = Thresholds(factor=2.0, test_floor_s=0.5, suite_floor_s=5.0)

#: Diagnostic kinds in the order they are ranked within one severity.
KIND_ORDER: dict[str, int] = {
    "collection_error": 0,
    "regression": 1,
    "new_failure": 2,
    "flaky_new": 3,
    "newly_flaky": 4,
    "still_failing": 5,
    "slower": 6,
    "suite_slower": 7,
    "removed": 8,
}
#: Kinds whose tests the runner command replays: what this change may have broken.
PROBLEM_KINDS = frozenset({"collection_error", "regression", "new_failure", "flaky_new", "newly_flaky"})


@dataclass(frozen=True)
class Observation:
    """What the diff needs to know about one test in one run."""

    outcome: str
    duration_s: float | None = None
    suite: str | None = None


@dataclass
class Snapshot:
    """One run as the diff sees it: its tests and the files that failed to collect."""

    run_id: str
    tests: dict[str, Observation]
    collection_errors: frozenset[str] = frozenset()
    #: The run selected part of the suite (a shard, -k, a rerun): absent tests are not removed.
    partial: bool = False
    git_sha: str | None = None
    branch: str | None = None
    started_at: datetime | None = None


def is_partial(summary: Summary) -> bool:
    """Whether a recorded run ran only part of its suite, as far as its summary tells."""
    if summary.shard.total > 1 or summary.counts.deselected > 0 or not summary.complete:
        return True
    return any(arg.startswith(("--uok-rerun-from", "--lf", "--last-failed")) for arg in summary.invocation)


def snapshot_of(
    summary: Summary,
    partial: bool | None = None,
    branch: str | None = None,
    tests: Sequence[TestFacts] | None = None,
) -> Snapshot:
    """The run as a comparison sees it; ``tests`` are its entries (default: ``summary.tests``)."""
    entries = summary.tests if tests is None else tests
    return Snapshot(
        run_id=summary.run_id,
        tests={t.nodeid: Observation(t.outcome, t.duration_s, t.suite) for t in entries},
        collection_errors=frozenset(c.nodeid for c in summary.collection_errors if c.nodeid),
        partial=is_partial(summary) if partial is None else partial,
        git_sha=summary.git_sha,
        branch=branch,
        started_at=summary.started_at,
    )


def transition(before: str | None, now: str | None) -> str:
    """The group of one test from its outcome in the baseline and now (None: not in that run).

    ``regressed``: did not fail, fails now; ``fixed``: the reverse; ``still_failing``: fails in
    both (a protected failure counts as failing on either side); ``newly_flaky``: passed, now
    flaky; ``new`` / ``removed``: in one run only; everything else is ``unchanged``.
    """
    if before is None:
        return "new" if now is not None else "unchanged"
    if now is None:
        return "removed"
    failed_before, failed_now = before in FAILING_OUTCOMES, now in FAILING_OUTCOMES
    if failed_now and (failed_before or before in PROTECTED_OUTCOMES):
        return "still_failing"
    if failed_before and now in PROTECTED_OUTCOMES:
        return "still_failing"
    if failed_now:
        return "regressed"
    if failed_before:
        return "fixed"
    if now == "flaky" and before not in ("flaky", *PROTECTED_OUTCOMES):
        return "newly_flaky"
    return "unchanged"


@dataclass
class _Finding:
    severity: Severity
    kind: DiagnosticKind
    nodeid: str | None
    suite: str | None
    change: str
    order: tuple[float, str] = (0.0, "")
    detail: str = ""


@dataclass
class DiffInputs:
    """Everything about the comparison that is not one of the two runs."""

    thresholds: Thresholds = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    #: Suites whose new failures are SEV-1; None means every suite (unclassified tests too).
    blocking_suites: frozenset[str] | None = None
    #: Builds the shell command that runs these node ids (None: no commands).
    command: Callable[[Sequence[str]], str] | None = None
    #: A short description of a failure now (its exception and message), by node id.
    details: Mapping[str, str] = field(default_factory=dict)
    source: str = "summary"
    path: str | None = None


def _blocking(suite: str | None, blocking: frozenset[str] | None) -> bool:
    return blocking is None or (suite or UNCLASSIFIED) in blocking


def _slower(base: float, now: float, factor: float, floor: float) -> bool:
    return now > base * factor and now - base >= floor


def _ratio(base: float, now: float) -> float | None:
    return round(now / base, 3) if base > 0 else None


def _durations(
    baseline: Snapshot, current: Snapshot, common: list[str], limits: Thresholds
) -> list[DurationRegression]:
    """Tests and suites slower than the thresholds, over tests that passed in both runs."""
    found: list[DurationRegression] = []
    suite_base: dict[str, float] = defaultdict(float)
    suite_now: dict[str, float] = defaultdict(float)
    for nodeid in common:
        before, now = baseline.tests[nodeid], current.tests[nodeid]
        if before.outcome != "passed" or now.outcome != "passed":
            continue
        if before.duration_s is None or now.duration_s is None:
            continue
        suite = now.suite or before.suite or UNCLASSIFIED
        suite_base[suite] += before.duration_s
        suite_now[suite] += now.duration_s
        if _slower(before.duration_s, now.duration_s, limits.factor, limits.test_floor_s):
            found.append(
                DurationRegression(
                    kind="test",
                    name=nodeid,
                    baseline_s=round(before.duration_s, 6),
                    current_s=round(now.duration_s, 6),
                    factor=_ratio(before.duration_s, now.duration_s),
                )
            )
    for suite in sorted(suite_now):
        base, now_s = suite_base[suite], suite_now[suite]
        if _slower(base, now_s, limits.factor, limits.suite_floor_s):
            found.append(
                DurationRegression(
                    kind="suite",
                    name=suite,
                    baseline_s=round(base, 6),
                    current_s=round(now_s, 6),
                    factor=_ratio(base, now_s),
                )
            )
    return found


def _status(groups: TestGroups, known_collection_errors: int) -> TriageStatus:
    if groups.regressed or groups.new_failures or groups.new_collection_errors:
        return "regression"
    if groups.still_failing or known_collection_errors:
        return "known_failures_only"
    if groups.fixed:
        return "improved"
    return "stable"


def diff(baseline: Snapshot, current: Snapshot, inputs: DiffInputs | None = None) -> TriageDiff:
    """Compare ``current`` with ``baseline``: groups, counts, status and ranked diagnostics."""
    inputs = inputs or DiffInputs()
    groups = TestGroups()
    lists: dict[str, list[str]] = {
        "regressed": groups.regressed,
        "fixed": groups.fixed,
        "still_failing": groups.still_failing,
        "newly_flaky": groups.newly_flaky,
        "new": groups.new,
        "removed": groups.removed,
    }
    common: list[str] = []
    unchanged = 0
    not_run = 0
    for nodeid in sorted(current.tests.keys() | baseline.tests.keys()):
        before = baseline.tests.get(nodeid)
        now = current.tests.get(nodeid)
        group = transition(before.outcome if before else None, now.outcome if now else None)
        if before is not None and now is not None:
            common.append(nodeid)
        if group == "removed" and current.partial:
            not_run += 1
        elif group == "unchanged":
            unchanged += 1
        else:
            lists[group].append(nodeid)
        if group == "new" and now is not None:
            if now.outcome in FAILING_OUTCOMES:
                groups.new_failures.append(nodeid)
            elif now.outcome == "flaky":
                groups.flaky_new.append(nodeid)
    groups.new_collection_errors = sorted(current.collection_errors - baseline.collection_errors)
    known_errors = len(current.collection_errors & baseline.collection_errors)
    slow = _durations(baseline, current, common, inputs.thresholds)
    status = _status(groups, known_errors)
    findings = _findings(baseline, current, groups, slow, inputs)
    diagnostics, commands = _ranked(findings, inputs)
    summary = TriageSummary(
        status=status,
        baseline_run_id=baseline.run_id,
        regression_count=len(groups.regressed),
        new_failure_count=len(groups.new_failures),
        new_collection_errors=len(groups.new_collection_errors),
        fixed_count=len(groups.fixed),
        still_failing_count=len(groups.still_failing),
        unchanged_count=unchanged,
        compared=len(common),
        new_tests=len(groups.new),
        removed_tests=len(groups.removed),
        not_run=not_run,
        newly_flaky=len(groups.newly_flaky),
        flaky_new=len(groups.flaky_new),
        duration_regressions=sum(1 for d in slow if d.kind == "test"),
        suite_duration_regressions=sum(1 for d in slow if d.kind == "suite"),
    )
    return TriageDiff(
        run_id=current.run_id,
        status=status,
        baseline=Baseline(
            run_id=baseline.run_id,
            source="history" if inputs.source == "history" else "summary",
            path=inputs.path,
            git_sha=baseline.git_sha,
            branch=baseline.branch,
            started_at=baseline.started_at,
        ),
        scope="partial" if current.partial else "full",
        summary=summary,
        thresholds=inputs.thresholds,
        tests=groups,
        duration_regressions=slow,
        ranked_diagnostics=diagnostics,
        recommended_commands=commands,
    )


def _findings(
    baseline: Snapshot,
    current: Snapshot,
    groups: TestGroups,
    slow: list[DurationRegression],
    inputs: DiffInputs,
) -> list[_Finding]:
    blocking = inputs.blocking_suites

    def suite_of(nodeid: str) -> str | None:
        facts = current.tests.get(nodeid) or baseline.tests.get(nodeid)
        return facts.suite if facts else None

    def outcome(snapshot: Snapshot, nodeid: str) -> str:
        facts = snapshot.tests.get(nodeid)
        return facts.outcome if facts else "absent"

    found: list[_Finding] = []
    for file in groups.new_collection_errors:
        found.append(_Finding("SEV-1", "collection_error", file, None, "collected -> collection error"))
    failing: tuple[tuple[DiagnosticKind, list[str]], ...] = (
        ("regression", groups.regressed),
        ("new_failure", groups.new_failures),
    )
    for kind, ids in failing:
        for nodeid in ids:
            suite = suite_of(nodeid)
            severity: Severity = "SEV-1" if _blocking(suite, blocking) else "SEV-2"
            change = f"{outcome(baseline, nodeid)} -> {outcome(current, nodeid)}"
            found.append(_Finding(severity, kind, nodeid, suite, change))
    for nodeid in groups.flaky_new:
        found.append(_Finding("SEV-2", "flaky_new", nodeid, suite_of(nodeid), "new test, flaky"))
    for nodeid in groups.newly_flaky:
        change = f"{outcome(baseline, nodeid)} -> flaky"
        found.append(_Finding("SEV-2", "newly_flaky", nodeid, suite_of(nodeid), change))
    for nodeid in groups.still_failing:
        change = f"{outcome(baseline, nodeid)} -> {outcome(current, nodeid)}"
        found.append(_Finding("SEV-3", "still_failing", nodeid, suite_of(nodeid), change))
    for d in slow:
        change = f"{d.baseline_s:.2f} s -> {d.current_s:.2f} s"
        order = (-(d.current_s - d.baseline_s), d.name)
        if d.kind == "test":
            found.append(_Finding("SEV-3", "slower", d.name, suite_of(d.name), change, order))
        else:
            found.append(_Finding("SEV-3", "suite_slower", None, d.name, change, order))
    for nodeid in groups.removed:
        change = f"{outcome(baseline, nodeid)} -> absent"
        found.append(_Finding("SEV-3", "removed", nodeid, suite_of(nodeid), change))
    for f in found:
        if f.nodeid and f.kind not in ("slower", "removed"):
            f.detail = inputs.details.get(f.nodeid, "")
        if f.order == (0.0, ""):
            f.order = (0.0, f.nodeid or f.suite or "")
    found.sort(key=lambda f: (f.severity, KIND_ORDER[f.kind], f.order))
    return found


def _ranked(findings: list[_Finding], inputs: DiffInputs) -> tuple[list[Diagnostic], RecommendedCommands]:
    command = inputs.command
    diagnostics: list[Diagnostic] = []
    for rank, f in enumerate(findings, start=1):
        replay = None
        if command is not None and f.nodeid and f.kind != "removed":
            replay = command([f.nodeid])
        diagnostics.append(
            Diagnostic(
                rank=rank,
                severity=f.severity,
                kind=f.kind,
                nodeid=f.nodeid,
                suite=f.suite,
                change=f.change,
                detail=f.detail,
                replay_command=replay,
            )
        )
    problems = [f.nodeid for f in findings if f.kind in PROBLEM_KINDS and f.nodeid]
    if not problems:
        problems = [f.nodeid for f in findings if f.kind == "still_failing" and f.nodeid]
    runner = command(list(dict.fromkeys(problems))) if command is not None and problems else None
    ranked = list(dict.fromkeys(d.replay_command for d in diagnostics if d.replay_command))
    return diagnostics, RecommendedCommands(runner_repro_command=runner, ranked_repro_commands=ranked)


def headline(triage: TriageDiff) -> str:
    """One line saying what the comparison found, for terminals and gate details."""
    s = triage.summary
    parts = [
        f"{s.regression_count} regressed",
        f"{s.new_failure_count} new failing",
        f"{s.fixed_count} fixed",
        f"{s.still_failing_count} still failing",
    ]
    if s.new_collection_errors:
        parts.insert(0, f"{s.new_collection_errors} new collection error(s)")
    if s.flaky_new or s.newly_flaky:
        parts.append(f"{s.flaky_new + s.newly_flaky} flaky")
    if s.duration_regressions or s.suite_duration_regressions:
        parts.append(f"{s.duration_regressions + s.suite_duration_regressions} slower")
    if s.new_tests or s.removed_tests:
        parts.append(f"{s.new_tests} new, {s.removed_tests} removed tests")
    return f"{triage.status} against run {triage.baseline.run_id}: " + ", ".join(parts)
