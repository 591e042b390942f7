"""Which artifact contents this process already validated, by file and content hash.

A gating pass reads summary.json for its facts, checks every artifact for the evidence index,
then checks them again when it refreshes the index after the verdict. Validating a summary of
10,000 tests takes a tenth of a second and tens of MiB, so each content is validated once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: (file, sha256) -> (schema id found, problem or ""), oldest first.
_RESULTS: dict[tuple[str, str], tuple[str | None, str]] = {}
#: How many contents are remembered (a gating pass looks at a dozen files).
MAX_REMEMBERED = 64


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> tuple[int, str]:
    """The size and sha256 of the file's content, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):  # hashlib.file_digest is Python 3.11+
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def known(path: Path, digest: str) -> tuple[str | None, str] | None:
    """What checking this content of ``path`` found, None when it was never checked."""
    return _RESULTS.get((str(path), digest))


def remember(path: Path, digest: str, result: tuple[str | None, str]) -> None:
    if len(_RESULTS) >= MAX_REMEMBERED:
        _RESULTS.pop(next(iter(_RESULTS)))
    _RESULTS[(str(path), digest)] = result


def remember_valid(path: Path, data: bytes, schema: str) -> None:
    """Record that ``data``, the content of ``path``, validated as ``schema``."""
    remember(path, digest_of(data), (schema, ""))
