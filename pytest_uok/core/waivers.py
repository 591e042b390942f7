"""The waiver audit: every waiver and quarantine entry judged on a day, optionally against a run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from pytest_uok.core.models.waiver_audit import AuditEntry, AuditState, WaiverAudit
from pytest_uok.core.policy import Policy, QuarantineEntry, WaiverEntry
from pytest_uok.core.quarantine import date_state, target_regex

#: Most node ids listed under one entry's ``matched``.
MAX_MATCHED = 50

#: Outcomes after which a covered test counts as having passed (its entry protected nothing).
_PASSING = frozenset({"passed", "xfailed", "skipped"})


def _date_reason(state: AuditState, created: date, expires: date, days_left: int) -> str:
    if state == "invalid":
        return f"created {created} is in the future"
    if state == "expired":
        return f"expired on {expires} ({-days_left} days ago); it protects nothing"
    if state == "expiring":
        return f"expires on {expires}, in {days_left} days"
    return f"valid until {expires} ({days_left} days left)"


def _judge(
    entry: WaiverEntry | QuarantineEntry,
    today: date,
    expiring_days: int,
    outcomes: Mapping[str, str] | None,
) -> AuditEntry:
    """One entry's audit: its state from its dates, made ``stale`` when every test it covers passed."""
    kind: Literal["waiver", "quarantine"]
    if isinstance(entry, WaiverEntry):
        kind, ident, target, created, category = "waiver", entry.id, entry.target, entry.created, None
    else:
        kind, ident, target, created = "quarantine", entry.test, entry.test, entry.added
        category = entry.category
    days_left = (entry.expires - today).days
    state: AuditState = date_state(created, entry.expires, today, expiring_days)
    reason = _date_reason(state, created, entry.expires, days_left)
    matched: list[str] = []
    if outcomes is not None:
        regex = target_regex(target)
        matched = [nodeid for nodeid in outcomes if regex.match(nodeid)]
        if matched and state in ("valid", "expiring") and all(outcomes[n] in _PASSING for n in matched):
            state = "stale"
            reason = f"every covered test passed in this run ({len(matched)}); consider removing it"
    return AuditEntry(
        kind=kind,
        id=ident,
        target=target,
        owner=entry.owner,
        issue=entry.issue,
        state=state,
        reason=reason,
        created=created,
        expires=entry.expires,
        days_left=days_left,
        category=category,
        matched=matched[:MAX_MATCHED],
    )


def build_audit(
    policy: Policy,
    today: date,
    run_id: str | None = None,
    outcomes: Mapping[str, str] | None = None,
) -> WaiverAudit:
    """Judge every entry; ``outcomes`` (node id -> outcome of this run) makes ``stale`` possible."""
    days = policy.settings.expiring_days
    judged: list[WaiverEntry | QuarantineEntry] = [*policy.waiver, *policy.quarantine]
    entries = [_judge(e, today, days, outcomes) for e in judged]
    counts: dict[AuditState, int] = {}
    for entry in entries:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    return WaiverAudit(run_id=run_id, policy_path=policy.source, today=today, entries=entries, counts=counts)
