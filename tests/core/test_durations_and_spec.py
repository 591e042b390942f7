"""The durations store, the I/N spec and the CI systems' shard variables."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pytest_uok.core.durations import load_durations, merge_entries, store_durations
from pytest_uok.core.models.shard import DurationEntry
from pytest_uok.core.shard_spec import ShardSpec, parse_shard_spec, shard_from_ci


def test_store_round_trip_and_stale_entries_age_out(tmp_path: Path) -> None:
    store = tmp_path / "d" / "durations.json"
    store_durations(store, {"a.py::old": 1.0}, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    store_durations(
        store, {"a.py::new": 2.0}, max_age_days=30, now=datetime(2026, 1, 20, tzinfo=timezone.utc)
    )
    assert load_durations(store).seconds() == {"a.py::old": 1.0, "a.py::new": 2.0}
    store_durations(store, {"a.py::new": 3.0}, max_age_days=30, now=datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert load_durations(store).seconds() == {"a.py::new": 3.0}
    assert json.loads(store.read_text())["schema"] == "uok.durations.v1"


def test_pytest_split_file_is_read_and_kept_in_its_shape(tmp_path: Path) -> None:
    split = tmp_path / ".test_durations"
    split.write_text(json.dumps({"t.py::a": 0.5, "t.py::b": 1}))
    loaded = load_durations(tmp_path / "missing.json", fallback=split)
    assert loaded.seconds() == {"t.py::a": 0.5, "t.py::b": 1.0}
    assert loaded.flat
    store_durations(split, {"t.py::c": 2.0})
    assert json.loads(split.read_text()) == {"t.py::a": 0.5, "t.py::b": 1.0, "t.py::c": 2.0}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "not a durations object"),
        ('{"t.py::a": "slow"}', "entry 't.py::a' must be a number"),
        ('{"schema": "uok.durations.v1", "updated_at": "x", "tests": {}}', "field 'updated_at'"),
        ("{", "not valid JSON"),
    ],
)
def test_a_bad_store_is_set_aside_with_a_reason(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "durations.json"
    path.write_text(text)
    loaded = load_durations(path)
    assert loaded.entries == {}
    assert loaded.problem is not None
    assert problem in loaded.problem
    assert str(path) in loaded.problem


def test_merging_stores_keeps_the_newest_measurement() -> None:
    old = {"a": DurationEntry(duration_s=1, last_seen=date(2026, 1, 1))}
    new = {
        "a": DurationEntry(duration_s=2, last_seen=date(2026, 1, 2)),
        "b": DurationEntry(duration_s=3, last_seen=date(2026, 1, 1)),
    }
    merged = merge_entries([new, old])
    assert merged["a"].duration_s == 2
    assert merged["b"].duration_s == 3


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3", "must look like I/N"),
        ("a/3", "two whole numbers"),
        ("3/3", "0 to 2 for 3 shards"),
        ("0/0", "at least 1"),
        ("-1/3", "counts from 0"),
    ],
)
def test_bad_shard_specs_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard_spec(value, "--uok-shard")
    assert parse_shard_spec(" 2/5 ", "x") == ShardSpec(2, 5)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"TEST_SHARD_INDEX": "1", "TEST_TOTAL_SHARDS": "4", "TEST_SHARD_STATUS_FILE": "/tmp/s"},
            (1, 4, "Bazel"),
        ),
        ({"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2"}, (0, 2, "CircleCI")),
        ({"BUILDKITE_PARALLEL_JOB": "2", "BUILDKITE_PARALLEL_JOB_COUNT": "3"}, (2, 3, "Buildkite")),
        ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, (2, 3, "GitLab")),
    ],
)
def test_ci_variables_name_the_shard_and_their_source(
    env: dict[str, str], expected: tuple[int, int, str]
) -> None:
    spec = shard_from_ci(env)
    assert spec is not None
    assert (spec.index, spec.total) == expected[:2]
    assert spec.source.startswith(expected[2])
    assert spec.status_file == env.get("TEST_SHARD_STATUS_FILE")


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "1"},  # GitLab sets these for a job without parallel
        {"CIRCLE_NODE_INDEX": "0"},  # half a pair
        {"CIRCLE_NODE_INDEX": "5", "CIRCLE_NODE_TOTAL": "2"},  # out of range
        {"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"},
    ],
)
def test_unclear_ci_variables_do_not_shard(env: dict[str, str]) -> None:
    assert shard_from_ci(env) is None
