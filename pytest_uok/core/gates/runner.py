"""The gate runner: orders gates by ``requires``, evaluates each with retries, a timeout and its breaker.

Fail-closed: a gate that raises, times out, is held by an open breaker, or is named in the
configuration without existing ends in ``manual-attention``, which blocks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.events import EventStream
from pytest_uok.core.gates.breaker import BreakerPolicy, BreakerStore, Clock, admit, record, system_clock
from pytest_uok.core.gates.config import GatesConfig, GateSettings
from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import (
    FAIL,
    MANUAL,
    RETRIES,
    SKIP,
    WARN,
    BlockerFact,
    Gate,
    GateError,
    GateResult,
    GateTimeout,
)
from pytest_uok.core.models.verdict import GateRecord, GateStatus, Rollback

STATUSES = ("pass", "fail", "warn", "skip", "manual-attention")
#: Seconds a gate may take when neither the gate nor the policy file says otherwise.
DEFAULT_TIMEOUT_S = 60.0


def order_gates(requires: Mapping[str, Sequence[str]]) -> list[str]:
    """Gate ids with every gate after the gates it requires, otherwise in the given order.

    Requirements on ids not in ``requires`` are ignored here (the runner reports them);
    a cycle is a UokInputError naming it.
    """
    ordered: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = [*stack[stack.index(node) :], node]
            raise UokInputError(
                f"the gates' 'requires' form a cycle: {' -> '.join(cycle)}. Remove one of these "
                "requirements from the policy file ([gates.ID] requires or [[command_gate]] requires)."
            )
        state[node] = 1
        stack.append(node)
        for dep in requires[node]:
            if dep in requires:
                visit(dep)
        stack.pop()
        state[node] = 2
        ordered.append(node)

    for node in requires:
        visit(node)
    return ordered


def requirement_graph(gates: Sequence[Gate], config: GatesConfig) -> dict[str, list[str]]:
    """Every gate's requirements: its own plus those the policy file adds."""
    graph: dict[str, list[str]] = {}
    for g in gates:
        extra = config.settings(g.id).common.requires or []
        graph[g.id] = list(dict.fromkeys([*g.requires, *extra]))
    return graph


@dataclass
class Evaluated:
    """A gate's record in the verdict and the blockers it gave."""

    record: GateRecord
    blockers: list[BlockerFact] = field(default_factory=list)
    error_class: str | None = None


