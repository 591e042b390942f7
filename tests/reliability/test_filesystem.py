"""The artifact folder misbehaving: symlinked, planted symlinks, read-only, a full disk.

Whatever the folder does, the session's exit code and terminal lines stay pytest's own, the
plugin says what it could not write, files it does write are whole, and no write follows a
symlink planted inside the folder.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import pytest_uok.core.atomic as atomic_module
from tests.reliability.faults import check_folder_whole, read_json

RED_PROJECT = """
def test_passes():
    pass

def test_fails():
    assert 1 == 2
"""
PRECIOUS = "precious: must not change\n"


def _non_atomic(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _non_atomic_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    _non_atomic(path, b"".join(chunks).decode("utf-8"))


# -- symlinks ------------------------------------------------------------------------------


def test_a_symlinked_artifact_folder_is_written_through(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_red=RED_PROJECT)
    target = pytester.path / "elsewhere"
    target.mkdir()
    (pytester.path / ".uok").symlink_to(target)
    assert pytester.runpytest().ret == 1
    found = check_folder_whole(target)
    assert found["summary.json"]["complete"] is True
    assert (pytester.path / ".uok").is_symlink()


PLANTED = ("summary.json", "failure_digest.json", "events.jsonl", "events.jsonl.lock")


def plant_symlinks(root: Path) -> dict[str, Path]:
    folder = root / ".uok"
    folder.mkdir()
    victims = {}
    for name in PLANTED:
        victim = root / f"victim-{name}"
        victim.write_text(PRECIOUS)
        (folder / name).symlink_to(victim)
        victims[name] = victim
    return victims


def check_symlinks_not_followed(result: pytest.RunResult, root: Path, victims: dict[str, Path]) -> None:
    assert result.ret == 1
    changed = [name for name, victim in victims.items() if victim.read_text() != PRECIOUS]
    assert changed == [], f"writes followed planted symlinks into {changed}"
    folder = root / ".uok"
    assert not (folder / "summary.json").is_symlink()
    assert read_json(folder / "summary.json")["complete"] is True
    assert "could not append to" in result.stdout.str()


def test_symlinks_planted_in_the_folder_are_never_followed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_red=RED_PROJECT)
    victims = plant_symlinks(pytester.path)
    check_symlinks_not_followed(pytester.runpytest(), pytester.path, victims)


def test_symlink_check_catches_a_non_atomic_writer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_uok.core.artifacts.atomic_write_text", _non_atomic)
    monkeypatch.setattr("pytest_uok.core.summary_file.atomic_write_chunks", _non_atomic_chunks)
    pytester.makepyfile(test_red=RED_PROJECT)
    victims = plant_symlinks(pytester.path)
    with pytest.raises(AssertionError, match="followed planted symlinks"):
        check_symlinks_not_followed(pytester.runpytest(), pytester.path, victims)


# -- folders that cannot be written --------------------------------------------------------


class _Failing:
    """Stands in for a module used by the atomic writers, failing some calls with ``err``."""

    def __init__(self, real: Any, err: int, names: tuple[str, ...]) -> None:
        self._real, self._err, self._names = real, err, names

    def __getattr__(self, name: str) -> Any:
        if name in self._names:
            return _failing_call(self._err)
        return getattr(self._real, name)


def _failing_call(err: int) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(err, os.strerror(err))

    return fail


def make_unwritable(monkeypatch: pytest.MonkeyPatch, err: int) -> None:
    """Simulate a read-only folder (creating files fails) or a full disk (writing data fails)."""
    if err == errno.ENOSPC:
        monkeypatch.setattr(atomic_module, "os", _Failing(os, err, ("fsync", "write")))
    else:
        monkeypatch.setattr(atomic_module, "os", _Failing(os, err, ("open",)))
        monkeypatch.setattr(atomic_module, "tempfile", _Failing(atomic_module.tempfile, err, ("mkstemp",)))
        monkeypatch.setattr(atomic_module, "lock_for", _failing_call(err))


def previous_run(pytester: pytest.Pytester) -> bytes:
    """A healthy earlier run's summary.json, which a failed write must leave as it was."""
    pytester.makepyfile(test_red=RED_PROJECT)
    assert pytester.runpytest().ret == 1
    return (pytester.path / ".uok" / "summary.json").read_bytes()


def check_unwritable(result: pytest.RunResult, folder: Path, before: bytes, reason: str) -> None:
    """pytest's exit code and closing line unchanged; the plugin says what it could not write."""
    out = result.stdout.str()
    assert result.ret == 1, out
    result.stdout.fnmatch_lines(["*1 failed, 1 passed*"])
    assert "INTERNALERROR" not in out
    assert "Traceback" not in out
    assert f"could not write {folder / 'summary.json'}: {reason}" in out
    assert f"could not append to {folder / 'events.jsonl'}" in out
    assert (folder / "summary.json").read_bytes() == before, "the earlier summary.json was damaged"
    assert not [p for p in os.listdir(folder) if p.endswith(".tmp")], "temporary files left behind"


@pytest.mark.parametrize(
    ("err", "reason"),
    [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")],
    ids=["full-disk", "read-only"],
)
def test_an_unwritable_folder_leaves_the_session_result_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, err: int, reason: str
) -> None:
    before = previous_run(pytester)
    make_unwritable(monkeypatch, err)
    check_unwritable(pytester.runpytest(), pytester.path / ".uok", before, reason)


def test_full_disk_check_catches_a_non_atomic_writer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = previous_run(pytester)
    make_unwritable(monkeypatch, errno.ENOSPC)

    def in_place(path: Path, text: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:  # truncates, then the disk is full
            atomic_module.os.fsync(fh.fileno())
            fh.write(text)

    def in_place_chunks(path: Path, chunks: Iterable[bytes]) -> None:  # how summary.json is written
        in_place(path, b"".join(chunks).decode("utf-8"))

    monkeypatch.setattr("pytest_uok.core.artifacts.atomic_write_text", in_place)
    monkeypatch.setattr("pytest_uok.core.summary_file.atomic_write_chunks", in_place_chunks)
    with pytest.raises(AssertionError, match=r"earlier summary\.json was damaged"):
        check_unwritable(pytester.runpytest(), pytester.path / ".uok", before, "No space left on device")


def test_a_folder_path_through_a_file_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_red=RED_PROJECT)
    (pytester.path / "blocker").write_text("a file, not a folder")
    result = pytester.runpytest("--uok-out", "blocker/uok")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*could not create*blocker/uok*Not a directory*", "*1 failed, 1 passed*"])
    assert "artifacts: blocker" not in result.stdout.str(), "claims artifacts it could not write"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; simulated above")
def test_a_read_only_folder_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_red=RED_PROJECT)
    folder = pytester.path / ".uok"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = pytester.runpytest()
    finally:
        folder.chmod(0o755)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*could not write*Permission denied*", "*1 failed, 1 passed*"])


def test_one_artifact_failing_marks_the_summary_incomplete(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = atomic_module.atomic_write_text

    def digest_fails(path: Path, text: str) -> None:
        if path.name == "failure_digest.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr("pytest_uok.core.artifacts.atomic_write_text", digest_fails)
    pytester.makepyfile(test_red=RED_PROJECT)
    result = pytester.runpytest()
    assert result.ret == 1
    summary = check_folder_whole(pytester.path / ".uok")["summary.json"]
    assert summary["complete"] is False
    assert any("failure_digest.json" in e for e in summary["internal_errors"])
