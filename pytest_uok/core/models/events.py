"""The envelope of one line of events.jsonl."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase


class EventEnvelope(ArtifactModelBase):
    """One audit event; ``seq`` orders the events of one run, ``pid`` tells writers apart."""

    SCHEMA_ID: ClassVar[str] = "uok.event.v1"

    schema_: Literal["uok.event.v1"] = Field(default="uok.event.v1", alias="schema")
    seq: int = Field(ge=0)
    run_id: str
    ts: datetime
    pid: int
    kind: str = Field(description="session_start, test_failure, collection_error, session_finish, ...")
    data: dict[str, Any] = Field(default_factory=dict)
