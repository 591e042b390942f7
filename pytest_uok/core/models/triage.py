"""The triage_diff.json model: how a run differs from a baseline run, ranked for a person to act on."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, StrictModel

TriageStatus = Literal["regression", "stable", "known_failures_only", "improved"]
Severity = Literal["SEV-1", "SEV-2", "SEV-3"]
DiagnosticKind = Literal[
    "collection_error",
    "regression",
    "new_failure",
    "flaky_new",
    "newly_flaky",
    "still_failing",
    "slower",
    "suite_slower",
    "removed",
]


class Baseline(StrictModel):
    """The run this one was compared with and where it was read from."""

    run_id: str
    source: Literal["summary", "history"] = Field(
        description="summary: a summary.json given with --uok-diff-from; history: the history store"
    )
    path: str | None = Field(default=None, description="the file the baseline was read from")
    git_sha: str | None = None
    branch: str | None = None
    started_at: datetime | None = None


class TriageSummary(StrictModel):
    """The diff's counts; also copied into summary.json as ``triage_diff``."""

    status: TriageStatus
    baseline_run_id: str
    regression_count: int = Field(ge=0, description="tests that did not fail in the baseline and fail now")
    new_failure_count: int = Field(ge=0, description="tests the baseline did not have that fail now")
    new_collection_errors: int = Field(default=0, ge=0, description="files that newly fail to collect")
    fixed_count: int = Field(ge=0, description="tests that failed in the baseline and do not now")
    still_failing_count: int = Field(ge=0, description="tests failing in both runs (known failures)")
    unchanged_count: int = Field(ge=0, description="compared tests in none of the groups above")
    compared: int = Field(ge=0, description="tests present in both runs")
    new_tests: int = Field(ge=0, description="tests the baseline did not have")
    removed_tests: int = Field(ge=0, description="baseline tests gone from a full run")
    not_run: int = Field(default=0, ge=0, description="baseline tests outside this run's selection")
    newly_flaky: int = Field(ge=0, description="tests passing in the baseline that are flaky now")
    flaky_new: int = Field(ge=0, description="new tests that failed an attempt and passed another")
    duration_regressions: int = Field(ge=0, description="tests slower than the thresholds allow")
    suite_duration_regressions: int = Field(ge=0, description="suites slower than the thresholds allow")


class Thresholds(StrictModel):
    """When a test or suite counts as slower: ``factor`` times the baseline and ``floor`` seconds more."""

    factor: float = Field(gt=1)
    test_floor_s: float = Field(ge=0)
    suite_floor_s: float = Field(ge=0)


class TestGroups(StrictModel):
    """The node ids behind the summary's counts (``unchanged`` is left out)."""

    regressed: list[str] = Field(default_factory=list)
    new_failures: list[str] = Field(default_factory=list)
    fixed: list[str] = Field(default_factory=list)
    still_failing: list[str] = Field(default_factory=list)
    new: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    newly_flaky: list[str] = Field(default_factory=list)
    flaky_new: list[str] = Field(default_factory=list)
    new_collection_errors: list[str] = Field(default_factory=list)


class DurationRegression(StrictModel):
    """A test or suite that got slower than the thresholds allow."""

    kind: Literal["test", "suite"]
    name: str = Field(description="the node id or the suite")
    baseline_s: float = Field(ge=0)
    current_s: float = Field(ge=0)
    factor: float | None = Field(description="current / baseline (null when the baseline took no time)")


class Diagnostic(StrictModel):
    """One ranked finding: what changed, where, how bad, and the command that shows it."""

    rank: int = Field(ge=1)
    severity: Severity
    kind: DiagnosticKind
    nodeid: str | None = Field(default=None, description="the test or file (null for a suite)")
    suite: str | None = None
    change: str = Field(description="the outcome or duration in the baseline -> now")
    detail: str = ""
    replay_command: str | None = None


class RecommendedCommands(StrictModel):
    """Commands to paste into a shell, from the folder pytest was started in."""

    runner_repro_command: str | None = Field(description="one command running every problem test")
    ranked_repro_commands: list[str] = Field(
        default_factory=list, description="one command per diagnostic that can be replayed, in rank order"
    )


class TriageDiff(ArtifactModelBase):
    """triage_diff.json: this run compared with a baseline run."""

    SCHEMA_ID: ClassVar[str] = "uok.triage_diff.v1"

    schema_: Literal["uok.triage_diff.v1"] = Field(default="uok.triage_diff.v1", alias="schema")
    run_id: str
    status: TriageStatus
    baseline: Baseline
    scope: Literal["full", "partial"] = Field(
        default="full",
        description="partial: this run selected part of the suite (a shard, -k, a rerun), so baseline "
        "tests it did not run are not called removed",
    )
    summary: TriageSummary
    thresholds: Thresholds
    tests: TestGroups
    duration_regressions: list[DurationRegression] = Field(default_factory=list)
    ranked_diagnostics: list[Diagnostic]
    recommended_commands: RecommendedCommands
