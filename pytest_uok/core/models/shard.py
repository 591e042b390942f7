"""Models of sharding: a shard's manifest (what it was given to run) and the durations store."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, ShardKind, StrictModel


class ShardManifest(StrictModel):
    """The tests one shard was assigned, so a merge can prove every test ran exactly once."""

    kind: ShardKind
    index: int = Field(ge=0)
    total: int = Field(ge=1)
    source: str = ""
    count: int = Field(ge=0, description="how many tests this shard was assigned")
    digest: str = Field(description="sha256 of the sorted node ids, one per line")
    nodeids: list[str] | None = Field(
        default=None, description="the assigned node ids, sorted (summary.json only)"
    )
    estimated_s: float = Field(default=0.0, ge=0, description="the estimated run time of the shard")
    shard_deselected: int = Field(
        default=0, ge=0, description="tests deselected because another shard owns them"
    )
    universe_count: int | None = Field(
        default=None, description="tests selected before sharding (null when files were split before import)"
    )
    universe_digest: str | None = Field(
        default=None, description="sha256 of the sorted node ids of all shards"
    )
    pre_import: bool = Field(
        default=False, description="whether files were assigned before they were imported"
    )


class DurationEntry(StrictModel):
    """One test's recorded duration and the day it was last measured."""

    duration_s: float = Field(ge=0)
    last_seen: date


class DurationsStore(ArtifactModelBase):
    """durations.json: recorded test durations by node id, used to balance shards."""

    SCHEMA_ID: ClassVar[str] = "uok.durations.v1"

    schema_: Literal["uok.durations.v1"] = Field(default="uok.durations.v1", alias="schema")
    updated_at: datetime
    tests: dict[str, DurationEntry]
