"""--uok-reruns and --uok-attempt-to-fix: one record per test, fixtures renewed between attempts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from tests.conftest import UokRun

#: A test body that fails twice and then passes, counting its runs in a file next to it.
TEMPORARY_FAILURE = """
import pathlib

import pytest

EVENTS = pathlib.Path(__file__).with_name("events.txt")


def note(line):
    with EVENTS.open("a") as fh:
        fh.write(line + "\\n")


@pytest.fixture(scope="module")
def module_resource():
    note("module setup")
    yield
    note("module teardown")


@pytest.fixture
def resource(module_resource):
    note("setup")
    yield
    note("teardown")


def test_temporary(resource):
    counter = pathlib.Path(__file__).with_name("counter.txt")
    runs = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(runs + 1))
    if runs < 2:
        raise TimeoutError(f"timed out on run {runs + 1}")


def test_always_fails():
    assert 1 == 2


def test_passes():
    pass
"""


def check_records(run: UokRun) -> None:
    outcomes = run.outcomes()
    assert outcomes == {
        "test_flaky.py::test_temporary": "flaky",
        "test_flaky.py::test_always_fails": "failed",
        "test_flaky.py::test_passes": "passed",
    }
    tests = {t["nodeid"]: t for t in run.summary["tests"]}
    temporary = tests["test_flaky.py::test_temporary"]
    assert [a["outcome"] for a in temporary["attempts"]] == ["failed", "failed", "passed"]
    assert [a["outcome"] for a in tests["test_flaky.py::test_always_fails"]["attempts"]] == ["failed"] * 4
    assert len(tests["test_flaky.py::test_passes"]["attempts"]) == 1
    # Counted once everywhere: outcomes, the closing line (checked by run_uok), failed names.
    assert run.summary["outcomes"] == {"passed": 1, "failed": 1, "flaky": 1}
    assert run.summary["counts"]["passed"] == 1
    assert run.summary["counts"]["failed"] == 1
    assert run.summary["counts"]["other"] == {"flaky": 1}
    assert run.summary["failed_names"] == ["test_flaky.py::test_always_fails"]
    assert [f["nodeid"] for f in run.digest["failures"]] == ["test_flaky.py::test_always_fails"]
    assert run.replay["failed_names"] == ["test_flaky.py::test_always_fails"]
    metrics = (run.out / "metrics.prom").read_text()
    for outcome, value in (("passed", 1), ("failed", 1), ("flaky", 1)):
        assert f'uok_tests_total{{outcome="{outcome}",shard="0/1",suite="unclassified"}} {value}.0' in metrics
    assert 'uok_flaky_tests{shard="0/1"} 1.0' in metrics
    report = (run.out / "report.md").read_text()
    assert "3 tests, 1 failing" in report
    assert "| flaky | 1 |" in report
    flaky_events = [e["data"] for e in run.events if e["kind"] == "test_flaky"]
    assert flaky_events == [{"nodeid": "test_flaky.py::test_temporary", "attempts": 3}]
    # One event per failed attempt, those of retried attempts included, numbered in file order.
    failures = [e["data"]["nodeid"] for e in run.events if e["kind"] == "test_failure"]
    assert (
        sorted(failures) == ["test_flaky.py::test_always_fails"] * 4 + ["test_flaky.py::test_temporary"] * 2
    )
    assert [e["seq"] for e in run.events] == list(range(len(run.events)))
    (flaky,) = run.summary["flaky"]
    assert flaky["nodeid"] == "test_flaky.py::test_temporary"
    assert (flaky["attempts"], flaky["failed_attempts"]) == (3, 2)
    assert flaky["suggested_category"] == "FLAKE-TIMING"
    entry = flaky["quarantine_entry"]
    assert entry.startswith(
        '[[quarantine]]\ntest = "test_flaky.py::test_temporary"\ncategory = "FLAKE-TIMING"\n'
    )
    assert f"added = {date.today().isoformat()}\n" in entry
    assert f"expires = {(date.today() + timedelta(days=30)).isoformat()}\n" in entry
    run.result.stdout.fnmatch_lines(
        [
            "*uok flaky tests*",
            "FLAKY test_flaky.py::test_temporary: failed 2 of 3 attempts; suggested FLAKE-TIMING*",
            '    test = "test_flaky.py::test_temporary"',
            "*1 failed, 1 passed, 1 flaky*",
        ]
    )


def test_temporary_failure_becomes_one_flaky_record(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    run = run_uok("--uok-reruns", "3", "-p", "no:randomly")
    assert run.ret == 1  # test_always_fails; the flaky test alone would not fail the run
    check_records(run)
    run.result.stdout.fnmatch_lines(["test_flaky.py RRKRRRF. *"])
    events = (pytester.path / "events.txt").read_text().splitlines()
    # The function fixture is renewed for every attempt; the module fixture lives on while shared.
    assert events == ["module setup"] + ["setup", "teardown"] * 3 + ["module teardown"]


def test_a_pass_needs_no_rerun_and_flaky_alone_exits_0(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    run = run_uok("--uok-reruns", "2", "-k", "temporary or passes")
    assert run.ret == 0
    assert run.summary["outcomes"] == {"passed": 1, "flaky": 1}


def test_the_failure_of_a_flaky_last_test_reaches_the_events(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    run = run_uok("--uok-reruns", "2", "-k", "temporary")
    assert run.summary["outcomes"] == {"flaky": 1}
    kinds = [e["kind"] for e in run.events]
    # The retried attempts' events waited for the test's end: the session's end wrote them.
    assert kinds.count("test_failure") == 2
    assert kinds.index("test_failure") < kinds.index("session_finish")


FAILS_THEN_SKIPS_THEN_READS_EVENTS = """
import json
import pathlib

