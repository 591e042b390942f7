"""The recorder: one record per test whatever it reports, counts as pytest counts them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_uok.core.outcomes import report_category
from pytest_uok.core.records import RunRecorder


def feed(rec: RunRecorder, nodeid: str, *phases: tuple[str, str], **kw: object) -> None:
    for when, outcome in phases:
        rec.add_test_report(nodeid, when, outcome, 0.1, **kw)  # type: ignore[arg-type]


def test_phases_fold_into_one_record() -> None:
    rec = RunRecorder()
    feed(rec, "a.py::ok", ("setup", "passed"), ("call", "passed"), ("teardown", "passed"))
    feed(rec, "a.py::bad", ("setup", "passed"), ("call", "failed"), ("teardown", "passed"))
    feed(rec, "a.py::setup", ("setup", "failed"), ("teardown", "passed"))
    feed(rec, "a.py::td", ("setup", "passed"), ("call", "passed"), ("teardown", "failed"))
    feed(rec, "a.py::both", ("setup", "passed"), ("call", "failed"), ("teardown", "failed"))
    outcomes = {n: r.outcome for n, r in rec.records.items()}
    assert outcomes == {
        "a.py::ok": "passed",
        "a.py::bad": "failed",
        "a.py::setup": "error",
        "a.py::td": "error",
        "a.py::both": "failed",
    }
    assert rec.records["a.py::td"].phase == "teardown"
    assert rec.records["a.py::setup"].phase == "setup"
    # pytest's closing line: "2 failed, 2 passed, 3 errors"
    assert dict(rec.counts) == {"passed": 2, "failed": 2, "error": 3}
    assert abs(rec.records["a.py::ok"].duration_s - 0.3) < 1e-9


def test_xfail_and_skip() -> None:
    rec = RunRecorder()
    rec.add_test_report("a.py::xf", "setup", "passed", 0)
    rec.add_test_report("a.py::xf", "call", "skipped", 0, wasxfail=True)
    rec.add_test_report("a.py::xf", "teardown", "passed", 0)
    rec.add_test_report("a.py::xp", "setup", "passed", 0)
    rec.add_test_report("a.py::xp", "call", "passed", 0, wasxfail=True)
    feed(rec, "a.py::sk", ("setup", "skipped"), ("teardown", "passed"))
    assert {n: r.outcome for n, r in rec.records.items()} == {
        "a.py::xf": "xfailed",
        "a.py::xp": "xpassed",
        "a.py::sk": "skipped",
    }
    assert dict(rec.counts) == {"xfailed": 1, "xpassed": 1, "skipped": 1}


def test_subtests_are_tallied_on_their_test() -> None:
    rec = RunRecorder(count_passed_subtests=False)
    rec.add_test_report("a.py::t", "setup", "passed", 0)
    for i in range(1000):
        rec.add_test_report("a.py::t", "call", "failed" if i % 100 == 0 else "passed", 0, subtest=f"[{i}]")
    rec.add_test_report("a.py::t", "call", "passed", 0)
    rec.add_test_report("a.py::t", "teardown", "passed", 0)
    assert len(rec.records) == 1
    record = rec.records["a.py::t"]
    assert record.outcome == "failed"
    assert record.subtests is not None
    assert (record.subtests.passed, record.subtests.failed) == (990, 10)
    assert record.subtests.failures[:2] == ["[0]", "[100]"]
    # each failed subtest and the test itself count as failed, passed subtests are hidden
    assert dict(rec.counts) == {"failed": 11}


def test_attempts_make_one_flaky_record() -> None:
    rec = RunRecorder()
    for attempt, outcome in ((1, "failed"), (2, "failed"), (3, "passed")):
        for when, out in (("setup", "passed"), ("call", outcome), ("teardown", "passed")):
            rec.add_test_report("a.py::t", when, out, 0.5, attempt=attempt, counted=attempt == 3)
    record = rec.records["a.py::t"]
    assert record.outcome == "flaky"
    assert [a.outcome for a in record.attempts] == ["failed", "failed", "passed"]
    assert record.duration_s == 4.5
    assert dict(rec.counts) == {"passed": 1}


def test_consistent_failure_over_attempts_is_not_flaky() -> None:
    rec = RunRecorder()
    for attempt in (1, 2):
        rec.add_test_report("a.py::t", "call", "failed", 0, attempt=attempt)
    assert rec.records["a.py::t"].outcome == "failed"


def test_a_failure_after_passes_is_flaky_too() -> None:
    # early flake detection runs a new test again after it passed
    rec = RunRecorder()
    for attempt, outcome in ((1, "passed"), (2, "passed"), (3, "failed")):
        rec.add_test_report("a.py::t", "call", outcome, 0.1, attempt=attempt)
    assert rec.records["a.py::t"].outcome == "flaky"


def test_worker_crash_report_counts_as_failed() -> None:
    rec = RunRecorder()
    rec.add_test_report("a.py::t", "???", "failed", 0)
    assert rec.records["a.py::t"].outcome == "failed"
    assert dict(rec.counts) == {"failed": 1}


def test_collection_reports() -> None:
    rec = RunRecorder()
    rec.add_collect_report("bad.py", "failed", "ImportError")
    rec.add_collect_report("skipped.py", "skipped", "")
    rec.deselected(4)
    assert dict(rec.counts) == {"error": 1, "skipped": 1, "deselected": 4}
    assert [c.nodeid for c in rec.collection_failures] == ["bad.py"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.py::t", "a.py::u"]),
            st.sampled_from(["setup", "call", "teardown", "???"]),
            st.sampled_from(["passed", "failed", "skipped"]),
            st.integers(1, 2),
            st.none() | st.just("[sub]"),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_the_passing_report_shortcut_agrees_with_the_general_path(
    reports: list[tuple[str, str, str, int, str | None, bool]],
) -> None:
    fast, general = RunRecorder(), RunRecorder()
    for nodeid, when, outcome, attempt, subtest, xfail in reports:
        fast.add_test_report(nodeid, when, outcome, 0.5, xfail, subtest, True, attempt)
        # An explicit category takes the general path, and it is the category pytest gives.
        failed_subtests = general._failed_subtests[nodeid]
        category = report_category(when, outcome, xfail, subtest is not None, failed_subtests, False)
        general.add_test_report(nodeid, when, outcome, 0.5, xfail, subtest, True, attempt, category)
    assert fast.counts == general.counts
    for nodeid, rec in general.records.items():
        other = fast.records[nodeid]
        assert (other.outcome, other.phase, other.duration_s) == (rec.outcome, rec.phase, rec.duration_s)
        assert [(a.outcome, a.phase) for a in other.attempts] == [(a.outcome, a.phase) for a in rec.attempts]
