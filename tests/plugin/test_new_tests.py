"""Early flake detection: a new flaky test is caught in the one run that adds it, with and without xdist."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import UokRun
from tests.plugin.gate_helpers import gate, verdict_of

RunUok = Callable[..., UokRun]

KNOWN = """
def test_one():
    pass

def test_two():
    pass

def test_three():
    pass
"""

#: A new test that passes twice, fails its third run, and passes again; each run's fixture
#: setup and teardown is written to a file next to it.
NEW_FLAKY = """
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


@pytest.fixture
def resource():
    with (HERE / "fixture.txt").open("a") as fh:
        fh.write("setup\\n")
    yield
    with (HERE / "fixture.txt").open("a") as fh:
        fh.write("teardown\\n")


def test_new_and_flaky(resource):
    counter = HERE / "runs.txt"
    runs = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(runs + 1))
    assert runs != 2, "the third run fails"
"""

NEW_BROKEN = """
def test_new_and_broken():
    assert 1 == 2
"""


def known_suite(pytester: pytest.Pytester, run_uok: RunUok) -> UokRun:
    pytester.makepyfile(test_known=KNOWN)
    run = run_uok()
    assert run.ret == 0
    return run


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_a_new_flaky_test_is_caught_in_one_run(
    pytester: pytest.Pytester, run_uok: RunUok, workers: list[str]
) -> None:
    known_suite(pytester, run_uok)
    pytester.makepyfile(test_new=NEW_FLAKY)
    run = run_uok("--uok-new-test-retries", "9", "-p", "no:randomly", *workers, subprocess=bool(workers))
    assert run.ret == 0  # flaky is not failed: the gates decide (see below)
    tests = {t["nodeid"]: t for t in run.summary["tests"]}
    flaky = tests["test_new.py::test_new_and_flaky"]
    assert flaky["outcome"] == "flaky"
    # it stops as soon as it both passed and failed
    assert [a["outcome"] for a in flaky["attempts"]] == ["passed", "passed", "failed"]
    assert [len(tests[f"test_known.py::test_{n}"]["attempts"]) for n in ("one", "two", "three")] == [1, 1, 1]
    fixture = (pytester.path / "fixture.txt").read_text(encoding="utf-8").split()
    assert fixture == ["setup", "teardown"] * 3
    assert run.summary["early_flake"] == {
        "retries": 9,
        "new_tests": 1,
        "retried": 1,
        "flaky_new": ["test_new.py::test_new_and_flaky"],
        "skipped": None,
    }
    assert run.summary["counts"]["other"] == {"flaky": 1}
    run.result.stdout.fnmatch_lines(
        [
            "*- uok early flake detection -*",
            "1 new tests, 1 retried (up to 9 times when a run takes at most 5 s, 2 up to 30 s)",
            "FLAKY-NEW test_new.py::test_new_and_flaky: failed 1 of 3 attempts",
        ]
    )
    assert [f["nodeid"] for f in run.summary["flaky"]] == ["test_new.py::test_new_and_flaky"]


def test_a_new_test_that_always_fails_is_failed_not_flaky(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    known_suite(pytester, run_uok)
    pytester.makepyfile(test_new=NEW_BROKEN)
    run = run_uok("--uok-new-test-retries", "3")
    assert run.ret == 1
    (test,) = [t for t in run.summary["tests"] if t["nodeid"] == "test_new.py::test_new_and_broken"]
    assert (test["outcome"], len(test["attempts"])) == ("failed", 4)
    assert run.summary["early_flake"]["flaky_new"] == []
    assert run.summary["counts"]["failed"] == 1


def test_retries_are_skipped_when_most_of_the_suite_is_new(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_known="def test_one(): pass")
    run_uok()
    pytester.makepyfile(test_new="def test_a(): pass\ndef test_b(): pass")
    run = run_uok("--uok-new-test-retries", "9")
    assert all(len(t["attempts"]) == 1 for t in run.summary["tests"])
    assert run.summary["early_flake"]["skipped"] == "2 of 3 tests are new, more than half"
    run.result.stdout.fnmatch_lines(["2 new tests not retried: 2 of 3 tests are new, more than half"])


def test_the_regression_gate_stops_a_new_flaky_test_before_it_is_merged(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    known_suite(pytester, run_uok)
    pytester.makepyfile(test_new=NEW_FLAKY)
    run = run_uok("--uok-new-test-retries", "9", "--uok-diff-from", "last", "--uok-gate")
    triage = run.get("triage_diff.json")
    assert triage["tests"]["flaky_new"] == ["test_new.py::test_new_and_flaky"]
    assert triage["ranked_diagnostics"][0]["kind"] == "flaky_new"
    verdict = verdict_of(run)
    result = gate(verdict, "regression")
    assert result["status"] == "fail"
    assert "regression" in verdict["failed_gates"]
    assert "SEV-2 flaky_new test_new.py::test_new_and_flaky" in result["detail"]
    assert run.ret == 6  # the tests passed; the blocking regression gate did not
