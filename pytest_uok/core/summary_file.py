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
from itertools import islice
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from pytest_uok.core.atomic import atomic_write_chunks
from pytest_uok.core.records import RunRecorder, SubtestRecord, TestRecord
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
    """A test as its summary.json entry shows it (durations rounded as written), for the reports."""

    __slots__ = ("attempts", "duration_s", "nodeid", "outcome", "suite")

    def __init__(
        self, nodeid: str, outcome: str, duration_s: float, suite: str | None, attempts: Sequence[Any]
    ) -> None:
        self.nodeid = nodeid
        self.outcome = outcome
        self.duration_s = duration_s
        self.suite = suite
        self.attempts = attempts


class _PassedAttempt:
    """The one attempt of a test kept as its seconds (see ``RunRecorder.tests``)."""

    __slots__ = ()
    outcome = "passed"


_ONE_PASSED_ATTEMPT = (_PassedAttempt(),)


def entry_views(recorder: RunRecorder) -> list[EntryView]:
    """Every test of the recorder as the reports read summary.json's entries."""
    views = []
    for nodeid, value in recorder.tests():
        if isinstance(value, TestRecord):
            view = EntryView(nodeid, value.outcome, round(value.duration_s, 6), value.suite, value.attempts)
        else:
            view = EntryView(
                nodeid, "passed", round(value, 6), recorder.suite_of.get(nodeid), _ONE_PASSED_ATTEMPT
            )
        views.append(view)
    return views


def _passed_entry(nodeid: str, seconds: float, suite: str | None) -> str:
    """The entry of a test that passed its only attempt: ``entry_text`` of its record."""
    file = nodeid.split("::", 1)[0]
    duration = float_text(round(seconds, 6))
    return (
        f'  {{\n   "nodeid": {encode_basestring(nodeid)},\n   "file": {encode_basestring(file)},\n'
        f'   "outcome": "passed",\n   "duration_s": {duration},\n'
        f'   "suite": {_str(suite)},\n   "phase": null,\n'
        f'   "attempts": [\n    {{\n     "outcome": "passed",\n     "duration_s": {duration},\n'
        f'     "phase": null\n    }}\n   ],\n   "subtests": null\n  }}'
    )


def summary_chunks(header: str, recorder: RunRecorder) -> Iterator[str]:
    """summary.json's text in pieces: ``header`` (the model's dump, with no tests) around the entries."""
    cut = header.find(_EMPTY_TESTS)
    if cut < 0:
        raise ValueError("the summary header has no empty top-level tests list")
    tests = iter(recorder.tests())
    suite_of = recorder.suite_of
    first = True
    while True:
        part = [
            entry_text(value)
            if isinstance(value, TestRecord)
            else _passed_entry(nodeid, value, suite_of.get(nodeid))
            for nodeid, value in islice(tests, CHUNK)
        ]
        if not part:
            break
        if first:
            yield header[: cut + len(_EMPTY_TESTS) - 1] + "\n"
            first = False
        else:
            yield ",\n"
        yield ",\n".join(part)
    if first:
        yield header
    else:
        yield "\n " + header[cut + len(_EMPTY_TESTS) - 1 :]


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
