"""Writing summary.json fast: the header through its model, the test entries straight from the records.

A run may hold 100,000 tests. Building a pydantic ``TestEntry`` per test only to serialize it
costs seconds and tens of MiB, so the session's summary carries no entries in its model and
this module writes them from the records, in the very layout ``model_dump_json(indent=1)``
gives (same key order, float and string spelling), streamed to the file in chunks. A test
keeps the two byte-identical.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pytest_uok.core.atomic import atomic_write_chunks
from pytest_uok.core.outcomes import ALL_OUTCOMES, FAILING_OUTCOMES
from pytest_uok.core.records import RunRecorder, SubtestRecord, TestRecord
from pytest_uok.core.runinfo import SUMMARY, RunEnd, RunInfo, count_values
from pytest_uok.core.sanitize import clean_text
from pytest_uok.core.schema_files import shipped

if TYPE_CHECKING:
    from pytest_uok.core.models.summary import Summary
    from pytest_uok.core.runview import TestFacts

SUMMARY_SCHEMA = "uok.summary.v1"

#: How the empty test list of the header's dump looks; the entries are spliced in there.
_EMPTY_TESTS = '\n "tests": []'
#: Entries per chunk written (and scrubbed) at once: bounded memory for any number of tests.
CHUNK = 2000
#: Bytes read at once when a header field is set in a written file (see ``set_header_field``).
READ_SIZE = 1 << 20
#: Where the header ends: the entries' list follows it (and four short fields follow the list).
_TESTS_KEY = b'\n "tests": '


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


def datetime_text(value: datetime) -> str:
    """A datetime as pydantic's JSON serializer spells it (UTC as ``Z``), quoted."""
    text = value.isoformat()
    if value.utcoffset() == timedelta(0):
        text = text[: -len("+00:00")] + "Z"
    return f'"{text}"'


# -- the header without the models ------------------------------------------------------------
#
# The summary written when a session starts, and at its checkpoints, comes from plain values
# laid out by the shipped JSON Schema (which is generated from the models, field order and
# defaults included): sessions load no model before their end. A test keeps the layout equal
# to the models' own dump.


def _ref(node: dict[str, Any]) -> str | None:
    """The definition an object-valued schema node refers to (directly or as an optional)."""
    for option in (node, *node.get("anyOf", ())):
        ref = option.get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[-1]
    return None


def _default(node: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "default" in node:
        return node["default"]
    ref = _ref(node)
    if ref is not None:
        return {}  # a nested model made by its default factory: its own defaults
    kind = node.get("type")
    if kind == "array":
        return []
    if kind == "object":
        return {}
    raise KeyError("no default")


def _layout(value: Any, node: dict[str, Any], defs: dict[str, Any], level: int) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, datetime):
        return datetime_text(value)
    if hasattr(value, "model_dump"):  # a model given as such (a shard's context, its manifest)
        value = value.model_dump(by_alias=True)
    pad, inner = " " * level, " " * (level + 1)
    if isinstance(value, dict):
        ref = _ref(node)
        if ref is not None:
            definition = defs[ref]
            props = definition["properties"]
            keys = definition.get("required", list(props))
            pairs = [(k, value[k] if k in value else _default(props[k], defs), props[k]) for k in keys]
        else:
            item = node.get("additionalProperties", {})
            pairs = [(k, v, item if isinstance(item, dict) else {}) for k, v in value.items()]
        if not pairs:
            return "{}"
        body = ",\n".join(
            f"{inner}{encode_basestring(str(k))}: {_layout(v, n, defs, level + 1)}" for k, v, n in pairs
        )
        return f"{{\n{body}\n{pad}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        item = node.get("items", {})
        body = ",\n".join(f"{inner}{_layout(v, item, defs, level + 1)}" for v in value)
        return f"[\n{body}\n{pad}]"
    raise TypeError(f"cannot write {type(value).__name__} into summary.json")


def header_text(values: dict[str, Any]) -> str:
    """summary.json without its entries, as the model would dump it, from ``summary_values``."""
    schema = shipped(SUMMARY_SCHEMA)
    root = {"$ref": "#/$defs/Summary"}
    defs = {**schema.get("$defs", {}), "Summary": schema}
    return _layout(values, root, defs, 0) + "\n"


def summary_values(info: RunInfo, recorder: RunRecorder, end: RunEnd) -> dict[str, Any]:
    """summary.json's fields that the run fills (every other has its default), without its tests.

    Plain values, by the field names the file uses; ``Summary.model_validate`` makes the model.
    """
    outcomes: dict[str, int] = {}
    failed: list[str] = []
    for nodeid, value in recorder.tests():
        outcome = value.outcome if isinstance(value, TestRecord) else "passed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome in FAILING_OUTCOMES:
            failed.append(nodeid)
    finished = end.finished_at
    duration = (finished - info.started_at).total_seconds() if finished else 0.0
    has_failures = bool(failed or recorder.collection_failures)
    values: dict[str, Any] = {
        "schema": SUMMARY_SCHEMA,
        "run_id": info.run_id,
        "started_at": info.started_at,
        "finished_at": finished,
        "duration_s": max(duration, 0.0),
        "exit_status": end.exit_status,
        "interrupted": end.interrupted,
        "complete": end.complete,
        "internal_errors": list(end.internal_errors),
        "rootdir": info.rootdir,
        "invocation": list(info.invocation),
        "git_sha": info.git_sha,
        "counts": count_values(recorder.counts),
        "outcomes": {k: outcomes[k] for k in ALL_OUTCOMES if outcomes.get(k)},
        "failed_names": failed,
        "collection_errors": [
            {"nodeid": c.nodeid, "message": c.message[:2000]} for c in recorder.collection_failures
        ],
        "manifest": info.manifest,
        "replay_bundle": {"one_command_replay": info.runner_command() if has_failures else None},
        "tests": [],
    }
    if info.shard is not None:
        values["shard"] = info.shard
    return values


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
    """A test as its summary.json entry shows it (durations rounded as written), for reports and gates."""

    __slots__ = ("attempts", "duration_s", "nodeid", "outcome", "suite")

    def __init__(
        self, nodeid: str, outcome: str, duration_s: float, suite: str | None, attempts: Sequence[Any]
    ) -> None:
        self.nodeid = nodeid
        self.outcome = outcome
        self.duration_s = duration_s
        self.suite = suite
        self.attempts = attempts

    @property
    def file(self) -> str:
        return self.nodeid.split("::", 1)[0]


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


