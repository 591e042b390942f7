"""What a gate is and what it returns: the Gate protocol, GateResult, and the gate error classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pytest_uok.core.models.verdict import BlockerKind, GateKind, GateStatus

if TYPE_CHECKING:
    from pytest_uok.core.gates.facts import RunFacts

PASS: GateStatus = "pass"
FAIL: GateStatus = "fail"
WARN: GateStatus = "warn"
SKIP: GateStatus = "skip"
MANUAL: GateStatus = "manual-attention"


@dataclass(frozen=True)
class BlockerFact:
    """A specific reason a failing gate gives, turned into a verdict blocker when the gate blocks."""

    kind: BlockerKind
    detail: str
    subject: str | None = None


@dataclass
class GateResult:
    """What one evaluation of a gate found."""

    status: GateStatus
    detail: str
    evidence: list[str] = field(default_factory=list)
    reproduce_command: str | None = None
    blockers: list[BlockerFact] = field(default_factory=list)


class GateError(Exception):
    """A gate could not decide; subclasses name the failure class that decides the retries."""

    failure_class = "execution"


class GateExecutionError(GateError):
    """The gate's own code or command could not run to a decision."""

    failure_class = "execution"


class GateArtifactError(GateError):
    """An artifact the gate needs is missing or unreadable."""

    failure_class = "artifact"


class GateVerificationError(GateError):
    """The facts contradict each other, so the gate cannot trust them."""

    failure_class = "verification"


class GateTimeout(GateError):
    """The gate did not finish within its timeout."""

    failure_class = "timeout"


#: Retries after the first evaluation, by failure class.
RETRIES: dict[str, int] = {"execution": 1, "artifact": 1, "verification": 1, "timeout": 2}


@runtime_checkable
class Gate(Protocol):
    """A named check over a run's facts. ``evaluate`` returns a GateResult or raises a GateError."""

    id: str
    requires: Sequence[str]
    blocking: bool
    kind: GateKind

    def evaluate(self, facts: RunFacts, options: dict[str, Any]) -> GateResult: ...


@dataclass
class FunctionGate:
    """A gate made from a function ``(facts, options) -> GateResult``; what ``@gate`` builds."""

    id: str
    func: Callable[[RunFacts, dict[str, Any]], GateResult]
    requires: Sequence[str] = ()
    blocking: bool = True
    kind: GateKind = "custom"
    timeout_s: float | None = None

    def evaluate(self, facts: RunFacts, options: dict[str, Any]) -> GateResult:
        return self.func(facts, options)


def gate(
    gate_id: str, *, requires: Sequence[str] = (), blocking: bool = True, timeout_s: float | None = None
) -> Callable[[Callable[[RunFacts, dict[str, Any]], GateResult]], FunctionGate]:
    """Decorate ``def check(facts, options) -> GateResult`` to make a custom gate named ``gate_id``."""

    def wrap(func: Callable[[RunFacts, dict[str, Any]], GateResult]) -> FunctionGate:
        return FunctionGate(gate_id, func, tuple(requires), blocking, "custom", timeout_s)

    return wrap
