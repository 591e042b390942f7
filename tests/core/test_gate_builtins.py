"""Built-in gates over hand-made facts: the branches a plain session does not reach."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.core.artifacts import dump
from pytest_uok.core.classify import SuiteMatcher
from pytest_uok.core.gates import FAIL, PASS, WARN, RunFacts
from pytest_uok.core.gates.builtin_policy import suite_classification
from pytest_uok.core.gates.builtin_run import duration_budget, flaky, pass_rate
from pytest_uok.core.models import summary as summary_model
from pytest_uok.core.models.summary import Attempt, ReplayPointer, Summary, TerminalCounts
from pytest_uok.core.wording import plural


def entry(
    nodeid: str, outcome: str = "passed", duration: float = 0.01, suite: str | None = None
) -> summary_model.TestEntry:
    return summary_model.TestEntry(
        nodeid=nodeid,
        file=nodeid.split("::")[0],
        outcome=outcome,  # type: ignore[arg-type]
        duration_s=duration,
        suite=suite,
        attempts=[Attempt(outcome=outcome, duration_s=duration)],  # type: ignore[arg-type]
    )


def write_run(folder: Path, tests: list[summary_model.TestEntry], policy: str | None = None) -> RunFacts:
    summary = Summary(
        run_id="r1",
        started_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        finished_at=None,
        duration_s=1.0,
        exit_status=0,
        interrupted=False,
        complete=True,
        rootdir=str(folder),
        invocation=[],
        git_sha=None,
        counts=TerminalCounts(),
        outcomes={},
        failed_names=[],
        replay_bundle=ReplayPointer(one_command_replay=None),
        tests=tests,
    )
    out = folder / ".uok"
    out.mkdir()
    (out / "summary.json").write_text(dump(summary), encoding="utf-8")
    if policy is not None:
        (folder / "tests").mkdir()
        (folder / "tests" / "suite_classification.toml").write_text(policy, encoding="utf-8")
    return RunFacts(out)


class RecordedClassification(RunFacts):
    """Facts whose summary carries the policy concern's classification block."""

    def __init__(self, out_dir: Path, policy_path: Path, block: dict[str, Any]) -> None:
        super().__init__(out_dir, policy_path)
        self.block = block

    @property
    def classification(self) -> dict[str, Any] | None:
        return self.block


@pytest.mark.parametrize(
    ("block", "status", "text"),
    [
        (
            {"unclassified": [], "stale": [], "duplicates": [], "unsorted": []},
            PASS,
            "every test file is classified",
        ),
        ({"unsorted": ["tests/b.py", "tests/a.py"]}, WARN, "2 unsorted entries: tests/b.py, tests/a.py"),
        ({"stale": ["tests/gone.py"]}, FAIL, "1 stale entry: tests/gone.py"),
        (
            {"duplicates": [{"file": "tests/a.py", "suites": ["unit", "e2e"]}]},
            FAIL,
            "1 file in several suites",
        ),
    ],
)
def test_suite_classification_reads_the_recorded_classification(
    tmp_path: Path, block: dict[str, Any], status: str, text: str
) -> None:
    write_run(tmp_path, [entry("tests/a.py::t")], policy="[suite.unit]\nfiles = ['tests']\n")
    facts = RecordedClassification(
        tmp_path / ".uok",
        tmp_path / "tests" / "suite_classification.toml",
        {"policy_path": "tests/suite_classification.toml", **block},
    )
    result = suite_classification(facts, {})
    assert result.status == status
    assert text in result.detail


def test_a_file_in_two_suites_is_a_duplicate_without_a_recorded_classification(tmp_path: Path) -> None:
    policy = "[suite.unit]\nfiles = ['tests/*.py']\n[suite.e2e]\nfiles = ['tests/a.py']\n"
    facts = write_run(tmp_path, [entry("tests/a.py::t"), entry("tests/b.py::t")], policy)
    result = suite_classification(facts, {})
    assert result.status == FAIL
    assert "1 file in several suites: tests/a.py (in unit, e2e)" in result.detail


