"""The replay_bundle.json model: commands that reproduce a run's failures."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, StrictModel
from pytest_uok.core.models.environment import EnvironmentBlock
from pytest_uok.core.models.shard import ShardManifest


class FailedSuite(StrictModel):
    """A file with failures, with a command for the file and one per failing test."""

    suite: str
    file: str
    suite_replay: str
    targeted_replay: list[str]
    digest_path: str


class ReplayBundle(ArtifactModelBase):
    """replay_bundle.json: one command for everything, and narrower ones per file and test."""

    SCHEMA_ID: ClassVar[str] = "uok.replay_bundle.v1"

    schema_: Literal["uok.replay_bundle.v1"] = Field(default="uok.replay_bundle.v1", alias="schema")
    run_id: str
    one_command_replay: str | None = Field(
        description="replays every failure of the run; null when nothing failed"
    )
    failed_names: list[str]
    environment: EnvironmentBlock
    failed_suites: list[FailedSuite]
    manifest: ShardManifest | None = Field(default=None, description="this shard's tests (digest and count)")