import pytest


def test_fails_then_skips():
    counter = pathlib.Path(__file__).with_name("counter.txt")
    if not counter.exists():
        counter.write_text("1")
        raise TimeoutError("timed out")
    pytest.skip("the service is gone")


def test_reads_the_events():
    lines = pathlib.Path(__file__).with_name(".uok").joinpath("events.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds.count("test_failure") == 1
"""


def test_retried_failures_are_in_the_events_before_the_next_test_runs(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    # No later event of the first test writes its retried attempt's: the next test's report does.
    pytester.makepyfile(test_order=FAILS_THEN_SKIPS_THEN_READS_EVENTS)
    run = run_uok("--uok-reruns", "1")
    assert run.summary["outcomes"] == {"skipped": 1, "passed": 1}


def test_not_enough_reruns_leave_it_failed(pytester: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    run = run_uok("--uok-reruns", "1", "-k", "temporary")
    assert run.ret == 1
    assert run.outcomes() == {"test_flaky.py::test_temporary": "failed"}
    assert run.summary["flaky"] == []


def test_reruns_under_xdist(pytester: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    run = run_uok("--uok-reruns", "3", "-n", "2", "-p", "no:randomly", subprocess=True)
    assert run.ret == 1
    check_records(run)
    events = (pytester.path / "events.txt").read_text().splitlines()
    # Whichever worker runs it, each attempt gets a fresh function fixture, set up after the last teardown.
    assert [e for e in events if e in ("setup", "teardown")] == ["setup", "teardown"] * 3
    assert events.count("module setup") == events.count("module teardown") >= 1


def test_a_setup_that_fails_once_is_flaky_with_a_fresh_fixture(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(
        test_db="""
        import pathlib
        import pytest

        COUNTER = pathlib.Path(__file__).with_name("setups.txt")

        @pytest.fixture
        def db():
            runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
            COUNTER.write_text(str(runs + 1))
            if runs == 0:
                raise ConnectionRefusedError("[Errno 111] Connection refused")
            yield

        def test_query(db):
            pass
        """
    )
    run = run_uok("--uok-reruns", "2")
    assert run.ret == 0
    (test,) = run.summary["tests"]
    assert test["outcome"] == "flaky"
    assert [(a["outcome"], a["phase"]) for a in test["attempts"]] == [("error", "setup"), ("passed", None)]
    assert run.summary["flaky"][0]["suggested_category"] == "FLAKE-NET"
    assert (pytester.path / "setups.txt").read_text() == "2"
    run.result.stdout.fnmatch_lines(["test_db.py RK *", "*1 flaky*"])


def test_reports_carry_their_attempt(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import json
        import pathlib

        def pytest_runtest_logreport(report):
            with pathlib.Path("seen.jsonl").open("a") as fh:
                seen = [report.when, getattr(report, "uok_attempt", None), report.outcome]
                fh.write(json.dumps(seen) + "\\n")
        """
    )
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    pytester.runpytest("--uok-reruns", "2", "-k", "temporary")
    lines = (pytester.path / "seen.jsonl").read_text().splitlines()
    seen = [json.loads(line) for line in lines]
    assert [(when, attempt) for when, attempt, _ in seen] == [
        (w, k) for k in (1, 2, 3) for w in ("setup", "call", "teardown")
    ]
    assert [o for w, _, o in seen if w == "call"] == ["rerun", "rerun", "passed"]


def test_attempt_to_fix_releases_tests_that_always_pass(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_flaky=TEMPORARY_FAILURE)
    today = date.today()
    entries = ""
    for test in ("test_flaky.py::test_passes", "test_flaky.py::test_always_fails"):
        entries += f"""
[[quarantine]]
test = "{test}"
category = "FLAKE-LOGIC"
owner = "@me"
issue = "https://example.org/5"
reason = "suspected"
added = {today - timedelta(days=3)}
expires = {today + timedelta(days=3)}
"""
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "suite_classification.toml").write_text(entries)
    run = run_uok("--uok-attempt-to-fix", "3", "-k", "passes or always", "-p", "no:randomly")
    assert run.ret == 0
    tests = {t["nodeid"]: t for t in run.summary["tests"]}
    assert [a["outcome"] for a in tests["test_flaky.py::test_passes"]["attempts"]] == ["passed"] * 3
    assert [a["outcome"] for a in tests["test_flaky.py::test_always_fails"]["attempts"]] == ["quarantined"]
    assert run.summary["ready_to_release"] == ["test_flaky.py::test_passes"]
    run.result.stdout.fnmatch_lines(["*uok ready to release*", "test_flaky.py::test_passes passed every*"])


def test_bad_rerun_counts_are_usage_errors(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--uok-reruns", "-1")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--uok-reruns must be zero or more, got -1*"])


def test_the_digest_shows_the_traceback_of_the_last_failed_attempt(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(
        test_attempts="""
        import itertools

        runs = itertools.count(1)

        def test_always():
            attempt = next(runs)
            assert attempt == 0, f"failed on attempt {attempt}"
        """
    )
    run = run_uok("--uok-reruns", "2")
    assert run.ret == 1
    (entry,) = run.digest["failures"]
    assert "failed on attempt 3" in entry["excerpts"]["longrepr"]
    assert "failed on attempt 1" not in entry["excerpts"]["longrepr"]
