"""The gate runner: ordering, retries per failure class, fail-closed results, breakers, rollback."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gates import (
    FAIL,
    MANUAL,
    PASS,
    SKIP,
    WARN,
    FunctionGate,
    GateArtifactError,
    GateResult,
    GateTimeout,
    GateVerificationError,
    RunFacts,
)
from pytest_uok.core.gates.breaker import BreakerStore
from pytest_uok.core.gates.config import CommonGateSettings, GatesConfig, GateSettings
from pytest_uok.core.gates.rollback import resolve_rollback
from pytest_uok.core.gates.runner import GateRunner, order_gates
from pytest_uok.core.gates.verdict import build_verdict
from pytest_uok.core.models.verdict import Rollback

DAY = 86400.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, t: float = 1_750_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Flaky:
    """A gate body that raises ``error`` for its first ``failures`` calls, then passes."""

    def __init__(self, error: Exception | None, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.calls = 0

    def __call__(self, facts: RunFacts, options: dict[str, Any]) -> GateResult:
        self.calls += 1
        if self.error is not None and self.calls <= self.failures:
            raise self.error
        return GateResult(PASS, "fine")


def settings(**common: Any) -> GatesConfig:
    return GatesConfig(gates={gid: GateSettings(CommonGateSettings(**kw)) for gid, kw in common.items()})


def run(
    gates: list[FunctionGate], tmp_path: Path, config: GatesConfig | None = None, **kw: Any
) -> dict[str, Any]:
    runner = GateRunner(gates, config or GatesConfig(), **kw)
    return {ev.record.id: ev.record for ev in runner.run(RunFacts(tmp_path))}


# -- ordering -----------------------------------------------------------------------------


def test_requires_puts_a_gate_after_what_it_needs() -> None:
    assert order_gates({"c": ["b"], "a": [], "b": ["a"]}) == ["a", "b", "c"]


def test_a_cycle_is_rejected_and_named() -> None:
    with pytest.raises(UokInputError, match=r"cycle: a -> b -> a"):
        order_gates({"a": ["b"], "b": ["a"]})


@given(
    st.dictionaries(st.sampled_from("abcdefg"), st.lists(st.sampled_from("abcdefg"), max_size=3), max_size=7)
)
def test_order_respects_every_requirement_or_finds_a_cycle(graph: dict[str, list[str]]) -> None:
    try:
        order = order_gates(graph)
    except UokInputError:
        return
    assert sorted(order) == sorted(graph)
    for node, deps in graph.items():
        for dep in deps:
            if dep in graph:
                assert order.index(dep) < order.index(node)


def test_a_gate_whose_requirement_failed_is_skipped(tmp_path: Path) -> None:
    first = FunctionGate("first", lambda f, o: GateResult(FAIL, "no"))
    second = FunctionGate("second", lambda f, o: GateResult(PASS, "yes"), requires=("first",))
    records = run([second, first], tmp_path)
    assert list(records) == ["first", "second"]
    assert records["second"].status == SKIP
    assert "requires gate 'first'" in records["second"].detail


def test_requiring_an_unknown_gate_is_manual_attention(tmp_path: Path) -> None:
    records = run(
        [FunctionGate("g", lambda f, o: GateResult(PASS, ""), requires=("ghost",), blocking=False)], tmp_path
    )
    assert records["g"].status == MANUAL
    assert records["g"].blocking is True


# -- retries and fail-closed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (RuntimeError("boom"), 2),
        (GateArtifactError("gone"), 2),
        (GateVerificationError("odd"), 2),
        (GateTimeout("slow"), 3),
    ],
)
def test_errors_are_retried_per_failure_class(error: Exception, attempts: int, tmp_path: Path) -> None:
    body = Flaky(error, failures=10)
    records = run([FunctionGate("g", body, blocking=False)], tmp_path)
    assert body.calls == attempts
    record = records["g"]
    assert record.status == MANUAL
    assert record.blocking is True  # fail-closed even for a non-blocking gate
    assert record.attempts == attempts
    assert f"{attempts} attempts" in record.detail


def test_an_error_that_clears_on_retry_passes(tmp_path: Path) -> None:
    body = Flaky(GateTimeout("slow"), failures=2)
    record = run([FunctionGate("g", body)], tmp_path)["g"]
    assert (record.status, record.attempts) == (PASS, 3)


def test_a_hung_gate_times_out_and_is_retried_twice(tmp_path: Path) -> None:
    release = threading.Event()
    calls = []

    def hang(facts: RunFacts, options: dict[str, Any]) -> GateResult:
        calls.append(1)
        release.wait(5)
        return GateResult(PASS, "late")

    try:
        config = settings(g={"timeout": 0.05})
        record = run([FunctionGate("g", hang)], tmp_path, config)["g"]
    finally:
        release.set()
    assert record.status == MANUAL
    assert "timed out" in record.detail
    assert record.attempts == 3 == len(calls)


def test_a_gate_returning_something_else_is_manual_attention(tmp_path: Path) -> None:
    record = run([FunctionGate("g", lambda f, o: "ok")], tmp_path)["g"]  # type: ignore[arg-type,return-value]
    assert record.status == MANUAL


def test_a_configured_but_unknown_gate_is_blocking_manual_attention(tmp_path: Path) -> None:
    records = run([], tmp_path, settings(nosuch={}))
    assert records["nosuch"].status == MANUAL
    assert records["nosuch"].blocking is True
    assert "no gate has this id" in records["nosuch"].detail


def test_a_disabled_gate_is_skipped(tmp_path: Path) -> None:
    body = Flaky(None, 0)
    record = run([FunctionGate("g", body)], tmp_path, settings(g={"enabled": False}))["g"]
    assert record.status == SKIP
    assert body.calls == 0


# -- circuit breaker -----------------------------------------------------------------------


def test_breaker_opens_doubles_and_allows_one_half_open_trial(tmp_path: Path) -> None:
    clock = Clock()
    config = settings(g={"breaker_threshold": 2, "breaker_open_s": 100})
    body = Flaky(RuntimeError("down"), failures=10**6)
    gate = FunctionGate("g", body)

    def once() -> Any:
        store = BreakerStore(tmp_path)  # a new run reads the persisted state
        record = run([gate], tmp_path, config, clock=clock, breakers=store)["g"]
        assert store.save() is None
        return record, store.state.breakers["g"]

    record, entry = once()
    assert (record.status, entry.state, entry.consecutive_errors) == (MANUAL, "closed", 1)
    record, entry = once()
    assert (entry.state, entry.streaks, entry.open_until) == ("open", 1, clock.t + 100)
    calls = body.calls

    clock.t += 50  # still open: not evaluated, reported with the breaker state
    record, entry = once()
    assert body.calls == calls
    assert (record.status, record.blocking, record.breaker, record.attempts) == (MANUAL, True, "open", 0)
    assert "circuit breaker open" in record.detail

    clock.t += 60  # period over: one half-open trial, which fails -> open for twice as long
    record, entry = once()
    assert body.calls == calls + 2  # the trial with its one retry
    assert (entry.state, entry.streaks, entry.open_until) == ("open", 2, clock.t + 200)

    clock.t += 199
    record, entry = once()
    assert record.breaker == "open"
    clock.t += 2
    body.failures = 0  # the gate recovered: the trial closes the breaker and forgets the streaks
    record, entry = once()
    assert record.status == PASS
    assert "breaker trial passed" in record.detail
    assert (entry.state, entry.streaks, entry.consecutive_errors) == ("closed", 0, 0)


def test_an_open_breaker_on_a_non_blocking_gate_warns(tmp_path: Path) -> None:
    clock = Clock()
    store = BreakerStore(None)
    config = settings(g={"breaker_threshold": 1})
    gate = FunctionGate("g", Flaky(RuntimeError("x"), 10**6), blocking=False)
    run([gate], tmp_path, config, clock=clock, breakers=store)
    record = run([gate], tmp_path, config, clock=clock, breakers=store)["g"]
    assert (record.status, record.blocking, record.breaker) == (WARN, False, "open")


def test_a_corrupt_breaker_file_is_reset(tmp_path: Path) -> None:
    (tmp_path / "gate_breakers.json").write_text("{not json", encoding="utf-8")
    store = BreakerStore(tmp_path)
    assert "reset" in store.problem
    assert store.state.breakers == {}


# -- rollback mode -------------------------------------------------------------------------


def failing(tmp_path: Path, rollback: Rollback) -> Any:
    gate = FunctionGate("g", lambda f, o: GateResult(FAIL, "bad"))
    runner = GateRunner([gate], GatesConfig(), rollback=rollback)
    evaluated = runner.run(RunFacts(tmp_path))
    return build_verdict(evaluated, RunFacts(tmp_path), rollback, "artifacts", "r1")


def test_rollback_with_reason_and_future_expiry_demotes_blocking_failures(tmp_path: Path) -> None:
    env = {
        "UOK_GATE_MODE": "rollback",
        "UOK_GATE_ROLLBACK_REASON": "INC-7",
        "UOK_GATE_ROLLBACK_EXPIRES": "2030-01-02",
    }
    rollback = resolve_rollback(env, Clock()())
    assert rollback.active
    verdict = failing(tmp_path, rollback)
    assert verdict.overall == "pass"
    assert verdict.mode == "rollback"
    assert verdict.rollback is not None
    assert verdict.rollback.reason == "INC-7"
    assert verdict.gates[0].status == WARN
    assert verdict.gates[0].demoted
    assert verdict.health.status == "degraded"


@pytest.mark.parametrize(
    ("env", "note"),
    [
        ({"UOK_GATE_ROLLBACK_EXPIRES": "2030-01-01"}, "UOK_GATE_ROLLBACK_REASON not set"),
        ({"UOK_GATE_ROLLBACK_REASON": "x"}, "UOK_GATE_ROLLBACK_EXPIRES not set"),
        ({"UOK_GATE_ROLLBACK_REASON": "x", "UOK_GATE_ROLLBACK_EXPIRES": "1999-01-01"}, "expired"),
        ({"UOK_GATE_ROLLBACK_REASON": "x", "UOK_GATE_ROLLBACK_EXPIRES": "soon"}, "not an ISO date"),
    ],
)
def test_an_incomplete_or_expired_rollback_is_ignored_and_says_so(
    env: dict[str, str], note: str, tmp_path: Path
) -> None:
    rollback = resolve_rollback({"UOK_GATE_MODE": "rollback", **env}, Clock()())
    assert not rollback.active
    assert note in rollback.note
    verdict = failing(tmp_path, rollback)
    assert (verdict.overall, verdict.mode) == ("fail", "strict")
    assert verdict.rollback is not None
    assert note in verdict.rollback.note


def test_an_unknown_mode_is_an_input_error() -> None:
    with pytest.raises(UokInputError, match="UOK_GATE_MODE"):
        resolve_rollback({"UOK_GATE_MODE": "lenient"}, 0.0)


def test_verdict_blockers_and_actions_for_a_manual_attention_gate(tmp_path: Path) -> None:
    gate = FunctionGate("g", Flaky(RuntimeError("kaput"), 10))
    runner = GateRunner([gate], GatesConfig())
    verdict = build_verdict(
        runner.run(RunFacts(tmp_path)),
        RunFacts(tmp_path),
        Rollback(requested=False, active=False),
        "artifacts",
        "r1",
    )
    assert verdict.overall == "fail"
    assert verdict.failed_gates == ["g"]
    assert [b.kind for b in verdict.blockers] == ["manual_attention"]
    assert verdict.health.status == "needs-repair"
    assert any("gate g" in a for a in verdict.operator_next_actions)


def test_a_gate_returning_an_unknown_status_is_manual_attention(tmp_path: Path) -> None:
    record = run([FunctionGate("g", lambda f, o: GateResult("great", "?"))], tmp_path)["g"]  # type: ignore[arg-type]
    assert record.status == MANUAL
    assert "returned status 'great'" in record.detail
