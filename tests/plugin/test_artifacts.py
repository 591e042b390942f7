"""After every session the artifacts are written, valid, and agree with pytest's own account."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest

from tests.conftest import UokRun
from tests.plugin.projects import MIXED, MIXED_FAILURES, SUBTESTS

RunUok = Callable[..., UokRun]


def test_mixed_session_writes_every_artifact(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok()
    assert run.ret == 1
    assert set(run.artifacts) == {
        "summary.json",
        "replay_bundle.json",
        "failure_digest.json",
        "environment.json",
        "events.jsonl",
        "history.json",
    }
    summary = run.summary
    assert summary["complete"] is True
    assert summary["interrupted"] is False
    assert summary["exit_status"] == 1
    assert {n: o for n, o in run.outcomes().items() if o in ("failed", "error")} == MIXED_FAILURES
    assert sorted(summary["failed_names"]) == sorted(MIXED_FAILURES)
    assert run.outcomes()["test_mixed.py::test_xfail"] == "xfailed"
    assert run.outcomes()["test_mixed.py::test_xpass"] == "xpassed"
    assert run.outcomes()["test_mixed.py::test_skip"] == "skipped"
    assert len(summary["tests"]) == 13
    assert all(t["file"] == "test_mixed.py" and len(t["attempts"]) == 1 for t in summary["tests"])
    assert (pytester.path / ".uok" / ".gitignore").exists()
    run.result.stdout.fnmatch_lines(["*pytest-uok*", "artifacts: .uok/ (summary.json*", "replay failures: *"])


def test_digest_classifies_and_points_to_the_tests_own_line(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok()
    by_id = {f["nodeid"]: f for f in run.digest["failures"]}
    assert set(by_id) == set(MIXED_FAILURES)
    classes = {n: f["root_cause_class"] for n, f in by_id.items()}
    assert classes["test_mixed.py::test_fail"] == "assertion_failure"
    assert classes["test_mixed.py::test_exception"] == "exception"
    assert classes["test_mixed.py::test_setup_error"] == "setup_error"
    assert classes["test_mixed.py::test_teardown_error"] == "teardown_error"
    fail = by_id["test_mixed.py::test_fail"]
    assert fail["exception_type"] == "AssertionError"
    assert fail["first_failing_assertion"]["path"] == "test_mixed.py"
    assert fail["first_failing_assertion"]["line"] == 7
    assert "one is not two" in fail["first_failing_assertion"]["message"]
    setup = by_id["test_mixed.py::test_setup_error"]
    assert setup["first_failing_assertion"]["line"] == 14  # the fixture's raise
    pointer = fail["remediation_pointer"]
    assert pointer["targeted_test_replay_command"].endswith("test_mixed.py::test_fail")
    assert pointer["suite_replay_command"].endswith(" test_mixed.py")
    assert "--uok-rerun-from .uok/summary.json" in pointer["replay_command"]
    assert by_id["test_mixed.py::test_param[q'uote;x]"]["impacted_scenario_ids"] == ["q'uote;x"]


def test_replay_bundle_and_environment(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok("-p", "no:cacheprovider", "-v", "--tb=short")
    bundle = run.replay
    assert bundle["one_command_replay"].endswith("-p no:cacheprovider --uok-rerun-from .uok/summary.json")
    env = bundle["environment"]
    assert env["pytest"] == pytest.__version__
    assert env["python"].count(".") == 2
    assert any(p.startswith("pytest-uok-") for p in env["plugins"])
    [suite] = bundle["failed_suites"]
    assert suite["file"] == "test_mixed.py"
    assert suite["suite"] == "unclassified"
    assert len(suite["targeted_replay"]) == len(MIXED_FAILURES)
    assert all("-v" not in cmd.split() and "--tb=short" not in cmd for cmd in suite["targeted_replay"])
    environment = run.get("environment.json")
    assert environment["environment"] == env
    assert environment["shard"] == {"kind": "none", "index": 0, "total": 1, "source": ""}


def test_events_stream_the_session(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok()
    kinds = [e["kind"] for e in run.events]
    assert kinds[0] == "session_start"
    assert kinds[-1] == "session_finish"
    assert kinds.count("test_failure") == len(MIXED_FAILURES)
    assert [e["seq"] for e in run.events] == list(range(len(kinds)))
    assert len({e["run_id"] for e in run.events}) == 1
    raised = {e["data"]["nodeid"]: e["data"]["exc_type"] for e in run.events if e["kind"] == "test_failure"}
    assert raised["test_mixed.py::test_fail"] == "AssertionError"
    assert raised["test_mixed.py::test_exception"] == "KeyError"
    assert raised["test_mixed.py::test_setup_error"] == "RuntimeError"


def test_a_failure_without_an_exception_reaches_the_events(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(
        test_xpass="""
        import pytest

        @pytest.mark.xfail(strict=True)
        def test_first():
            pass

        def test_middle():
            pass

        @pytest.mark.xfail(strict=True)
        def test_last():
            pass
        """
    )
    run = run_uok()
    failures = [
        (e["data"]["nodeid"], e["data"]["exc_type"]) for e in run.events if e["kind"] == "test_failure"
    ]
    assert failures == [("test_xpass.py::test_first", None), ("test_xpass.py::test_last", None)]
    assert run.events[-1]["kind"] == "session_finish"
    assert {f["nodeid"] for f in run.digest["failures"]} == {
        "test_xpass.py::test_first",
        "test_xpass.py::test_last",
    }


#: How a rerun plugin runs a test (pytest-rerunfailures does this): pytest's protocol without
#: logging, then the reports logged, so each failure's exception is shown before its report.
LOGS_ITS_OWN_REPORTS = """
import pytest
from _pytest.runner import runtestprotocol

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in runtestprotocol(item, nextitem=nextitem, log=False):
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True

