"""Quarantine and waiver decisions: which entry covers a test, whether it still holds, and flaky advice."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pytest_uok.core.policy import Policy, QuarantineEntry, WaiverEntry

State = Literal["valid", "expiring", "expired", "invalid", "stale"]

#: States in which an entry still protects a failing test.
PROTECTING: frozenset[str] = frozenset({"valid", "expiring"})


def target_regex(target: str) -> re.Pattern[str]:
    """Match node ids: exact, a file or class prefix (``tests/a.py``), or ``*`` as a wildcard.

    Only ``*`` is special, because node ids of parametrized tests hold ``[`` and ``?``.
    """
    body = ".*".join(re.escape(part) for part in target.split("*"))
    return re.compile(f"{body}(?:(?:::|\\[).*)?\\Z")


def date_state(created: date, expires: date, today: date, expiring_days: int) -> State:
    """The state an entry has from its dates alone."""
    if created > today:
        return "invalid"
    if expires < today:
        return "expired"
    if (expires - today).days <= expiring_days:
        return "expiring"
    return "valid"


@dataclass(frozen=True)
class Cover:
    """The quarantine or waiver entry that covers one test, and whether it protects today."""

    kind: Literal["quarantine", "waiver"]
    id: str
    state: State
    expires: date
    category: str | None = None

    @property
    def protects(self) -> bool:
        return self.state in PROTECTING

    def to_json(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "id": self.id,
            "state": self.state,
            "expires": self.expires.isoformat(),
            "category": self.category,
        }


class Protections:
    """Looks up the quarantine entry and the waiver of a test by node id."""

    def __init__(self, policy: Policy, today: date) -> None:
        self.today = today
        self.expiring_days = policy.settings.expiring_days
        self.quarantines = [(target_regex(q.test), q) for q in policy.quarantine]
        self.waivers = [(target_regex(w.target), w) for w in policy.waiver]

    @staticmethod
    def for_entry(entry: QuarantineEntry, today: date, expiring_days: int = 7) -> Cover:
        """The cover of an entry that did not come from a policy file (e.g. a conftest hook)."""
        state = date_state(entry.added, entry.expires, today, expiring_days)
        return Cover("quarantine", entry.test, state, entry.expires, entry.category)

    def quarantine_entry(self, nodeid: str) -> QuarantineEntry | None:
        for regex, entry in self.quarantines:
            if regex.match(nodeid):
                return entry
        return None

    def quarantine_cover(self, entry: QuarantineEntry) -> Cover:
        return self.for_entry(entry, self.today, self.expiring_days)

    def waiver_cover(self, nodeid: str) -> Cover | None:
        found: Cover | None = None
        for regex, w in self.waivers:
            if regex.match(nodeid):
                cover = self.waiver_state(w)
                if cover.protects:
                    return cover
                found = found or cover
        return found

    def waiver_state(self, w: WaiverEntry) -> Cover:
        state = date_state(w.created, w.expires, self.today, self.expiring_days)
        return Cover("waiver", w.id, state, w.expires)


# -- flaky advice ----------------------------------------------------------------------------

#: (category, exception type names, words in the message), checked in order.
_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "FLAKE-TIMING",
        ("TimeoutError", "TimeoutExpired", "Timeout", "ReadTimeout", "ConnectTimeout", "Failed"),
        ("timed out", "timeout", "deadline", "took too long", "race"),
    ),
    (
        "FLAKE-NET",
        (
            "ConnectionError",
            "ConnectionRefusedError",
            "ConnectionResetError",
            "ConnectionAbortedError",
            "BrokenPipeError",
            "gaierror",
            "herror",
            "URLError",
            "RemoteDisconnected",
            "SSLError",
        ),
        (
            "connection refused",
            "connection reset",
            "name or service not known",
            "network is unreachable",
            "temporary failure in name resolution",
            "no route to host",
        ),
    ),
    (
        "FLAKE-RES",
        ("MemoryError", "ResourceWarning", "BlockingIOError"),
        (
            "too many open files",
            "no space left",
            "out of memory",
            "address already in use",
            "resource temporarily unavailable",
            "cannot allocate memory",
        ),
    ),
    (
        "FLAKE-EXT",
        ("HTTPError", "ServiceUnavailable", "RateLimitError", "ClientResponseError"),
        ("503", "502", "504", "429", "service unavailable", "bad gateway", "rate limit", "too many requests"),
    ),
    (
        "FLAKE-ENV",
        ("PermissionError", "FileNotFoundError", "ModuleNotFoundError", "ImportError", "EnvironmentError"),
        ("environment variable", "permission denied", "no such file", "locale"),
    ),
)


def suggest_category(exc_type: str | None, message: str | None) -> tuple[str, str]:
    """The taxonomy category a flaky failure most likely belongs to, and why."""
    name = (exc_type or "").rsplit(".", 1)[-1]
    text = (message or "").lower()
    for category, types, _words in _RULES:
        if name in types and name != "Failed":
            return category, f"{name} is typical of {category}"
    for category, types, words in _RULES:
        for word in words:
            if word in text and (
                name in types
                or name in ("", "AssertionError", "Failed", "OSError", "RuntimeError", "Exception")
            ):
                return category, f"the failure message mentions {word!r}"
    if name == "OSError":
        return "FLAKE-ENV", "an OSError with no clearer cause"
    return "FLAKE-LOGIC", f"{name or 'the failure'} with no timing, network or resource sign"


def quarantine_snippet(
    nodeid: str, category: str, reason: str, today: date, days: int, owner: str = "TODO", issue: str = "TODO"
) -> str:
    """A ``[[quarantine]]`` entry ready to paste into the policy file."""
    expires = today + timedelta(days=days)
    lines = [
        "[[quarantine]]",
        f"test = {json.dumps(nodeid)}",
        f"category = {json.dumps(category)}",
        f"owner = {json.dumps(owner)}",
        f"issue = {json.dumps(issue)}",
        f"reason = {json.dumps(reason)}",
        f"added = {today.isoformat()}",
        f"expires = {expires.isoformat()}",
    ]
    return "\n".join(lines) + "\n"
