"""``--uok-rerun-from`` replays exactly the failures of an earlier run, and refuses bad files clearly."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import UokRun
from tests.plugin.projects import MIXED, MIXED_FAILURES

RunUok = Callable[..., UokRun]


def test_rerun_selects_exactly_the_failures(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED, test_other="def test_fine(): pass")
    first = run_uok()
    (pytester.path / "first").mkdir()
    (pytester.path / ".uok" / "summary.json").rename(pytester.path / "first" / "summary.json")
    rerun = run_uok("--uok-rerun-from", "first/summary.json")
    assert rerun.outcomes() == MIXED_FAILURES
    assert {n: o for n, o in first.outcomes().items() if n in MIXED_FAILURES} == rerun.outcomes()
    rerun.result.stdout.fnmatch_lines(
        [
            "uok: rerun from first/summary.json: 8 failed tests of run *",
            "uok: rerunning 8 of 8 earlier failures",
        ]
    )
    assert rerun.summary["counts"]["deselected"] == 5


@pytest.mark.parametrize("source", ["replay_bundle.json", "", "summary.json"])
def test_rerun_accepts_bundle_summary_or_folder(
    pytester: pytest.Pytester, run_uok: RunUok, source: str
) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run_uok()
    saved = pytester.path / "saved"
    (pytester.path / ".uok").rename(saved)
    rerun = run_uok("--uok-rerun-from", str(saved / source) if source else "saved")
    assert set(rerun.outcomes()) == set(MIXED_FAILURES)


def test_unimported_files_are_not_collected(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run_uok()
    (pytester.path / "saved").mkdir()
    (pytester.path / ".uok" / "summary.json").rename(pytester.path / "saved" / "summary.json")
    # A file added since would break collection if it were imported.
    pytester.makepyfile(test_new="raise SystemExit('imported!')")
    rerun = run_uok("--uok-rerun-from", "saved")
    assert rerun.ret == 1
    assert set(rerun.outcomes()) == set(MIXED_FAILURES)


def test_missing_tests_are_listed_in_a_warning(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run_uok()
    (pytester.path / ".uok").rename(pytester.path / "saved")
    pytester.makepyfile(test_mixed=MIXED.replace("def test_exception", "def test_renamed"))
    rerun = run_uok("--uok-rerun-from", "saved")
    assert "test_mixed.py::test_exception" not in rerun.outcomes()
    assert len(rerun.outcomes()) == 7
    rerun.result.stdout.fnmatch_lines(
        [
            "*uok: 1 of 8 tests in saved/summary.json no longer exist and were not rerun: test_mixed.py::test_exception*"
        ]
    )


def test_all_tests_gone_is_a_usage_error(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run_uok()
    (pytester.path / ".uok").rename(pytester.path / "saved")
    (pytester.path / "test_mixed.py").write_text("def test_new(): pass\n")
    result = pytester.runpytest("--uok-rerun-from", "saved")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*none of the 8 failed tests recorded in saved/summary.json exist any more*"]
    )


def test_run_without_failures_reruns_nothing_and_says_so(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile("def test_a(): pass")
    run_uok()
    (pytester.path / ".uok").rename(pytester.path / "saved")
    rerun = run_uok("--uok-rerun-from", "saved")
    assert rerun.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    rerun.result.stdout.fnmatch_lines(["*it records no failures, nothing to rerun*"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{truncated", "*bad.json is not valid JSON: * at line 1, column 2*"),
        ('{"schema": "uok.failure_digest.v1"}', "*bad.json has field 'schema' = 'uok.failure_digest.v1'*"),
        ('{"schema": "uok.summary.v1", "run_id": 3}', "*bad.json is not a valid uok.summary.v1: field*"),
    ],
)
def test_corrupt_input_is_a_usage_error(pytester: pytest.Pytester, content: str, message: str) -> None:
    pytester.makepyfile("def test_a(): pass")
    (pytester.path / "bad.json").write_text(content)
    result = pytester.runpytest("--uok-rerun-from", "bad.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-uok: --uok-rerun-from: " + message.lstrip("*")])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_missing_input_file(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--uok-rerun-from", "nowhere/summary.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nowhere/summary.json does not exist*"])


def test_crafted_node_ids_execute_nothing(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_mixed=MIXED)
    run_uok()
    summary = json.loads((pytester.path / ".uok" / "summary.json").read_text())
    summary["failed_names"] += ["test_x.py::t; touch hacked", "../outside.py::t", "/etc/passwd::x"]
    (pytester.path / "crafted.json").write_text(json.dumps(summary))
    rerun = run_uok("--uok-rerun-from", "crafted.json")
    assert set(rerun.outcomes()) == set(MIXED_FAILURES)
    assert not (pytester.path / "hacked").exists()
