"""Concurrency: several processes sharing one artifact folder and one events file.

Shared append-only files take a lock per append (no interleaved lines, no lost records);
whole-file artifacts are replaced atomically (a reader racing the writers sees the old file
or the new one). New shared files join ``SHARED_FILES`` with a writer and a reader.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.core import artifacts as art
from pytest_uok.core.events import EventStream
from pytest_uok.core.models.summary import CollectionError
from tests.reliability.faults import check_folder_whole, start_session

WRITERS = 4
RECORDS_PER_WRITER = 40
#: Large records: a line longer than a pipe buffer or a page is where unlocked appends tear.
PAYLOAD = "x" * 20_000

_fork = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class SharedFile:
    """A file several processes append records to: how one record is written, how all are read."""

    name: str
    write: Callable[[Path, int, int], None]
    read: Callable[[Path], list[tuple[int, int]]]


def _write_event(path: Path, writer: int, index: int) -> None:
    stream = EventStream(path, run_id=f"writer-{writer}")
    stream.seq = index
    stream.emit("probe", writer=writer, index=index, payload=PAYLOAD)


def _read_events(path: Path) -> list[tuple[int, int]]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{path.name} line {number} is interleaved or torn") from None
        assert event["seq"] == event["data"]["index"]
        records.append((event["data"]["writer"], event["data"]["index"]))
    return records


SHARED_FILES = [pytest.param(SharedFile("events.jsonl", _write_event, _read_events), id="events.jsonl")]


def _writer(shared: SharedFile, path: Path, writer: int) -> None:
    for index in range(RECORDS_PER_WRITER):
        shared.write(path, writer, index)


def check_shared_appends(shared: SharedFile, folder: Path) -> None:
    """WRITERS processes append at once: every record arrives whole, once, in each writer's order."""
    path = folder / shared.name
    procs = [_fork.Process(target=_writer, args=(shared, path, w)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    records = shared.read(path)
    counts = Counter(records)
    assert len(counts) == WRITERS * RECORDS_PER_WRITER, (
        f"{WRITERS * RECORDS_PER_WRITER - len(counts)} records lost"
    )
    assert max(counts.values()) == 1, "records duplicated"
    for writer in range(WRITERS):
        order = [i for w, i in records if w == writer]
        assert order == sorted(order), f"writer {writer}'s records out of order"


@pytest.mark.parametrize("shared", SHARED_FILES)
def test_concurrent_appends_are_whole_and_none_is_lost(shared: SharedFile, tmp_path: Path) -> None:
    check_shared_appends(shared, tmp_path)


def _unlocked_append(path: Path, lines: list[str], fsync: bool = False, lock: object = None) -> None:
    # What an append without the lock looks like to the file: a stream flushing buffer-sized
    # chunks, free to interleave with the other writers'.
    with open(path, "ab", buffering=0) as fh:
        for line in lines:
            data = (line + "\n").encode()
            for start in range(0, len(data), 4096):
                fh.write(data[start : start + 4096])
                time.sleep(0.0002)


def _read_modify_write(path: Path, lines: list[str], fsync: bool = False, lock: object = None) -> None:
    # Rewriting the whole file (even atomically) without a lock loses concurrent appends.
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    time.sleep(0.001)
    art.atomic_write_text(path, old + "".join(line + "\n" for line in lines))


@pytest.mark.parametrize("broken", [_unlocked_append, _read_modify_write], ids=["unlocked", "rewrite"])
@pytest.mark.parametrize("shared", SHARED_FILES)
def test_append_check_catches_an_unlocked_writer(
    shared: SharedFile,
    broken: Callable[..., None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pytest_uok.core.events.locked_append_lines", broken)
    with pytest.raises(AssertionError, match=r"interleaved|lost"):
        check_shared_appends(shared, tmp_path)


# -- whole-file artifacts replaced while being read ----------------------------------------


def _document(writer: int, version: int) -> CollectionError:
    # A large artifact: a torn read of it is a JSON error, never a shorter valid document.
    return CollectionError(nodeid=f"writer-{writer}-v{version}", message="m" * 300_000)


def _replace_many(folder: Path, writer: int) -> None:
    for version in range(8):
        error = art.write_model(folder, "shared.json", _document(writer, version))  # type: ignore[arg-type]
        assert error is None


def _read_until(path: Path, stop: Any, torn: Any) -> None:
    while not stop.is_set():
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            continue
        try:
            json.loads(text)
        except ValueError:
            torn.value += 1


def check_replaced_while_read(folder: Path) -> None:
    """Three writers replace one file while a reader reads it: the reader never sees half."""
    (folder / "shared.json").write_text(art.dump(_document(9, 0)))  # type: ignore[arg-type]
    stop = _fork.Event()
    torn = _fork.Value("i", 0)
    reader = _fork.Process(target=_read_until, args=(folder / "shared.json", stop, torn))
    reader.start()
    writers = [_fork.Process(target=_replace_many, args=(folder, w)) for w in range(3)]
    for proc in writers:
        proc.start()
    for proc in writers:
        proc.join(120)
    stop.set()
    reader.join(60)
    assert all(proc.exitcode == 0 for proc in writers)
    assert torn.value == 0, f"a reader saw a half-written file {torn.value} times"
    json.loads((folder / "shared.json").read_bytes())


def test_a_reader_never_sees_a_half_replaced_artifact(tmp_path: Path) -> None:
    check_replaced_while_read(tmp_path)


def test_replace_check_catches_a_non_atomic_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def in_place(path: Path, text: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for start in range(0, len(text), 65536):
                fh.write(text[start : start + 65536])
                fh.flush()
                time.sleep(0.001)

    monkeypatch.setattr("pytest_uok.core.artifacts.atomic_write_text", in_place)
    with pytest.raises(AssertionError, match="half-written"):
        check_replaced_while_read(tmp_path)


# -- real sessions sharing one artifact folder ---------------------------------------------

RACING_PROJECT = """
import pytest

@pytest.mark.parametrize("n", range(8))
def test_fails(n):
    assert n < 0

@pytest.mark.parametrize("n", range(8))
def test_passes(n):
    pass
"""


def test_sessions_racing_on_one_folder_keep_every_event(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_race=RACING_PROJECT)
    sessions = [start_session(pytester, "-o", "uok_checkpoint_seconds=0.01") for _ in range(3)]
    outputs = [proc.communicate(timeout=120)[0].decode() for proc in sessions]
    assert [proc.returncode for proc in sessions] == [1, 1, 1], outputs
    found = check_folder_whole(pytester.path / ".uok")
    by_run: dict[str, list[dict[str, Any]]] = {}
    for event in found["events.jsonl"]:
        by_run.setdefault(event["run_id"], []).append(event)
    assert len(by_run) == 3
    for events in by_run.values():
        assert [e["seq"] for e in events] == list(range(len(events)))
        kinds = [e["kind"] for e in events]
        assert kinds[0] == "session_start"
        assert kinds[-1] == "session_finish"
        assert kinds.count("test_failure") == 8
        assert len({e["pid"] for e in events}) == 1
    summary = found["summary.json"]
    assert summary["run_id"] in by_run
    assert summary["complete"] is True
    assert len(summary["tests"]) == 16
    assert not [p for p in os.listdir(pytester.path / ".uok") if p.endswith(".tmp")]
