"""The durations store: recorded test durations, read before a run and updated after it.

The store is ``durations.json`` (schema ``uok.durations.v1``: per node id the seconds and the day
last measured). pytest-split's ``.test_durations`` (a flat ``{nodeid: seconds}`` object) is read
too, and written back in its own shape when it is the configured store. Updates happen under a
file lock and replace the file atomically, so parallel shards on one machine never lose entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_uok.core.atomic import atomic_write_text, lock_for
from pytest_uok.core.errors import UokInputError

if TYPE_CHECKING:
    # Loaded where a store is read or written: a session without sharding loads no model early.
    from pytest_uok.core.models.shard import DurationEntry

#: pytest-split's file name, read when the configured store does not exist yet.
PYTEST_SPLIT_FILE = ".test_durations"
#: Entries not measured for this many days are dropped on the next update.
DEFAULT_MAX_AGE_DAYS = 30


@dataclass
class LoadedDurations:
    """What a store holds, which file it came from, its shape, and why it was not usable if not.

    pytest-split's flat store holds only seconds (``flat_seconds``); its entries, each a model
    dated the day it was read, are made only when asked for: a shard needs the seconds alone.
    """

    stored: dict[str, DurationEntry] = field(default_factory=dict)
    path: Path | None = None
    flat: bool = False
    problem: str | None = None
    flat_seconds: dict[str, float] | None = None
    read_on: date | None = None

    @property
    def entries(self) -> dict[str, DurationEntry]:
        if self.flat_seconds is not None and not self.stored:
            from pytest_uok.core.models.shard import DurationEntry

            day = self.read_on or datetime.now(timezone.utc).date()
            self.stored = {
                k: DurationEntry.model_construct(duration_s=v, last_seen=day)
                for k, v in self.flat_seconds.items()
            }
        return self.stored

    @property
    def known(self) -> int:
        """How many tests the store knows."""
        return len(self.flat_seconds) if self.flat_seconds is not None else len(self.stored)

    def seconds(self) -> dict[str, float]:
        if self.flat_seconds is not None:
            return dict(self.flat_seconds)
        return {k: v.duration_s for k, v in self.stored.items()}


def parse_store(path: Path, text: str, today: date) -> LoadedDurations:
    """The entries of a store's text; UokInputError naming the file and field if it is not one."""
    if '"schema"' in text[:200]:
        from pytest_uok.core.models.shard import DurationsStore

        try:
            # Our own store straight from its text: a third of the time of parsing, then validating.
            return LoadedDurations(dict(DurationsStore.model_validate_json(text).tests), path, flat=False)
        except (ValueError, RecursionError):
            pass  # a broken store, or pytest-split's: the path below says which
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UokInputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    if not isinstance(data, dict):
        raise UokInputError(f"{path} holds a JSON {type(data).__name__}, not a durations object.")
    if "schema" not in data:
        return _flat_store(path, data, today)
    from pydantic import ValidationError

    from pytest_uok.core.models.shard import DurationsStore
    from pytest_uok.core.readback import describe_validation_error

    if data["schema"] != DurationsStore.SCHEMA_ID:
        raise UokInputError(
            f"{path} has field 'schema' = {str(data['schema'])[:60]!r}, but "
            f"{DurationsStore.SCHEMA_ID!r} is needed for a durations store."
        )
    try:
        store = DurationsStore.model_validate(data)
    except ValidationError as exc:
        raise UokInputError(describe_validation_error(path, exc, DurationsStore.SCHEMA_ID)) from None
    return LoadedDurations(dict(store.tests), path, flat=False)


def _flat_store(path: Path, data: dict[str, Any], today: date) -> LoadedDurations:
    """pytest-split's ``{nodeid: seconds}``, checked; kept as seconds (see ``LoadedDurations``)."""
    seconds: dict[str, float] = {}
    for nodeid, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise UokInputError(
                f"{path}: entry {nodeid[:120]!r} must be a number of seconds (pytest-split's "
                f".test_durations shape), got {json.dumps(value)[:40]}."
            )
        seconds[nodeid] = float(value)
    return LoadedDurations(path=path, flat=True, flat_seconds=seconds, read_on=today)


def load_durations(path: Path, fallback: Path | None = None, today: date | None = None) -> LoadedDurations:
    """The store at ``path`` (else at ``fallback``, pytest-split's file); a bad file is set aside.

    A durations store is a cache: a corrupt one must not stop the run. It is reported through
    ``problem`` and treated as empty, so every shard (which reads the same file) still agrees.
    """
    today = today or datetime.now(timezone.utc).date()
    for candidate in (path, fallback):
        if candidate is None or not candidate.is_file():
            continue
        try:
            return parse_store(candidate, candidate.read_text(encoding="utf-8"), today)
        except (UokInputError, OSError, UnicodeDecodeError) as exc:
            reason = exc.message if isinstance(exc, UokInputError) else str(exc)
            return LoadedDurations({}, candidate, problem=f"{reason} The durations were ignored.")
    return LoadedDurations({}, None)


def updated(
    old: Mapping[str, DurationEntry],
    measured: Mapping[str, float],
    today: date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> dict[str, DurationEntry]:
    """``old`` with ``measured`` written over it and entries older than ``max_age_days`` dropped."""
    from pytest_uok.core.models.shard import DurationEntry

    oldest = today - timedelta(days=max_age_days)
    out = {k: v for k, v in old.items() if v.last_seen >= oldest}
    for nodeid, seconds in measured.items():
        out[nodeid] = DurationEntry.model_construct(
            duration_s=round(max(float(seconds), 0.0), 6), last_seen=today
        )
    return out


def render(entries: Mapping[str, DurationEntry], flat: bool, now: datetime) -> str:
    from pytest_uok.core.artifacts import dump
    from pytest_uok.core.models.shard import DurationsStore

    if flat:
        return json.dumps({k: entries[k].duration_s for k in sorted(entries)}, indent=1) + "\n"
    store = DurationsStore.model_construct(
        schema_=DurationsStore.SCHEMA_ID,
        updated_at=now,
        tests={k: entries[k] for k in sorted(entries)},
    )
    return dump(store)


def store_durations(
    path: Path,
    measured: Mapping[str, float],
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    now: datetime | None = None,
) -> int:
    """Merge ``measured`` into the store at ``path`` under its lock; returns the entries written.

    A store that cannot be parsed is replaced (it is a cache); its shape (ours or pytest-split's
    flat one) is kept.
    """
    now = now or datetime.now(timezone.utc)
    today = now.date()
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock_for(path):
        current = load_durations(path, today=today)
        flat = current.flat or (current.path is None and path.name == PYTEST_SPLIT_FILE)
        entries = updated(current.entries, measured, today, max_age_days)
        atomic_write_text(path, render(entries, flat, now))
    return len(entries)


def merge_entries(stores: Iterable[Mapping[str, DurationEntry]]) -> dict[str, DurationEntry]:
    """Several stores in one: per test the most recent measurement (the later store on a tie)."""
    out: dict[str, DurationEntry] = {}
    for store in stores:
        for nodeid, entry in store.items():
            have = out.get(nodeid)
            if have is None or entry.last_seen >= have.last_seen:
                out[nodeid] = entry
    return out
