"""Writing summary.json fast: the header through its model, the test entries straight from the records.

A run may hold 100,000 tests. Building a pydantic ``TestEntry`` per test only to serialize it
costs seconds and tens of MiB, so the session's summary carries no entries in its model and
this module writes them from the records, in the very layout ``model_dump_json(indent=1)``
gives (same key order, float and string spelling), streamed to the file in chunks. A test
keeps the two byte-identical.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring
from pathlib import Path

from pytest_uok.core.atomic import atomic_write_chunks
from pytest_uok.core.records import SubtestRecord, TestRecord
from pytest_uok.core.sanitize import clean_text

#: How the empty test list of the header's dump looks; the entries are spliced in there.
_EMPTY_TESTS = '\n "tests": []'
#: Entries per chunk written (and scrubbed) at once: bounded memory for any number of tests.
CHUNK = 2000


def float_text(value: float) -> str:
    """A float as pydantic's JSON serializer spells it (``1e-6`` where Python says ``1e-06``)."""
    if not math.isfinite(value):
        return "null"
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, _, exp = text.partition("e")
    power = int(exp)
    if power == -5:
        # pydantic writes 1.2e-05 as 0.000012; below that both use an exponent.
        sign = "-" if mantissa.startswith("-") else ""
        return f"{sign}0.0000{mantissa.lstrip('-').replace('.', '')}"
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def _str(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _subtests(sub: SubtestRecord) -> str:
    failures = (
        "[\n" + ",\n".join(f"     {encode_basestring(f)}" for f in sub.failures) + "\n    ]"
        if sub.failures
        else "[]"
    )
    return (
        f'{{\n    "passed": {sub.passed},\n    "failed": {sub.failed},\n    "skipped": {sub.skipped},\n'
        f'    "xfailed": {sub.xfailed},\n    "failures": {failures}\n   }}'
    )


def _attempts(rec: TestRecord) -> str:
    if not rec.attempts:
        return "[]"
    items = ",\n".join(
        f'    {{\n     "outcome": {_str(a.outcome or "passed")},\n'
        f'     "duration_s": {float_text(round(a.duration_s, 6))},\n'
        f'     "phase": {_str(a.phase)}\n    }}'
        for a in rec.attempts
    )
    return f"[\n{items}\n   ]"


def entry_text(rec: TestRecord) -> str:
    """One test's entry of summary.json's ``tests`` list, indented as the list's element."""
    sub = rec.subtests
    return (
        f'  {{\n   "nodeid": {encode_basestring(rec.nodeid)},\n   "file": {encode_basestring(rec.file)},\n'
        f'   "outcome": {_str(rec.outcome)},\n   "duration_s": {float_text(round(rec.duration_s, 6))},\n'
        f'   "suite": {_str(rec.suite)},\n   "phase": {_str(rec.phase)},\n'
        f'   "attempts": {_attempts(rec)},\n'
        f'   "subtests": {"null" if sub is None else _subtests(sub)}\n  }}'
    )


class EntryView:
    """A record as its summary.json entry shows it (durations rounded as written), for the reports."""

    __slots__ = ("attempts", "duration_s", "nodeid", "outcome", "suite")

    def __init__(self, rec: TestRecord) -> None:
        self.nodeid = rec.nodeid
        self.outcome = rec.outcome
        self.duration_s = round(rec.duration_s, 6)
        self.suite = rec.suite
        self.attempts = rec.attempts


def summary_chunks(header: str, records: Sequence[TestRecord]) -> Iterator[str]:
    """summary.json's text in pieces: ``header`` (the model's dump, with no tests) around the entries."""
    cut = header.find(_EMPTY_TESTS)
    if cut < 0:
        raise ValueError("the summary header has no empty top-level tests list")
    if not records:
        yield header
        return
    cut += len(_EMPTY_TESTS) - 1  # just before the closing "]"
    yield header[:cut] + "\n"
    for start in range(0, len(records), CHUNK):
        part = ",\n".join(entry_text(r) for r in records[start : start + CHUNK])
        yield part + (",\n" if start + CHUNK < len(records) else "\n ")
    yield header[cut:]


def write_summary_text(path: Path, chunks: Iterable[str], scrub: Callable[[str], str] | None = None) -> bool:
    """Write the chunks atomically to ``path``; True when the file holds exactly their text.

    Each chunk gets the last redaction pass (``scrub``) and is made encodable (lone surrogates
    become U+FFFD); False says one of them changed something, so the file is not the text.
    """
    exact = True

    def encoded() -> Iterator[bytes]:
        nonlocal exact
        for chunk in chunks:
            text = scrub(chunk) if scrub is not None else chunk
            if text is not chunk:
                exact = False
            try:
                yield text.encode("utf-8")
            except UnicodeEncodeError:
                exact = False
                yield clean_text(text).encode("utf-8")

    atomic_write_chunks(path, encoded())
    return exact
