"""The events.jsonl stream: audit events appended and flushed as they happen."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock

from pytest_uok.core.atomic import lock_for, locked_append_lines
from pytest_uok.core.sanitize import clean_text

EVENT_SCHEMA = "uok.event.v1"


class EventStream:
    """Appends schema-versioned events for one run; each append is locked and flushed.

    Several processes (shards, concurrent sessions) may append to the same file: each event is
    one line written under a file lock, so lines never interleave. An event emitted
    ``deferred`` waits, numbered, for the next append (or ``flush``), which writes it first:
    taking the lock costs far more than the line, and a test run again after each failure
    would otherwise take it once per failed attempt.
    """

    def __init__(self, path: Path, run_id: str, scrub: Callable[[str], str] | None = None) -> None:
        self.path = path
        self.run_id = run_id
        self.seq = 0
        self.errors: list[str] = []
        #: A last pass over each line (the redactor's secret values), as for the other artifacts.
        self.scrub = scrub
        self._lock: FileLock | None = None
        #: Deferred lines, already numbered, written before the next ones.
        self._pending: list[str] = []

    def emit(self, kind: str, *, durable: bool = False, deferred: bool = False, **data: Any) -> None:
        self.emit_many([(kind, data)], durable=durable, deferred=deferred)

    def emit_many(
        self, events: list[tuple[str, dict[str, Any]]], durable: bool = False, deferred: bool = False
    ) -> None:
        """Append events; ``durable`` also fsyncs them (used for the session's last event).

        ``deferred`` only numbers them: they are written by the next append or ``flush``.
        """
        lines = []
        now = datetime.now(timezone.utc).isoformat()
        for kind, data in events:
            envelope = {
                "schema": EVENT_SCHEMA,
                "seq": self.seq,
                "run_id": self.run_id,
                "ts": now,
                "pid": os.getpid(),
                "kind": kind,
                "data": data,
            }
            self.seq += 1
            line = clean_text(json.dumps(envelope, ensure_ascii=False, default=str))
            lines.append(self.scrub(line) if self.scrub else line)
        if deferred:
            self._pending.extend(lines)
            return
        self._append(lines, durable)

    def flush(self) -> None:
        """Write the deferred events now."""
        if self._pending:
            self._append([], False)

    def _append(self, lines: list[str], durable: bool) -> None:
        lines, self._pending = self._pending + lines, []
        if self._lock is None:
            self._lock = lock_for(self.path)
        try:
            locked_append_lines(self.path, lines, fsync=durable, lock=self._lock)
        except OSError as exc:
            # Losing an audit line must not fail the test run; the summary reports it.
            self.errors.append(f"could not append to {self.path}: {exc}")


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event line of a file; a torn last line (killed writer) is skipped."""
    events: list[dict[str, Any]] = []
    if not path.exists():
        return events
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events
