"""The run history: five runs of a project with a flaky test, shards sharing one store, ``last``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import UokRun, shell
from tests.helpers.artifacts import load_and_validate

RunUok = Callable[..., UokRun]

#: Fails on every second run, counting its runs in a file git does not track.
SOMETIMES = """
import pathlib

def test_sometimes():
    counter = pathlib.Path(__file__).with_name("runs.txt")
    runs = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(runs + 1))
    assert runs % 2 == 0, f"failed on run {runs + 1}"

def test_steady():
    pass
"""


def commit(pytester: pytest.Pytester) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
            cwd=pytester.path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    (pytester.path / ".gitignore").write_text("runs.txt\n.uok/\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "tests")
    return git("rev-parse", "HEAD")


def test_five_runs_of_a_flaky_test_give_its_failure_rate(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_sometimes=SOMETIMES)
    sha = commit(pytester)
    results = [run_uok().ret for _ in range(5)]
    assert results == [0, 1, 0, 1, 0]

    history = load_and_validate(pytester.path / ".uok" / "history.json")
    assert [r["branch"] for r in history["runs"]] == ["main"] * 5
    assert {r["git_sha"] for r in history["runs"]} == {sha}
    assert history["tests"]["test_sometimes.py::test_sometimes"][0] == "PFPFP"
    assert history["tests"]["test_sometimes.py::test_steady"][0] == "PPPPP"

    proc = shell("pytest-uok history", pytester.path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:3] == [
        "5 runs of 2 tests in .uok/history.json (keeps 30; main 5)",
        "flakiest tests (1):",
        "  test_sometimes.py::test_sometimes: failure rate 40% (2 of 5 runs), flip rate 100%; "
        f"flaky: failed and passed on commit {sha[:12]}",
    ]
    assert "slowest tests (2):" in proc.stdout

    # The baseline defaults to the last run on this branch: run 5 passed, run 6 fails.
    sixth = run_uok("--uok-diff-from", "last")
    triage = sixth.get("triage_diff.json")
    assert triage["baseline"]["run_id"] == history["runs"][-1]["run_id"]
    assert (triage["baseline"]["source"], triage["baseline"]["branch"]) == ("history", "main")
    assert triage["tests"]["regressed"] == ["test_sometimes.py::test_sometimes"]
    # ... and the triage says the history has seen this one come and go
    assert triage["ranked_diagnostics"][0]["detail"] == (
        "AssertionError: failed on run 6; flaky in the history: failed 2 of 5 runs, "
        f"failed and passed on commit {sha[:12]}"
    )


def test_concurrent_shards_share_one_history(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(**{f"test_{i}": f"def test_{i}(): pass" for i in range(4)})

    def shard(index: int) -> subprocess.CompletedProcess[str]:
        return shell(f"pytest -p no:randomly --uok-shard {index}/2", pytester.path)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(shard, [0, 1]))
    assert [p.returncode for p in done] == [0, 0], [p.stdout for p in done]
    history = load_and_validate(pytester.path / ".uok" / "history.json")
    assert not (pytester.path / ".uok" / "shard-0-of-2" / "history.json").exists()
    assert sorted(r["selection"] for r in history["runs"]) == ["--uok-shard 0/2", "--uok-shard 1/2"]
    assert len(history["tests"]) == 4
    first = next(r["run_id"] for r in history["runs"] if r["selection"] == "--uok-shard 0/2")

    again = run_uok("--uok-shard", "0/2", "--uok-diff-from", "last", out=".uok/shard-0-of-2")
    triage = again.get("triage_diff.json")
    assert triage["baseline"]["run_id"] == first
    assert (triage["status"], triage["scope"], triage["summary"]["new_tests"]) == ("stable", "partial", 0)


def test_last_without_an_earlier_run_says_so(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    run = run_uok("--uok-diff-from", "last", "-k", "test_a")
    assert run.ret == 0
    assert "triage_diff.json" not in run.artifacts
    run.result.stdout.fnmatch_lines(
        [
            "uok: nothing to compare with: the history (.uok/history.json) has no earlier run of this selection on *"
        ]
    )
    # this run is recorded, so the next one of the same selection compares with it
    assert run_uok("--uok-diff-from", "last", "-k", "test_a").get("triage_diff.json")["status"] == "stable"


def test_the_history_can_be_turned_off(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    run = run_uok("--uok-history-runs", "0")
    assert "history.json" not in run.artifacts
    result = pytester.runpytest("--uok-history-runs", "0", "--uok-diff-from", "last")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: pytest-uok: --uok-diff-from last compares with the last run in the history*"]
    )


def test_the_history_keeps_the_last_n_runs(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeini("[pytest]\nuok_history_runs = 2\n")
    pytester.makepyfile(test_a="def test_a(): pass")
    ids = [run_uok().summary["run_id"] for _ in range(3)]
    history = load_and_validate(pytester.path / ".uok" / "history.json")
    assert [r["run_id"] for r in history["runs"]] == ids[1:]
    assert history["max_runs"] == 2


def test_a_corrupt_history_is_replaced_with_a_warning(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    (pytester.path / ".uok").mkdir()
    (pytester.path / ".uok" / "history.json").write_text("{not json", encoding="utf-8")
    run = run_uok()
    assert run.ret == 0
    run.result.stdout.fnmatch_lines(
        ["uok history: *history.json is not valid JSON*A new history was started."]
    )
    assert len(run.get("history.json")["runs"]) == 1


def test_the_cli_refuses_a_bad_store(pytester: pytest.Pytester) -> None:
    (pytester.path / "h.json").write_text('{"schema": "uok.summary.v1"}', encoding="utf-8")
    proc = shell("pytest-uok history h.json", pytester.path)
    assert proc.returncode == 4
    assert proc.stderr.strip() == (
        "pytest-uok history: h.json has field 'schema' = 'uok.summary.v1', but 'uok.history.v1' is needed here."
    )