@pytest.mark.parametrize(
    ("pattern", "file", "matches"),
    [
        ("tests/unit", "tests/unit/test_a.py", True),
        ("tests/unit/", "tests/unit/sub/test_a.py", True),
        ("tests/unit", "tests/unitary/test_a.py", False),
        ("tests/*/test_*.py", "tests/e2e/test_a.py", True),
        ("./tests/test_a.py", "tests/test_a.py", True),
        ("tests/test_a.py", "tests/test_ab.py", False),
        # The plugin's glob rules: ** spans zero or more folders, * stays within one.
        ("tests/**/test_*.py", "tests/test_a.py", True),
        ("tests/*.py", "tests/e2e/test_a.py", False),
    ],
)
def test_suite_entries_name_files_folders_or_globs(pattern: str, file: str, matches: bool) -> None:
    assert SuiteMatcher({"s": [pattern]}).suites_for(file) == (["s"] if matches else [])


def test_flaky_tests_are_protected_by_the_quarantines_that_cover_them(tmp_path: Path) -> None:
    tests = [
        entry("tests/net.py::test_dns[a]", "flaky"),
        entry("tests/net.py::test_dns_slow", "flaky"),
        entry("tests/db.py::TestPool::test_get", "flaky"),
        entry("tests/ui.py::test_click", "flaky"),
    ]
    facts = write_run(tmp_path, tests)
    covers = ["tests/net.py::test_dns", "tests/net.py::*_slow", "tests/db.py::TestPool", "tests/other.py"]
    audit = {
        "entries": [{"kind": "quarantine", "target": t, "state": "valid"} for t in covers]
        + [{"kind": "quarantine", "target": "tests/ui.py", "state": "expired"}]
    }
    (tmp_path / ".uok" / "waiver_audit.json").write_text(json.dumps(audit), encoding="utf-8")
    result = flaky(facts, {"action": "fail"})
    assert result.status == FAIL
    assert result.detail == "1 flaky test not quarantined: tests/ui.py::test_click"


def test_pass_rate_per_suite_minimum_and_what_counts(tmp_path: Path) -> None:
    tests = [
        entry("tests/u.py::a", "passed", suite="unit"),
        entry("tests/u.py::b", "flaky", suite="unit"),
        entry("tests/u.py::c", "quarantined", suite="unit"),  # left out of the rate
        entry("tests/u.py::d", "skipped", suite="unit"),
        entry("tests/e.py::a", "passed", suite="e2e"),
        entry("tests/e.py::b", "failed", suite="e2e"),
    ]
    facts = write_run(tmp_path, tests)
    ok = pass_rate(facts, {"min_rate": 0.5})
    assert (ok.status, ok.detail) == (PASS, "pass rate e2e 50.0%, unit 100.0%")
    low = pass_rate(facts, {"min_rate": 0.5, "suites": {"e2e": 0.9}})
    assert (low.status, low.detail) == (FAIL, "pass rate below minimum: e2e 50.0% < 90.0%")
    assert [b.subject for b in low.blockers] == ["e2e"]


def test_duration_budget_per_test_suite_and_run(tmp_path: Path) -> None:
    tests = [
        entry("tests/u.py::slow", duration=1.5, suite="unit"),
        entry("tests/u.py::fast", duration=0.1, suite="unit"),
        entry("tests/e.py::long", duration=20.0, suite="e2e"),
    ]
    facts = write_run(tmp_path, tests)
    result = duration_budget(facts, {"suite_s": {"e2e": 10.0}, "total_s": 0.5})
    assert result.status == FAIL
    assert [b.subject for b in result.blockers] == ["tests/u.py::slow", "e2e", None]
    assert result.reproduce_command == "pytest --durations=20 tests/u.py::slow"
    assert duration_budget(facts, {"test_s": {}}).status == PASS


def test_plural() -> None:
    assert [plural(1, "entry"), plural(2, "entry"), plural(2, "day"), plural(0, "test")] == [
        "1 entry",
        "2 entries",
        "2 days",
        "0 tests",
    ]
