"""Per-gate circuit breakers kept in the artifact folder between runs, and the clock they read.

A gate that errors (raises or times out, after its retries) in ``threshold`` consecutive runs
is held open: it is not evaluated until the open period ends. The period doubles with every
further streak. When it ends the breaker is half-open: one trial evaluation decides, a success
closes it (and forgets the streaks), an error opens it again for twice as long.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from pytest_uok.core.artifacts import dump
from pytest_uok.core.atomic import atomic_write_text, lock_for
from pytest_uok.core.models.verdict import BreakerEntry, GateBreakers

BREAKERS_FILE = "gate_breakers.json"


class Clock(Protocol):
    """Wall-clock seconds since the epoch; tests inject their own."""

    def __call__(self) -> float: ...


def system_clock() -> float:
    return time.time()


@dataclass(frozen=True)
class BreakerPolicy:
    threshold: int = 3
    open_s: float = 300.0


@dataclass(frozen=True)
class Admission:
    """Whether a gate may be evaluated now, and the breaker state to report."""

    allowed: bool
    state: str
    detail: str = ""


def admit(entry: BreakerEntry, now: float) -> Admission:
    """Decide whether the gate runs; an open breaker whose period ended turns half-open."""
    if entry.state == "open":
        if entry.open_until is not None and now >= entry.open_until:
            entry.state = "half-open"
            return Admission(True, "half-open", "half-open: one trial evaluation")
        remaining = max((entry.open_until or now) - now, 0.0)
        return Admission(
            False,
            "open",
            f"circuit breaker open after {entry.consecutive_errors} consecutive errors "
            f"(streak {entry.streaks}, {remaining:.0f} s left; last error: {entry.last_error})",
        )
    if entry.state == "half-open":
        return Admission(True, "half-open", "half-open: one trial evaluation")
    return Admission(True, "closed")


def record(entry: BreakerEntry, errored: bool, error: str, now: float, policy: BreakerPolicy) -> None:
    """Account one run's outcome of the gate (after its retries) in its breaker."""
    if not errored:
        entry.state = "closed"
        entry.consecutive_errors = 0
        entry.streaks = 0
        entry.opened_at = entry.open_until = None
        entry.last_error = ""
        return
    entry.consecutive_errors += 1
    entry.last_error = error[:300]
    if entry.state == "half-open" or entry.consecutive_errors >= policy.threshold:
        entry.streaks += 1
        entry.state = "open"
        entry.opened_at = now
        entry.open_until = now + policy.open_s * 2 ** (entry.streaks - 1)


class BreakerStore:
    """The breakers of one artifact folder: read under a lock at the start, written atomically after.

    With ``folder`` None the breakers live in memory only (the self-test).
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.state = GateBreakers()
        self.problem = ""
        self.touched: set[str] = set()
        self.load()

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else self.folder / BREAKERS_FILE

    def load(self) -> None:
        path = self.path
        if path is None or not path.exists():
            return
        try:
            with lock_for(path):
                text = path.read_text(encoding="utf-8")
            self.state = GateBreakers.model_validate_json(text)
        except (OSError, ValidationError, ValueError) as exc:
            # A corrupt breaker file is thrown away, as pytest does with a corrupt cache.
            self.problem = f"{path} was unreadable and is reset ({type(exc).__name__})"
            self.state = GateBreakers()

    def entry(self, gate_id: str) -> BreakerEntry:
        self.touched.add(gate_id)
        return self.state.breakers.setdefault(gate_id, BreakerEntry())

    def save(self) -> str | None:
        """Write the breakers back, merged under the lock with what other processes wrote."""
        path = self.path
        if path is None:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with lock_for(path):
                merged = GateBreakers()
                with contextlib.suppress(OSError, ValidationError, ValueError):
                    merged = GateBreakers.model_validate_json(path.read_text(encoding="utf-8"))
                for gate_id in self.touched:
                    merged.breakers[gate_id] = self.state.breakers[gate_id]
                atomic_write_text(path, dump(merged))
        except OSError as exc:
            return f"could not write {path}: {exc.strerror or exc}"
        return None
