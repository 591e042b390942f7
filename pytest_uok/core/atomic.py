"""Safe file writing: whole files replaced atomically, shared files appended under a lock."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from filelock import FileLock

from pytest_uok.core.sanitize import clean_text


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Files are created with the permissions an ordinary ``open()`` would give them.
_FILE_MODE = 0o666 & ~_current_umask()
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are fsynced, then renamed over the
    target; the folder is fsynced too so the rename survives a power cut.
    """
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """``atomic_write_bytes`` for data produced piece by piece, never held whole in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def lock_for(path: Path, timeout: float = 30.0) -> FileLock:
    """The lock guarding ``path`` among processes: a sibling ``.lock`` file."""
    return FileLock(str(path) + ".lock", timeout=timeout)


def locked_append_lines(
    path: Path, lines: list[str], fsync: bool = False, lock: FileLock | None = None
) -> None:
    """Append whole lines to a file shared by several processes, under its lock.

    The lines are flushed to the operating system before the lock is released, so a killed
    process never loses or tears them; ``fsync`` also forces them to disk (power loss), which
    costs milliseconds and is kept for the last write of a session. ``lock`` is the file's
    lock from ``lock_for``, for a writer that appends often (made once, it is cheaper to take).
    """
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    data = clean_text(payload).encode("utf-8")
    if lock is None:
        lock = lock_for(path)
    if os.path.islink(lock.lock_file):
        # Older filelock releases open (and truncate) the lock path through a symlink.
        raise OSError(errno.ELOOP, "refusing to lock through a symlink", lock.lock_file)
    with lock:
        # O_NOFOLLOW: a symlink planted where the shared file should be is refused (ELOOP)
        # rather than followed, so an append never lands in a file outside the folder.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, _FILE_MODE)
        try:
            view = memoryview(data)
            while view:  # one write() normally; loop on a short write so no line is cut
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)


def ensure_artifact_folder(folder: Path) -> None:
    """Create the artifact folder with a ``.gitignore`` of its own, as pytest's cache does."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            atomic_write_text(ignore, "# Created by pytest-uok automatically.\n*\n")
