"""Pydantic models for every artifact pytest-uok writes: the versioned file contract."""

from __future__ import annotations

from pytest_uok.core.models.common import ArtifactModelBase
from pytest_uok.core.models.digest import FailureDigest
from pytest_uok.core.models.environment import EnvironmentArtifact
from pytest_uok.core.models.events import EventEnvelope
from pytest_uok.core.models.history import History
from pytest_uok.core.models.replay import ReplayBundle
from pytest_uok.core.models.shard import DurationsStore, ShardManifest
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.models.triage import TriageDiff
from pytest_uok.core.models.verdict import EvidenceIndex, GateBreakers, Verdict
from pytest_uok.core.models.waiver_audit import WaiverAudit

#: Every artifact model by the file it is written to; the shipped schema files are generated
#: from these, and readers validate against them.
ARTIFACT_MODELS: dict[str, type[ArtifactModelBase]] = {
    "summary.json": Summary,
    "replay_bundle.json": ReplayBundle,
    "failure_digest.json": FailureDigest,
    "environment.json": EnvironmentArtifact,
    "events.jsonl": EventEnvelope,
    "verdict.json": Verdict,
    "gate_breakers.json": GateBreakers,
    "index.json": EvidenceIndex,
    "waiver_audit.json": WaiverAudit,
    "durations.json": DurationsStore,
    "triage_diff.json": TriageDiff,
    "history.json": History,
}

__all__ = [
    "ARTIFACT_MODELS",
    "ArtifactModelBase",
    "DurationsStore",
    "EnvironmentArtifact",
    "EventEnvelope",
    "EvidenceIndex",
    "FailureDigest",
    "GateBreakers",
    "History",
    "ReplayBundle",
    "ShardManifest",
    "Summary",
    "TriageDiff",
    "Verdict",
    "WaiverAudit",
]
