"""The history store: bounded appends, safe concurrent updates, and what it says about each test."""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.history import (
    HISTORY,
    RECENT_WEIGHT,
    RunLabel,
    append_run,
    baseline_run,
    flakiest,
    flaky_note,
    known_tests,
    load_history,
    read_history,
    run_record,
    slowest,
    snapshot_at,
    track_record,
    update_store,
)
from pytest_uok.core.models.history import History, HistoryRun
from pytest_uok.core.models.summary import Summary
from tests.helpers.artifacts import validate_document
from tests.helpers.runs import entry, summary_doc

SHA = "0123456789abcdef"


def run(run_id: str, sha: str | None = SHA, dirty: bool | None = False, **kw: object) -> HistoryRun:
    fields: dict[str, object] = {
        "run_id": run_id,
        "started_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "duration_s": 1.0,
        "branch": "main",
        "git_sha": sha,
        "git_dirty": dirty,
        "selection": "",
        "exit_status": 0,
        "tests": 1,
        "failed": 0,
    }
    fields.update(kw)
    return HistoryRun.model_validate(fields)


def grow(runs: list[dict[str, str]], max_runs: int = 30, **kw: object) -> History:
    history = None
    for i, outcomes in enumerate(runs):
        tests = [(n, o, 0.1 * (i + 1)) for n, o in outcomes.items()]
        history = append_run(history, run(f"r{i}", **kw), tests, max_runs)  # type: ignore[arg-type]
    assert history is not None
    return History.model_validate(json.loads(history.model_dump_json(by_alias=True)))


def test_failure_rate_flip_rate_and_flakiness_on_one_commit() -> None:
    seq = ["passed", "failed", "passed", "failed", "passed"]
    history = grow([{"t.py::flaky": o, "t.py::ok": "passed"} for o in seq])
    record = track_record(history, "t.py::flaky")
    assert (record.runs, record.failures, record.flips) == (5, 2, 4)
    assert record.failure_rate == pytest.approx(0.4)
    assert record.flip_rate == pytest.approx(1.0)
    assert record.flaky == f"failed and passed on commit {SHA[:12]}"
    assert [t.nodeid for t in flakiest(history, 10)] == ["t.py::flaky"]
    assert track_record(history, "t.py::ok").flaky == ""
    assert flaky_note(history, "t.py::flaky") == (
        f"flaky in the history: failed 2 of 5 runs, failed and passed on commit {SHA[:12]}"
    )
    assert (
        flaky_note(history, "t.py::ok") == flaky_note(history, "t.py::unknown") == flaky_note(None, "x") == ""
    )


def test_a_consistently_broken_test_is_not_flaky_and_a_dirty_tree_proves_nothing() -> None:
    broken = grow([{"t.py::a": "failed"}] * 3)
    assert track_record(broken, "t.py::a").failure_rate == 1.0
    assert flakiest(broken, 10) == []
    dirty = grow([{"t.py::a": o} for o in ("failed", "passed")], dirty=True)
    record = track_record(dirty, "t.py::a")
    assert (record.flaky, record.flips) == ("", 1)  # fixed while editing: a flip, not flakiness
    rerun = grow([{"t.py::a": "flaky"}, {"t.py::a": "passed"}], sha=None)
    assert track_record(rerun, "t.py::a").flaky == "failed, then passed on rerun in 1 run"


def test_skipped_and_absent_runs_do_not_count() -> None:
    history = grow([{"t.py::a": "passed"}, {"t.py::a": "skipped"}, {}, {"t.py::a": "failed"}])
    assert history.tests["t.py::a"][0] == "PS.F"
    record = track_record(history, "t.py::a")
    assert (record.runs, record.failures, record.flips, record.last) == (2, 1, 1, "failed")


def test_the_window_slides_and_forgets_tests_gone_from_it() -> None:
    history = grow([{"t.py::old": "passed"}] + [{"t.py::new": "passed"}] * 3, max_runs=3)
    assert [r.run_id for r in history.runs] == ["r1", "r2", "r3"]
    assert set(history.tests) == {"t.py::new"}
    assert history.tests["t.py::new"][0] == "PPP"