class _Call:
    """One evaluation in a daemon thread, so a hung gate cannot hang the session."""

    def __init__(self, gate: Gate, facts: RunFacts, options: dict[str, Any]) -> None:
        self.result: GateResult | None = None
        self.error: BaseException | None = None
        self._args = (gate, facts, options)

    def __call__(self) -> None:
        gate, facts, options = self._args
        try:
            self.result = gate.evaluate(facts, options)
        except BaseException as exc:
            self.error = exc

    def run(self, timeout: float) -> GateResult:
        thread = threading.Thread(target=self, name=f"uok-gate-{self._args[0].id}", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise GateTimeout(f"did not finish within {timeout:g} s")
        if self.error is not None:
            raise self.error
        result = self.result
        if not isinstance(result, GateResult):
            raise GateError(f"returned {type(result).__name__}, not a GateResult")
        if result.status not in STATUSES or not isinstance(result.detail, str):
            raise GateError(f"returned status {result.status!r}; use one of {', '.join(STATUSES)}")
        return result


def _failure_class(exc: BaseException) -> str:
    return exc.failure_class if isinstance(exc, GateError) else "execution"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GateTimeout):
        return f"timed out: {exc}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class GateRunner:
    """Runs a set of gates over one run's facts."""

    def __init__(
        self,
        gates: Sequence[Gate],
        config: GatesConfig,
        *,
        clock: Clock = system_clock,
        breakers: BreakerStore | None = None,
        rollback: Rollback | None = None,
        events: EventStream | None = None,
        only: Sequence[str] | None = None,
    ) -> None:
        self.gates = {g.id: g for g in gates}
        self.config = config
        self.clock = clock
        self.breakers = breakers if breakers is not None else BreakerStore(None)
        self.rollback = rollback or Rollback(requested=False, active=False)
        self.events = events
        self.only = set(only) if only else None
        self.graph = requirement_graph(gates, config)
        self.order = order_gates(self.graph)

    def run(self, facts: RunFacts) -> list[Evaluated]:
        results: dict[str, Evaluated] = {}
        for gate_id in self.order:
            if self.only is not None and gate_id not in self.only:
                continue
            results[gate_id] = self._run_one(self.gates[gate_id], facts, results)
            self._emit(results[gate_id])
        for gate_id, settings in self.config.gates.items():
            if gate_id in self.gates or (self.only is not None and gate_id not in self.only):
                continue
            results[gate_id] = self._unknown(gate_id, settings)
            self._emit(results[gate_id])
        return list(results.values())

    # -- one gate -----------------------------------------------------------------------

    def _run_one(self, gate: Gate, facts: RunFacts, done: Mapping[str, Evaluated]) -> Evaluated:
        settings = self.config.settings(gate.id)
        blocking = settings.common.blocking if settings.common.blocking is not None else gate.blocking

        def finish(
            status: GateStatus,
            detail: str,
            *,
            attempts: int = 0,
            duration: float = 0.0,
            breaker: str | None = None,
            result: GateResult | None = None,
            error_class: str | None = None,
        ) -> Evaluated:
            record = GateRecord(
                id=gate.id,
                kind=gate.kind,
                status=status,
                blocking=blocking,
                detail=detail,
                reproduce_command=(result and result.reproduce_command) or facts.gate_reproduce(gate.id),
                evidence=list(result.evidence) if result else [],
                duration_s=duration,
                attempts=attempts,
                breaker=breaker,
            )
            return Evaluated(record, list(result.blockers) if result else [], error_class)

        if settings.common.enabled is False:
            return finish(SKIP, "disabled in the policy file")
        for dep in self.graph[gate.id]:
            if dep not in self.gates:
                blocking = True
                return finish(MANUAL, f"requires gate {dep!r}, which is not known")
            prior = done.get(dep)
            if prior is not None and prior.record.status in (FAIL, MANUAL):
                return finish(SKIP, f"requires gate {dep!r}, which ended {prior.record.status}")

        entry = self.breakers.entry(gate.id)
        policy = BreakerPolicy(settings.common.breaker_threshold, settings.common.breaker_open_s)
        admission = admit(entry, self.clock())
        if not admission.allowed:
            status = MANUAL if blocking else WARN
            return finish(status, admission.detail, breaker="open")

        timeout = settings.common.timeout or getattr(gate, "timeout_s", None) or DEFAULT_TIMEOUT_S
        attempts = 0
        started = time.perf_counter()
        error: BaseException | None = None
        result: GateResult | None = None
        while True:
            attempts += 1
            try:
                result = _Call(gate, facts, settings.options).run(timeout)
                error = None
                break
            except Exception as exc:
                error = exc
                if attempts > RETRIES[_failure_class(exc)]:
                    break
        duration = time.perf_counter() - started
        breaker_state = None if admission.state == "closed" else admission.state

        if error is not None:
            cls = _failure_class(error)
            detail = f"{_describe(error)} ({cls} error, {attempts} attempt{'s' if attempts > 1 else ''})"
            record(entry, True, detail, self.clock(), policy)
            if entry.state != "closed":
                breaker_state = entry.state
            blocking = True
            return finish(
                MANUAL, detail, attempts=attempts, duration=duration, breaker=breaker_state, error_class=cls
            )

        assert result is not None
        record(entry, False, "", self.clock(), policy)
        status = result.status
        demoted = False
        if status == FAIL and blocking and self.rollback.active:
            status, demoted = WARN, True
        detail = result.detail
        if demoted:
            detail += f" [demoted by rollback: {self.rollback.reason}]"
        if breaker_state == "half-open":
            detail += " [breaker trial passed; closed again]"
        evaluated = finish(
            status, detail, attempts=attempts, duration=duration, breaker=breaker_state, result=result
        )
        evaluated.record.demoted = demoted
        return evaluated

    def _unknown(self, gate_id: str, settings: GateSettings) -> Evaluated:
        known = ", ".join(sorted(self.gates)) or "none"
        if settings.common.enabled is False:
            status, detail = SKIP, "disabled in the policy file (and not a known gate)"
        else:
            status = MANUAL
            detail = (
                f"[gates.{gate_id}] is in the policy file, but no gate has this id (known: {known}). "
                "Fix the id, or provide the gate through the pytest_uok_gates hook."
            )
        record_ = GateRecord(
            id=gate_id,
            kind="custom",
            status=status,
            blocking=status == MANUAL,
            detail=detail,
            duration_s=0.0,
            attempts=0,
        )
        return Evaluated(record_)

    def _emit(self, evaluated: Evaluated) -> None:
        if self.events is None:
            return
        r = evaluated.record
        self.events.emit(
            "gate",
            id=r.id,
            status=r.status,
            blocking=r.blocking,
            attempts=r.attempts,
            duration_s=round(r.duration_s, 6),
            demoted=r.demoted,
            breaker=r.breaker,
            error_class=evaluated.error_class,
        )
