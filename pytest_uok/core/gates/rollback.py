"""Promotion mode: ``strict`` by default, ``rollback`` only with a reason and an unexpired date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.models.verdict import Rollback

MODE_VAR = "UOK_GATE_MODE"
REASON_VAR = "UOK_GATE_ROLLBACK_REASON"
EXPIRES_VAR = "UOK_GATE_ROLLBACK_EXPIRES"


def _parse_expiry(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    # A bare date means the whole of that day (UTC).
    if len(text.strip()) == 10:
        when = when.replace(hour=23, minute=59, second=59)
    return when


def resolve_rollback(environ: Mapping[str, str], now: float) -> Rollback:
    """The mode the environment asks for and whether it holds; never raises for a bad rollback.

    An unknown mode is a usage error (UokInputError); a rollback without a reason, without a
    readable expiry or past its expiry is ignored (strict) and ``note`` says why.
    """
    mode = environ.get(MODE_VAR, "").strip().lower() or "strict"
    if mode not in ("strict", "rollback"):
        raise UokInputError(
            f"environment variable {MODE_VAR} is {environ[MODE_VAR]!r}; use 'strict' or 'rollback' "
            f"(rollback also needs {REASON_VAR} and {EXPIRES_VAR})."
        )
    reason = environ.get(REASON_VAR, "").strip() or None
    expires = environ.get(EXPIRES_VAR, "").strip() or None
    if mode == "strict":
        return Rollback(requested=False, active=False, reason=reason, expires=expires)
    missing = [var for var, value in ((REASON_VAR, reason), (EXPIRES_VAR, expires)) if not value]
    if missing:
        note = f"rollback ignored: {' and '.join(missing)} not set; gates run strict"
        return Rollback(requested=True, active=False, reason=reason, expires=expires, note=note)
    assert expires is not None
    when = _parse_expiry(expires)
    if when is None:
        note = f"rollback ignored: {EXPIRES_VAR}={expires!r} is not an ISO date; gates run strict"
        return Rollback(requested=True, active=False, reason=reason, expires=expires, note=note)
    if when.timestamp() <= now:
        note = f"rollback ignored: it expired on {when.isoformat()}; gates run strict"
        return Rollback(requested=True, active=False, reason=reason, expires=expires, note=note)
    note = f"rollback until {when.isoformat()}: blocking failures are demoted to warnings ({reason})"
    return Rollback(requested=True, active=True, reason=reason, expires=expires, note=note)