def test_durations_are_a_recent_average() -> None:
    # runs take 0.1, (absent), 0.3 s: the absent run leaves the average alone
    history = grow([{"t.py::a": "passed", "t.py::b": "passed"}, {"t.py::b": "passed"}, {"t.py::a": "passed"}])
    expected = 0.1 + (0.3 - 0.1) * RECENT_WEIGHT
    assert history.tests["t.py::a"] == ("P.P", pytest.approx(expected))
    assert snapshot_at(history, 2).tests["t.py::a"].duration_s == pytest.approx(expected)
    assert "t.py::a" not in snapshot_at(history, 1).tests
    assert [t.nodeid for t in slowest(history, 2)] == ["t.py::a", "t.py::b"]  # 0.16 s and 0.13 s
    assert track_record(history, "t.py::a").mean_s == pytest.approx(expected)


def test_the_baseline_is_the_last_finished_run_of_the_same_branch_and_selection() -> None:
    history = None
    for run_id, kw in [
        ("a", {}),
        ("b", {"branch": "feature"}),
        ("c", {"selection": "tests/unit"}),
        ("d", {"exit_status": 2}),
        ("e", {"tests": 0}),
    ]:
        history = append_run(history, run(run_id, **kw), [("t.py::x", "passed", 0.1)], 10)
    assert history is not None
    assert baseline_run(history, "main", "") == 0
    assert baseline_run(history, "feature", "") == 1
    assert baseline_run(history, "main", "tests/unit") == 2
    assert baseline_run(history, "other", "") is None
    assert baseline_run(None, "main", "") is None
    assert snapshot_at(history, 0).run_id == "a"
    assert known_tests(history) == {"t.py::x"}


def test_a_run_record_sums_suites_and_names_collection_errors() -> None:
    doc = summary_doc(
        [entry("a.py::x", "passed", 1.0, "unit"), entry("b.py::y", "failed", 2.0, None)],
        collection_errors=[{"nodeid": "c.py", "message": "boom"}],
    )
    record = run_record(Summary.model_validate(doc), RunLabel("main", "", True))
    assert record.suites == {"unclassified": 2.0, "unit": 1.0}
    assert (record.failed, record.tests, record.collection_errors, record.git_dirty) == (1, 2, ["c.py"], True)


def test_a_corrupt_store_is_reported_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / HISTORY
    path.write_text('{"schema": "uok.history.v1", "max_runs": 5, "runs": [], "tests": {"t::a": ["P", 0.1]}}')
    with pytest.raises(UokInputError, match=r"tests\['t::a'\] has 1 outcome letters for 0 runs"):
        load_history(path)
    assert read_history(path)[0] is None
    summary = Summary.model_validate(summary_doc([entry("t.py::a")]))
    problems = update_store(path, summary, RunLabel("main", ""), 5)
    assert len(problems) == 1
    assert problems[0].endswith("A new history was started.")
    assert [r.run_id for r in load_history(path).runs] == [summary.run_id]


def _append_many(args: tuple[str, int]) -> None:
    folder, worker = args
    for i in range(5):
        doc = summary_doc([entry(f"t{worker}.py::test_{i}")])
        doc["run_id"] = f"w{worker}-{i}"
        update_store(
            Path(folder) / HISTORY, Summary.model_validate(doc), RunLabel("main", f"shard {worker}"), 100
        )


def test_concurrent_writers_lose_no_run(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(_append_many, [(str(tmp_path), w) for w in range(3)])
    history = load_history(tmp_path / HISTORY)
    assert sorted(r.run_id for r in history.runs) == sorted(f"w{w}-{i}" for w in range(3) for i in range(5))
    assert len(history.tests) == 15
    validate_document(json.loads((tmp_path / HISTORY).read_text()), HISTORY)


outcome = st.sampled_from(["passed", "failed", "error", "skipped", "flaky", "quarantined", "xfailed"])
run_tests = st.dictionaries(st.sampled_from([f"t.py::test_{i}" for i in range(6)]), outcome, max_size=6)


@settings(max_examples=60)
@given(st.lists(run_tests, min_size=1, max_size=12), st.integers(1, 6))
def test_the_store_stays_aligned_and_bounded(runs: list[dict[str, str]], max_runs: int) -> None:
    history = grow(runs, max_runs=max_runs)  # validated again, so every test lines up with the runs
    assert len(history.runs) == min(len(runs), max_runs)
    for letters, recent in history.tests.values():
        assert len(letters) - letters.count(".") >= 1
        assert recent is not None
    kept = runs[-max_runs:]
    assert set(history.tests) == {n for outcomes in kept for n in outcomes}
    last = len(history.runs) - 1
    assert {n: o.outcome for n, o in snapshot_at(history, last).tests.items()} == kept[-1]
