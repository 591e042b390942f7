"""Gates: named checks over a run's facts, the runner that evaluates them, and the verdict."""

from __future__ import annotations

from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import (
    FAIL,
    MANUAL,
    PASS,
    SKIP,
    WARN,
    BlockerFact,
    FunctionGate,
    Gate,
    GateArtifactError,
    GateError,
    GateExecutionError,
    GateResult,
    GateTimeout,
    GateVerificationError,
    gate,
)

__all__ = [
    "FAIL",
    "MANUAL",
    "PASS",
    "SKIP",
    "WARN",
    "BlockerFact",
    "FunctionGate",
    "Gate",
    "GateArtifactError",
    "GateError",
    "GateExecutionError",
    "GateResult",
    "GateTimeout",
    "GateVerificationError",
    "RunFacts",
    "gate",
]
