"""The failure_digest.json model: one entry per failure with its likely cause and replay."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, StrictModel

RootCauseClass = Literal[
    "assertion_failure",
    "exception",
    "timeout",
    "setup_error",
    "teardown_error",
    "collection_error",
    "crash",
    "subtest_failure",
    "xpass_strict",
]


class FirstFailingAssertion(StrictModel):
    """The line in the test's own code where it failed."""

    path: str
    line: int
    message: str


class RemediationPointer(StrictModel):
    """Commands that replay the failure at three widths."""

    replay_command: str
    suite_replay_command: str
    targeted_test_replay_command: str


class OutputExcerpts(StrictModel):
    """Bounded, redacted text from the failure."""

    longrepr: str = ""
    stdout: str = ""
    stderr: str = ""
    log: str = ""
    truncated: bool = False


class FailureEntry(StrictModel):
    """One failed, errored or uncollectable node."""

    nodeid: str
    suite: str | None = None
    outcome: str
    phase: str | None = None
    root_cause_class: RootCauseClass
    exception_type: str | None = None
    impacted_scenario_ids: list[str] = Field(default_factory=list)
    first_failing_assertion: FirstFailingAssertion | None = None
    remediation_pointer: RemediationPointer
    excerpts: OutputExcerpts
    extra: dict[str, Any] = Field(
        default_factory=dict, description="fields added by pytest_uok_digest_fields hooks"
    )


class FailureDigest(ArtifactModelBase):
    """failure_digest.json: every failure of the run, classified."""

    SCHEMA_ID: ClassVar[str] = "uok.failure_digest.v1"

    schema_: Literal["uok.failure_digest.v1"] = Field(default="uok.failure_digest.v1", alias="schema")
    run_id: str
    failures: list[FailureEntry]
