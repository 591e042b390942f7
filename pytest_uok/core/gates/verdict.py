"""From gate results to the verdict: overall result, blockers, next actions and run health."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import FAIL, MANUAL, SKIP, WARN
from pytest_uok.core.gates.runner import Evaluated
from pytest_uok.core.models.verdict import Blocker, Health, Rollback, Verdict, VerdictSummary

#: What an operator should do about each kind of blocker; ``{subject}`` and ``{command}`` are filled in.
NEXT_ACTIONS: dict[str, str] = {
    "failed_test": "fix or quarantine the failing tests; replay them with: {command}",
    "collection_error": "fix the files that fail to import; check with: {command}",
    "missing_artifact": "rerun the session so every artifact is written (check the folder is writable)",
    "invalid_artifact": "regenerate the artifacts with a fresh run; {subject} does not validate",
    "expired_waiver": "renew or remove expired waivers and quarantines in the policy file",
    "invalid_waiver": "complete the invalid waiver and quarantine entries in the policy file",
    "unclassified": "classify the test files into suites: pytest-uok classify --write",
    "stale_classification": "remove suite entries that match no test file: pytest-uok classify --write",
    "duplicate_classification": "keep each test file in exactly one suite in the policy file",
    "missing_policy": "create the policy file: pytest-uok classify --write",
    "flaky_test": "quarantine or fix the flaky tests (see summary.json flaky[] for suggested entries)",
    "pass_rate": "raise the suite's pass rate or adjust [gates.pass_rate] in the policy file",
    "duration_budget": "speed up the slow tests or move them to a slower suite",
    "regression": "look at triage_diff.json; replay the regressions with: {command}",
    "manual_attention": "look at gate {gate}: it could not decide ({subject}); reproduce with: {command}",
    "failed_gate": "gate {gate} failed; reproduce with: {command}",
}


def _blockers(evaluated: list[Evaluated]) -> list[Blocker]:
    out: list[Blocker] = []
    for ev in evaluated:
        r = ev.record
        if not r.blocking or r.status not in (FAIL, MANUAL):
            continue
        if r.status == MANUAL:
            out.append(Blocker(kind="manual_attention", gate=r.id, subject=r.breaker, detail=r.detail))
            continue
        facts = ev.blockers or []
        if not facts:
            out.append(Blocker(kind="failed_gate", gate=r.id, detail=r.detail))
        out.extend(Blocker(kind=b.kind, gate=r.id, subject=b.subject, detail=b.detail) for b in facts)
    return out


def _next_actions(evaluated: list[Evaluated], blockers: list[Blocker]) -> list[str]:
    by_id = {ev.record.id: ev.record for ev in evaluated}
    actions: list[str] = []
    for b in blockers:
        record = by_id.get(b.gate)
        command = (record.reproduce_command if record else None) or "pytest-uok gate DIR"
        text = NEXT_ACTIONS.get(b.kind, NEXT_ACTIONS["failed_gate"]).format(
            gate=b.gate, subject=b.subject or "see its detail", command=command
        )
        if text not in actions:
            actions.append(text)
    return actions


def _health(
    evaluated: list[Evaluated], blockers: list[Blocker], rollback: Rollback, facts: RunFacts, extra: list[str]
) -> Health:
    repair: list[str] = []
    degraded: list[str] = list(extra)
    for ev in evaluated:
        r = ev.record
        if r.status == MANUAL:
            repair.append(f"gate {r.id} needs manual attention")
        if r.breaker == "open":
            repair.append(f"gate {r.id}: circuit breaker open")
        elif r.breaker == "half-open":
            degraded.append(f"gate {r.id}: circuit breaker half-open")
        if r.status == WARN:
            degraded.append(f"gate {r.id} warned")
        if r.status == SKIP and "requires" in r.detail:
            degraded.append(f"gate {r.id} skipped: {r.detail}")
    repair.extend(
        f"{b.subject or b.gate}: {b.kind}"
        for b in blockers
        if b.kind in ("missing_artifact", "invalid_artifact")
    )
    try:
        summary = facts.summary
        if not summary.complete:
            repair.append("summary.json says the run is incomplete (interrupted or crashed)")
        degraded.extend(f"internal error: {e}" for e in summary.internal_errors)
    except Exception:  # the gates already reported an unreadable summary
        pass
    if rollback.active:
        degraded.append(f"rollback mode active until {rollback.expires}: {rollback.reason}")
    elif rollback.requested:
        degraded.append(rollback.note)
    reasons = list(dict.fromkeys(repair + degraded))
    status: Literal["healthy", "degraded", "needs-repair"] = (
        "needs-repair" if repair else "degraded" if degraded else "healthy"
    )
    return Health(status=status, reasons=reasons)


def build_verdict(
    evaluated: list[Evaluated],
    facts: RunFacts,
    rollback: Rollback,
    source: Literal["session", "artifacts"],
    run_id: str,
    health_notes: list[str] | None = None,
) -> Verdict:
    blockers = _blockers(evaluated)
    failed = [ev.record.id for ev in evaluated if ev.record.blocking and ev.record.status in (FAIL, MANUAL)]
    return Verdict(
        run_id=run_id,
        evaluated_at=datetime.now(timezone.utc),
        source=source,
        overall="fail" if failed else "pass",
        mode="rollback" if rollback.active else "strict",
        rollback=rollback if rollback.requested else None,
        failed_gates=failed,
        gates=[ev.record for ev in evaluated],
        blockers=blockers,
        operator_next_actions=_next_actions(evaluated, blockers),
        health=_health(evaluated, blockers, rollback, facts, health_notes or []),
    )


def verdict_summary(verdict: Verdict) -> VerdictSummary:
    return VerdictSummary(overall=verdict.overall, mode=verdict.mode, failed_gates=list(verdict.failed_gates))


def verdict_lines(verdict: Verdict) -> list[tuple[str, str]]:
    """The verdict as terminal lines, each with the status that colours it."""
    lines: list[tuple[str, str]] = []
    for gate in verdict.gates:
        flag = "" if gate.blocking else " (non-blocking)"
        lines.append((f"{gate.status.upper():<16} {gate.id}{flag}: {gate.detail}", gate.status))
        if gate.status in (FAIL, MANUAL) and gate.reproduce_command:
            lines.append((f"{'':<16} reproduce: {gate.reproduce_command}", gate.status))
    if verdict.rollback is not None and verdict.rollback.note:
        lines.append((f"mode: {verdict.rollback.note}", WARN))
    failed = f" (blocking: {', '.join(verdict.failed_gates)})" if verdict.failed_gates else ""
    head = f"verdict: {verdict.overall.upper()} in {verdict.mode} mode{failed}"
    lines.append((f"{head}; health {verdict.health.status}", verdict.overall))
    lines.extend((f"next: {action}", "") for action in verdict.operator_next_actions[:5])
    return lines
