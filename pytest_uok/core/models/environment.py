"""The environment block shared by replay_bundle.json and environment.json."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, ShardContext, StrictModel
from pytest_uok.core.models.shard import ShardManifest


class EnvironmentBlock(StrictModel):
    """What a replay needs to know about the machine and the invocation."""

    profile: str | None = None
    git_sha: str | None
    git_dirty: bool | None
    git_branch: str | None = Field(
        default=None, description="the branch: git's, else the CI system's branch variable when detached"
    )
    python: str
    pytest: str
    platform: str
    plugins: list[str]
    seed: int | None = Field(default=None, description="pytest-randomly's seed when active")
    xdist_workers: int | None = None
    shard_kind: str = "none"
    shard_index: int = 0
    shard_total: int = 1
    rootdir: str


class EnvironmentArtifact(ArtifactModelBase):
    """environment.json: the environment block, shard context and allow-listed variables."""

    SCHEMA_ID: ClassVar[str] = "uok.environment.v1"

    schema_: Literal["uok.environment.v1"] = Field(default="uok.environment.v1", alias="schema")
    run_id: str
    environment: EnvironmentBlock
    shard: ShardContext
    variables: dict[str, str] = Field(
        description="allow-listed environment variables, values redacted where secret"
    )
    extra: dict[str, str] = Field(
        default_factory=dict, description="facts added by pytest_uok_environment hooks"
    )
    manifest: ShardManifest | None = Field(default=None, description="this shard's tests (digest and count)")
