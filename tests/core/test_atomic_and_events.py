"""Atomic writes and the locked events stream."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from pytest_uok.core import atomic
from pytest_uok.core.events import EventStream, read_events


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.json"
    atomic.atomic_write_text(target, "one")
    atomic.atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.json"
    atomic.atomic_write_text(target, "old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        atomic.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_artifact_folder_gets_its_gitignore(tmp_path: Path) -> None:
    atomic.ensure_artifact_folder(tmp_path / ".uok")
    assert (tmp_path / ".uok" / ".gitignore").read_text().splitlines()[-1] == "*"


def _writer(path: str, run: str) -> None:
    stream = EventStream(Path(path), run)
    for i in range(200):
        stream.emit("tick", i=i, pad="x" * 500)


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    procs = [multiprocessing.Process(target=_writer, args=(str(path), f"run{n}")) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = path.read_text().splitlines()
    assert len(lines) == 800
    parsed = [json.loads(line) for line in lines]
    for run in ("run0", "run1", "run2", "run3"):
        seqs = [e["seq"] for e in parsed if e["run_id"] == run]
        assert seqs == list(range(200))


def test_deferred_events_are_written_first_by_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    stream = EventStream(path, "r")
    stream.emit("test_failure", deferred=True, attempt=1)
    stream.emit("test_failure", deferred=True, attempt=2)
    assert not path.exists()
    stream.emit("test_failure", attempt=3)
    assert [(e["seq"], e["data"]["attempt"]) for e in read_events(path)] == [(0, 1), (1, 2), (2, 3)]
    stream.emit("test_failure", deferred=True, attempt=4)
    stream.flush()
    stream.flush()  # nothing left: no empty append
    assert [e["seq"] for e in read_events(path)] == [0, 1, 2, 3]


def test_torn_last_line_is_skipped_by_readers(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    EventStream(path, "r").emit("session_start")
    with open(path, "a") as fh:
        fh.write('{"schema": "uok.event.v1", "seq": 1, "run')
    assert [e["kind"] for e in read_events(path)] == ["session_start"]
