"""summary.json written from the records is byte for byte what the model's dump would be."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_uok.core import artifacts as art
from pytest_uok.core.commands import Launcher
from pytest_uok.core.models.common import ShardContext
from pytest_uok.core.models.shard import ShardManifest
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.records import RunRecorder
from pytest_uok.core.summary_file import (
    datetime_text,
    float_text,
    header_text,
    set_header_field,
    summary_values,
)

PHASES = ("setup", "call", "teardown")
OUTCOMES = ("passed", "failed", "skipped")
#: Text a node id, suite or subtest description may hold: quotes, controls, non-ASCII.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
DURATIONS = st.floats(min_value=0, max_value=1e7, allow_nan=False) | st.sampled_from(
    [0.0, 1e-6, 1.2e-5, 1e16]
)


def _info(tmp: Path, shard: ShardContext | None = None) -> art.RunInfo:
    env = {"git_sha": None, "git_dirty": None, "python": "3", "pytest": "9", "platform": "p", "plugins": []}
    return art.RunInfo(
        run_id="r",
        started_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
        rootdir=str(tmp),
        invocation=["-q"],
        launcher=Launcher(argv0=("pytest",), kept=(), rootdir=str(tmp), invocation_dir=str(tmp)),
        environment={**env, "rootdir": str(tmp)},
        shard=shard,
        out_dir=tmp,
    )


reports = st.lists(
    st.tuples(
        st.integers(0, 5),  # which test
        st.sampled_from(PHASES),
        st.sampled_from(OUTCOMES),
        DURATIONS,
        st.integers(1, 3),  # attempt
        st.none() | TEXT,  # subtest description
        st.booleans(),  # wasxfail
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    reports=reports,
    names=st.lists(TEXT, min_size=6, max_size=6),
    suites=st.lists(st.none() | TEXT, min_size=6, max_size=6),
)
def test_entries_from_records_are_the_models_dump(
    tmp_path_factory: pytest.TempPathFactory,
    reports: list[tuple[int, str, str, float, int, str | None, bool]],
    names: list[str],
    suites: list[str | None],
) -> None:
    tmp = tmp_path_factory.mktemp("s")
    recorder = RunRecorder()
    ids = [f"t.py::{name}[{i}]" for i, name in enumerate(names)]
    recorder.suite_of = {
        nodeid: suite for nodeid, suite in zip(ids, suites, strict=True) if suite is not None
    }
    for test, when, outcome, duration, attempt, subtest, xfail in reports:
        recorder.add_test_report(ids[test], when, outcome, duration, xfail, subtest, True, attempt)
    info = _info(tmp)
    end = art.RunEnd(None, 1, False, True)
    # Tests that only passed are kept as their seconds: written without a record.
    error, exact, sha256 = art.write_summary(
        tmp, art.build_summary(info, recorder, end, with_tests=False), recorder
    )
    assert error is None
    assert exact
    fast = (tmp / art.SUMMARY).read_bytes()
    assert sha256 == hashlib.sha256(fast).hexdigest()
    assert art.write_model(tmp, art.SUMMARY, art.build_summary(info, recorder, end)) is None
    assert fast == (tmp / art.SUMMARY).read_bytes()


def test_a_scrubbed_or_repaired_summary_is_not_exact(tmp_path: Path) -> None:
    recorder = RunRecorder()
    recorder.add_test_report("t.py::secret-value", "call", "passed", 0.1)
    summary = art.build_summary(_info(tmp_path), recorder, art.RunEnd(None, 1, False, True), with_tests=False)
    assert art.write_summary(tmp_path, summary, recorder, None)[:2] == (None, True)
    # Not exact: no digest vouches for the file.
    assert art.write_summary(tmp_path, summary, recorder, lambda t: t.replace("secret", "[X]"))[1:] == (
        False,
        None,
    )
    assert "[X]-value" in (tmp_path / art.SUMMARY).read_text()
    recorder.add_test_report("t.py::bad\udcff", "call", "passed", 0.1)
    assert art.write_summary(tmp_path, summary, recorder, None)[1] is False
    assert "bad\ufffd" in (tmp_path / art.SUMMARY).read_text()


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_spelled_as_pydantic_spells_them(value: float) -> None:
    assert float_text(value) == pydantic_core.to_json(value).decode()


@given(st.datetimes(timezones=st.just(timezone.utc)) | st.datetimes())
def test_datetimes_are_spelled_as_pydantic_spells_them(value: datetime) -> None:
    assert datetime_text(value) == pydantic_core.to_json(value).decode()


@settings(max_examples=40, deadline=None)
@given(
    finished=st.none() | st.datetimes(timezones=st.just(timezone.utc)),
    errors=st.lists(TEXT, max_size=3),
    failures=st.lists(st.tuples(st.sampled_from(["failed", "error", "skipped"]), TEXT), max_size=3),
    collection=st.lists(TEXT, max_size=2),
    sharded=st.booleans(),
)
def test_the_header_without_models_is_the_models_dump(
    tmp_path_factory: pytest.TempPathFactory,
    finished: datetime | None,
    errors: list[str],
    failures: list[tuple[str, str]],
    collection: list[str],
    sharded: bool,
) -> None:
    """What sessions write before any model is loaded (start, checkpoints) is what the model writes."""
    tmp = tmp_path_factory.mktemp("h")
    shard = ShardContext(kind="module", index=1, total=3, source="--uok-shard") if sharded else None
    info = _info(tmp, shard)
    if sharded:
        info.manifest = ShardManifest(
            kind="module", index=1, total=3, count=1, digest="d", nodeids=["t.py::a"]
        )
    recorder = RunRecorder()
    recorder.add_test_report("t.py::ok", "call", "passed", 0.25)
    for i, (outcome, name) in enumerate(failures):
        recorder.add_test_report(f"t.py::{name}{i}", "call", outcome, 1e-6)
    for name in collection:
        recorder.add_collect_report(f"{name}.py", "failed", f"ImportError: {name}")
    recorder.deselected(2)
    recorder.counts["rerun"] += 1  # a category of another plugin
    values = summary_values(
        info, recorder, art.RunEnd(finished, None if finished is None else 1, False, False, errors)
    )
    assert header_text(values) == art.dump(Summary.model_validate(values))


def _written_summary(tmp: Path, tests: int) -> Path:
    recorder = RunRecorder()
    for i in range(tests):
        recorder.add_test_report(f't.py::test_{i}[ü "q" \\n]', "call", "passed", i / 7)
    recorder.add_test_report("t.py::fails", "call", "failed", 0.5)
    summary = art.build_summary(_info(tmp), recorder, art.RunEnd(None, 1, False, True), with_tests=False)
    assert art.write_summary(tmp, summary, recorder).error is None
    return tmp / art.SUMMARY


@pytest.mark.parametrize("read_size", [1, 13, 64, 1 << 20])
def test_a_header_field_is_set_with_the_entries_copied_through(tmp_path: Path, read_size: int) -> None:
    path = _written_summary(tmp_path, 300)
    old = path.read_bytes()
    nested = '{\n  "overall": "pass",\n  "mode": "strict",\n  "failed_gates": []\n }'
    done = set_header_field(path, "verdict", nested, read_size=read_size)
    new = path.read_bytes()
    # What a whole-file edit would give, byte for byte, and both contents' digests.
    assert new == old.replace(b'\n "verdict": null,\n', f'\n "verdict": {nested},\n'.encode(), 1)
    assert done == (hashlib.sha256(old).hexdigest(), hashlib.sha256(new).hexdigest())
    assert json.loads(new)["verdict"] == {"overall": "pass", "mode": "strict", "failed_gates": []}
    assert Summary.model_validate_json(new).tests[-1].nodeid == "t.py::fails"
    assert [p.name for p in tmp_path.iterdir()] == [art.SUMMARY]  # no temporary file left


def test_a_header_without_the_null_field_is_left_alone(tmp_path: Path) -> None:
    path = _written_summary(tmp_path, 3)
    set_header_field(path, "verdict", '"v"')
    once = path.read_bytes()
    # Set already: the caller edits the parsed file instead.
    assert set_header_field(path, "verdict", '"w"', read_size=8) is None
    assert set_header_field(path, "no_such_field", '"w"') is None
    # A null field after the entries is not the header's.
    assert b'\n "classification": null,\n' in once
    assert set_header_field(path, "classification", '"w"', read_size=16) is None
    assert path.read_bytes() == once
