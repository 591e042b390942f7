"""Pieces shared by every artifact model: the strict base class and the shard context."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """A nested part of an artifact: unknown fields are an error, so typos never pass silently."""

    # defer_build: a model's validator and serializer are made when first used, so a session
    # pays only for the artifacts it writes or reads.
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_serialization_defaults_required=True,
        defer_build=True,
    )


class ArtifactModelBase(StrictModel):
    """A whole artifact file: carries ``schema`` naming its versioned schema id."""

    #: The schema id every instance must carry, e.g. ``uok.summary.v1``.
    SCHEMA_ID: ClassVar[str] = ""


ShardKind = Literal["none", "test", "class", "module"]


class ShardContext(StrictModel):
    """Which slice of a larger run this run was: ``kind`` is the grouping, ``none`` if unsharded."""

    kind: ShardKind = "none"
    index: int = Field(default=0, ge=0)
    total: int = Field(default=1, ge=1)
    source: str = Field(default="", description="where the shard spec came from (cli, ini, env)")
