"""The summary.json model: one run's facts, one record per test."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, ShardContext, StrictModel
from pytest_uok.core.models.shard import ShardManifest
from pytest_uok.core.models.triage import TriageSummary
from pytest_uok.core.models.verdict import VerdictSummary
from pytest_uok.core.outcomes import Outcome

Phase = Literal["setup", "call", "teardown"]


class Attempt(StrictModel):
    """One execution of a test; a test rerun for flakiness has several."""

    outcome: Outcome
    duration_s: float = Field(ge=0)
    phase: Phase | None = Field(default=None, description="the phase that failed, if any")


class SubtestTally(StrictModel):
    """Counts of the subtests a test reported under its own node id."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0
    failures: list[str] = Field(default_factory=list, description="failed subtest descriptions")


class TestEntry(StrictModel):
    """One logical test, however many reports, attempts or subtests it produced."""

    nodeid: str
    file: str
    outcome: Outcome
    duration_s: float = Field(ge=0)
    suite: str | None = None
    phase: Phase | None = Field(default=None, description="the phase that decided a failure")
    attempts: list[Attempt]
    subtests: SubtestTally | None = None


class TerminalCounts(StrictModel):
    """The numbers of pytest's own closing line, counted the way pytest counts them."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    deselected: int = 0
    subtests_passed: int = 0
    subtests_failed: int = 0
    subtests_skipped: int = 0
    other: dict[str, int] = Field(
        default_factory=dict, description="categories added by other plugins, by their name"
    )


class CollectionError(StrictModel):
    """A file or node that could not be collected."""

    nodeid: str
    message: str


class SuiteCounts(StrictModel):
    """Per-suite tallies of record outcomes."""

    total: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    passed: bool = True


class Classification(StrictModel):
    """What the policy file says about this run's test files (present when a policy was read)."""

    policy_path: str | None = Field(description="the policy file, relative to the rootdir when inside it")
    error: str | None = Field(default=None, description="why the policy could not be read (fail safe)")
    unclassified: list[str] = Field(default_factory=list, description="test files in no suite")
    stale: list[str] = Field(
        default_factory=list, description="'suite.NAME: entry' for entries naming no existing file"
    )
    duplicates: list[str] = Field(
        default_factory=list, description="'file: suite, suite' for files matched by several suites"
    )
    unsorted: list[str] = Field(
        default_factory=list, description="'suite.NAME: entry' where a suite's files leave alphabetical order"
    )


class FlakyTest(StrictModel):
    """A test that failed and then passed on a rerun, with a quarantine entry ready to paste."""

    nodeid: str
    attempts: int = Field(ge=2)
    failed_attempts: int = Field(ge=1)
    suggested_category: str
    why: str = Field(description="what the suggested category was inferred from")
    quarantine_entry: str = Field(description="a [[quarantine]] TOML entry to paste into the policy file")


class EarlyFlake(StrictModel):
    """Early flake detection (--uok-new-test-retries): the new tests and those found flaky."""

    retries: int = Field(ge=0, description="the most retries of a new test")
    new_tests: int = Field(ge=0, description="tests that no baseline or history knew")
    retried: int = Field(ge=0, description="new tests that ran more than once")
    flaky_new: list[str] = Field(
        default_factory=list, description="new tests that failed an attempt and passed another"
    )
    skipped: str | None = Field(default=None, description="why no new test was retried")


class ReplayPointer(StrictModel):
    """Where to find the command that replays the run's failures."""

    one_command_replay: str | None


class Summary(ArtifactModelBase):
    """summary.json: what ran, how it ended, and every test's record."""

    SCHEMA_ID: ClassVar[str] = "uok.summary.v1"

    schema_: Literal["uok.summary.v1"] = Field(default="uok.summary.v1", alias="schema")
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    duration_s: float = Field(ge=0)
    exit_status: int | None
    interrupted: bool
    complete: bool
    internal_errors: list[str] = Field(default_factory=list)
    rootdir: str
    invocation: list[str]
    git_sha: str | None
    counts: TerminalCounts
    outcomes: dict[str, int]
    suites: dict[str, SuiteCounts] = Field(default_factory=dict)
    passed_suites: int = 0
    total_suites: int = 0
    failed_names: list[str]
    collection_errors: list[CollectionError] = Field(default_factory=list)
    shard: ShardContext = Field(default_factory=ShardContext)
    manifest: ShardManifest | None = Field(default=None, description="this shard's tests, when sharded")
    shards: list[ShardManifest] = Field(
        default_factory=list, description="the manifests of the shards a merged run was made of"
    )
    replay_bundle: ReplayPointer
    verdict: VerdictSummary | None = Field(default=None, description="the gates' verdict when gated")
    triage_diff: TriageSummary | None = Field(
        default=None, description="the comparison with a baseline run, when diffed (see triage_diff.json)"
    )
    tests: list[TestEntry]
    classification: Classification | None = None
    flaky: list[FlakyTest] = Field(default_factory=list)
    early_flake: EarlyFlake | None = Field(default=None, description="with --uok-new-test-retries")
    ready_to_release: list[str] = Field(
        default_factory=list,
        description="quarantined tests that passed every --uok-attempt-to-fix attempt",
    )
