"""The verdict.json model (every gate's result and the overall decision) and the gates' side files."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from pytest_uok.core.models.common import ArtifactModelBase, StrictModel

GateStatus = Literal["pass", "fail", "warn", "skip", "manual-attention"]
GateKind = Literal["builtin", "command", "custom"]
BlockerKind = Literal[
    "failed_test",
    "failed_gate",
    "collection_error",
    "missing_artifact",
    "invalid_artifact",
    "expired_waiver",
    "invalid_waiver",
    "unclassified",
    "stale_classification",
    "duplicate_classification",
    "missing_policy",
    "flaky_test",
    "pass_rate",
    "duration_budget",
    "regression",
    "manual_attention",
]
HealthStatus = Literal["healthy", "degraded", "needs-repair"]


class GateRecord(StrictModel):
    """One gate's result in a run."""

    id: str
    kind: GateKind = "builtin"
    status: GateStatus
    blocking: bool
    detail: str
    reproduce_command: str | None = None
    evidence: list[str] = Field(default_factory=list, description="artifact paths backing the result")
    duration_s: float = Field(ge=0)
    attempts: int = Field(ge=0, description="evaluations made, retries included; 0 when not run")
    demoted: bool = Field(default=False, description="a blocking failure turned into a warning by rollback")
    breaker: str | None = Field(default=None, description="the circuit breaker's state when not closed")


class Blocker(StrictModel):
    """One reason the verdict fails, specific enough to act on."""

    kind: BlockerKind
    gate: str
    subject: str | None = Field(default=None, description="the test, artifact, waiver or file concerned")
    detail: str


class Rollback(StrictModel):
    """The rollback request found in the environment and whether it was honoured."""

    requested: bool
    active: bool
    reason: str | None = None
    expires: str | None = None
    note: str = ""


class Health(StrictModel):
    """Whether the gating machinery itself can be trusted for this run."""

    status: HealthStatus
    reasons: list[str] = Field(default_factory=list)


class Verdict(ArtifactModelBase):
    """verdict.json: every gate's result and whether the run is good enough."""

    SCHEMA_ID: ClassVar[str] = "uok.verdict.v1"

    schema_: Literal["uok.verdict.v1"] = Field(default="uok.verdict.v1", alias="schema")
    run_id: str
    evaluated_at: datetime
    source: Literal["session", "artifacts"] = Field(
        description="session: pytest --uok-gate; artifacts: pytest-uok gate over a folder"
    )
    overall: Literal["pass", "fail"]
    mode: Literal["strict", "rollback"]
    rollback: Rollback | None = None
    failed_gates: list[str]
    gates: list[GateRecord]
    blockers: list[Blocker]
    operator_next_actions: list[str]
    health: Health


class VerdictSummary(StrictModel):
    """The verdict's headline, copied into summary.json."""

    overall: Literal["pass", "fail"]
    mode: Literal["strict", "rollback"]
    failed_gates: list[str]


class BreakerEntry(StrictModel):
    """One gate's circuit breaker."""

    state: Literal["closed", "open", "half-open"] = "closed"
    consecutive_errors: int = Field(default=0, ge=0)
    streaks: int = Field(default=0, ge=0, description="how many times the breaker opened in a row")
    opened_at: float | None = Field(default=None, description="epoch seconds")
    open_until: float | None = Field(default=None, description="epoch seconds")
    last_error: str = ""


class GateBreakers(ArtifactModelBase):
    """gate_breakers.json: the circuit breaker of every gate, kept between runs."""

    SCHEMA_ID: ClassVar[str] = "uok.gate_breakers.v1"

    schema_: Literal["uok.gate_breakers.v1"] = Field(default="uok.gate_breakers.v1", alias="schema")
    breakers: dict[str, BreakerEntry] = Field(default_factory=dict)


class IndexedArtifact(StrictModel):
    """One artifact of the evidence bundle."""

    name: str
    schema_id: str | None = Field(alias="schema")
    bytes: int = Field(ge=0, description="size hashed; events.jsonl may grow after indexing")
    sha256: str
    valid: bool
    problem: str = ""


class EvidenceIndex(ArtifactModelBase):
    """index.json: the run's artifacts with their schema and sha256, written by evidence_bundle."""

    SCHEMA_ID: ClassVar[str] = "uok.evidence_index.v1"

    schema_: Literal["uok.evidence_index.v1"] = Field(default="uok.evidence_index.v1", alias="schema")
    run_id: str
    artifacts: list[IndexedArtifact]
    missing: list[str] = Field(default_factory=list)