class SummaryWritten(NamedTuple):
    """What writing summary.json did: the error line (None when written), and whether the file
    holds exactly what the summary and the recorder say, with the sha256 of its bytes then."""

    error: str | None
    exact: bool
    sha256: str | None = None


@dataclass(frozen=True)
class WrittenSummary:
    """summary.json as the session that just wrote it holds it, so its readers need not read it back.

    ``summary`` is the model the file's header was dumped from (its ``tests`` list empty),
    ``tests`` the entries written beside it from the records, ``sha256`` the digest of the
    bytes written: the file counts as this summary only while its content has that digest.
    """

    summary: Summary
    tests: Sequence[TestFacts]
    sha256: str


def write_summary(
    folder: Path,
    summary: Summary | dict[str, Any],
    recorder: RunRecorder | None,
    scrub: Callable[[str], str] | None = None,
) -> SummaryWritten:
    """Write summary.json, its entries from ``recorder`` when given (``summary`` then has none).

    ``summary`` is the model, or (when a session starts or checkpoints, with no model loaded)
    its ``summary_values``. The file is not exact when the last redaction pass or the repair of
    unencodable text changed it, or when the entries came from the model.
    """
    path = folder / SUMMARY
    try:
        if isinstance(summary, dict):
            header, exact = header_text(summary), True
        else:
            from pytest_uok.core.artifacts import dump_checked, write_model

            if recorder is None:
                return SummaryWritten(write_model(folder, SUMMARY, summary, scrub), False)
            header, exact = dump_checked(summary)
        if recorder is None:
            raise ValueError("summary values without the recorder")
        text_exact, sha256 = write_summary_text(path, summary_chunks(header, recorder), scrub)
    except OSError as exc:
        return SummaryWritten(f"could not write {path}: {exc.strerror or exc}", False)
    exact = exact and text_exact
    return SummaryWritten(None, exact, sha256 if exact else None)


def write_summary_text(
    path: Path, chunks: Iterable[str], scrub: Callable[[str], str] | None = None
) -> tuple[bool, str]:
    """Write the chunks atomically to ``path``: whether the file holds exactly their text, and
    the sha256 of the bytes written.

    Each chunk gets the last redaction pass (``scrub``) and is made encodable (lone surrogates
    become U+FFFD); False says one of them changed something, so the file is not the text.
    """
    exact = True
    # Hashed as written, so a reader in this process can tell the file is still this content.
    digest = hashlib.sha256()

    def encoded() -> Iterator[bytes]:
        nonlocal exact
        for chunk in chunks:
            text = scrub(chunk) if scrub is not None else chunk
            if text is not chunk:
                exact = False
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:
                exact = False
                data = clean_text(text).encode("utf-8")
            digest.update(data)
            yield data

    atomic_write_chunks(path, encoded())
    return exact, digest.hexdigest()


def summary_header(raw: bytes) -> bytes | None:
    """summary.json's header alone (its ``tests`` list empty), as JSON, from the file's bytes.

    None unless the file has the layout written here: top-level fields one per line, the entries'
    list after the header, and the closing brace of a whole file (a file cut short has none).
    """
    at = raw.find(_TESTS_KEY)
    if at < 0 or not raw.rstrip().endswith(b"\n}"):
        return None
    return raw[:at] + _EMPTY_TESTS.encode() + b"\n}"


class FieldSet(NamedTuple):
    """The sha256 of summary.json's bytes before and after ``set_header_field`` changed them."""

    before: str
    after: str


def set_header_field(path: Path, key: str, value_json: str, read_size: int = READ_SIZE) -> FieldSet | None:
    """Set the top-level ``key``, null in summary.json's header, to ``value_json``, atomically.

    The verdict and the triage are added after the session wrote the file: its entries (34 MB
    for 100k tests) are copied through in chunks rather than decoded, edited and encoded whole.
    ``value_json`` is the value's JSON text indented for a top-level field. None when the header
    has no such null field before the entries (a file laid out otherwise): nothing is written.
    """
    unset = f'\n "{key}": null,\n'.encode()
    with path.open("rb") as fh:
        head = b""
        while True:
            chunk = fh.read(read_size)
            # Each search starts where the last could not have matched yet.
            start = max(0, len(head) - len(_TESTS_KEY) - len(unset))
            head += chunk
            at = head.find(unset, start)
            tests_at = head.find(_TESTS_KEY, start)
            if at >= 0 or tests_at >= 0 or not chunk:
                break
        if at < 0 or 0 <= tests_at < at:
            return None
        before, after = hashlib.sha256(head), hashlib.sha256()
        new_head = head[:at] + f'\n "{key}": {value_json},\n'.encode() + head[at + len(unset) :]
        after.update(new_head)

        def chunks() -> Iterator[bytes]:
            yield new_head
            while data := fh.read(read_size):
                before.update(data)
                after.update(data)
                yield data
            fh.close()  # before the rename: the file is replaced while no one has it open

        atomic_write_chunks(path, chunks())
    return FieldSet(before.hexdigest(), after.hexdigest())