def pytest_uok_digest_fields(config, nodeid, facts):
    facts["owner"] = "team-payments"
"""


def test_failure_facts_survive_a_plugin_that_logs_the_reports_after_the_test(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makeconftest(LOGS_ITS_OWN_REPORTS)
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok()
    by_id = {f["nodeid"]: f for f in run.digest["failures"]}
    assert set(by_id) == set(MIXED_FAILURES)
    fail = by_id["test_mixed.py::test_fail"]
    assert fail["exception_type"] == "AssertionError"
    assert fail["first_failing_assertion"]["line"] == 7
    assert fail["extra"] == {"owner": "team-payments"}
    assert by_id["test_mixed.py::test_setup_error"]["first_failing_assertion"]["line"] == 14
    raised = {e["data"]["nodeid"]: e["data"]["exc_type"] for e in run.events if e["kind"] == "test_failure"}
    assert raised["test_mixed.py::test_exception"] == "KeyError"


def test_passing_run_has_no_replay_command(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile("def test_a(): pass")
    run = run_uok()
    assert run.ret == 0
    assert run.summary["failed_names"] == []
    assert run.summary["replay_bundle"]["one_command_replay"] is None
    assert run.replay["failed_suites"] == []
    assert run.digest["failures"] == []


@pytest.mark.parametrize(
    ("args", "expect_tests"),
    [
        (["-x"], 2),
        (["-k", "test_fail or exception"], 2),
        (["--maxfail=3"], 4),
    ],
)
def test_artifacts_under_selection_options(
    pytester: pytest.Pytester, run_uok: RunUok, args: list[str], expect_tests: int
) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok(*args)
    assert run.summary["complete"] is True
    assert len(run.summary["tests"]) == expect_tests


def test_last_failed_run(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run_uok()
    run = run_uok("--lf")
    assert set(run.outcomes()) == set(MIXED_FAILURES)


def test_collection_error_is_recorded(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_good="def test_a(): pass", test_broken="import nothing_here_at_all")
    run = run_uok()
    assert run.ret == 2
    assert run.summary["collection_errors"][0]["nodeid"] == "test_broken.py"
    [entry] = run.digest["failures"]
    assert entry["root_cause_class"] == "collection_error"
    assert "nothing_here_at_all" in entry["excerpts"]["longrepr"]
    assert run.replay["failed_names"] == ["test_broken.py"]


def test_subtests_stay_one_record(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_sub=SUBTESTS)
    for verbosity in ([], ["-v"], ["-q"]):
        run = run_uok(*verbosity)
        tests = {t["nodeid"]: t for t in run.summary["tests"]}
        assert set(tests) == {"test_sub.py::test_many_subtests", "test_sub.py::test_clean_subtests"}
        many = tests["test_sub.py::test_many_subtests"]
        assert many["outcome"] == "failed"
        assert many["subtests"]["failed"] == 3
        assert many["subtests"]["passed"] == 297
        assert many["subtests"]["failures"] == ["[case] (i=7)", "[case] (i=107)", "[case] (i=207)"]
        assert tests["test_sub.py::test_clean_subtests"]["outcome"] == "passed"


def test_no_artifacts_option(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile("def test_a(): pass")
    run = run_uok("--uok-no-artifacts")
    assert run.artifacts == {}
    assert not (pytester.path / ".uok").exists()
    run.result.stdout.fnmatch_lines(["uok: artifacts off*"])


def test_out_folder_from_ini_and_cli(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeini("[pytest]\nuok_out = build/uok\n")
    pytester.makepyfile("def test_a(): pass")
    assert "summary.json" in run_uok(out="build/uok").artifacts
    assert "summary.json" in run_uok("--uok-out", "elsewhere", out="elsewhere").artifacts


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest("-p", "no:uok")
    assert result.ret == 0
    assert not (pytester.path / ".uok").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--uok-excerpt-chars", "lots"], "*--uok-excerpt-chars*must be a whole number*"),
        (["--uok-excerpt-chars", "0"], "*--uok-excerpt-chars must be at least 1*"),
    ],
)
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nuok_checkpoint_seconds = soon\n")
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*uok_checkpoint_seconds in *tox.ini*must be a number of seconds*"])
    assert "Traceback" not in result.stderr.str()


def test_the_heap_is_frozen_for_the_session_end_and_thawed_after(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    # In-process: the session runs in this interpreter, so it must leave the collector as it was.
    pytester.makeconftest(
        """
        import gc
        import pytest

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(session):
            session.config.rootpath.joinpath("frozen.txt").write_text(str(gc.get_freeze_count()))
        """
    )
    pytester.makepyfile(test_mixed=MIXED)
    run = run_uok()
    assert run.ret == 1
    assert int((pytester.path / "frozen.txt").read_text()) > 0
    assert gc.get_freeze_count() == 0


def test_a_suite_running_pytester_sessions_in_process_gets_whole_artifacts_from_each(
    pytester: pytest.Pytester,
) -> None:
    # A plugin author's suite: pytester forgets the modules each in-process session imported,
    # while the packages that hold them stay; the next session must not meet stale classes.
    pytester.makepyfile(
        test_inner="""
        import json
        import pytest

        pytest_plugins = ["pytester"]

        @pytest.mark.parametrize("n", range(3))
        def test_session(pytester, n):
            pytester.makepyfile("def test_a(): assert 0")
            result = pytester.runpytest()
            out = result.stdout.str()
            assert "uok internal error" not in out, out
            summary = json.loads((pytester.path / ".uok" / "summary.json").read_text())
            assert summary["complete"] is True
            assert (pytester.path / ".uok" / "environment.json").is_file()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=300)
    result.assert_outcomes(passed=3)
