"""The waiver_audit.json model: every waiver and quarantine entry with its state and why."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, StrictModel

AuditState = Literal["valid", "expiring", "expired", "invalid", "stale"]


class AuditEntry(StrictModel):
    """One waiver or quarantine entry of the policy file, judged on the day of the run."""

    kind: Literal["waiver", "quarantine"]
    id: str = Field(description="the waiver id, or the quarantined test's node id or pattern")
    target: str = Field(description="the test node id / pattern or gate id the entry covers")
    owner: str
    issue: str
    state: AuditState
    reason: str = Field(description="why the entry has this state")
    created: date
    expires: date
    days_left: int = Field(description="days until expiry; negative once expired")
    category: str | None = Field(default=None, description="the taxonomy category of a quarantine")
    matched: list[str] = Field(
        default_factory=list, description="node ids of this run the entry covered (bounded)"
    )


class WaiverAudit(ArtifactModelBase):
    """waiver_audit.json: the policy file's exceptions and whether each still holds."""

    SCHEMA_ID: ClassVar[str] = "uok.waiver_audit.v1"

    schema_: Literal["uok.waiver_audit.v1"] = Field(default="uok.waiver_audit.v1", alias="schema")
    run_id: str | None = Field(description="the run judged, or null for an audit outside a run")
    policy_path: str | None = Field(default=None, description="the policy file judged")
    today: date | None = Field(default=None, description="the day the entries were judged on")
    entries: list[AuditEntry]
    counts: dict[AuditState, int]
