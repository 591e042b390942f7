"""``--uok-shard``: shards of a real project, merged, equal an unsharded run."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import UokRun
from tests.helpers.artifacts import validate_folder

RunUok = Callable[..., UokRun]
Shell = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """Four test files: classes, parametrized tests, a failure, a skip and an xfail."""
    for name in ("alpha", "beta", "gamma", "delta"):
        pytester.makepyfile(
            **{
                f"tests/test_{name}.py": f"""
                import pytest

                @pytest.mark.parametrize("n", range(4))
                def test_{name}_param(n):
                    assert not ("{name}" == "beta" and n == 2)

                class TestGroup:
                    def test_one(self):
                        pass

                    def test_two(self):
                        pass

                def test_{name}_skip():
                    pytest.skip("not here")

                @pytest.mark.xfail(reason="known")
                def test_{name}_xfail():
                    assert False
                """
            }
        )
    return pytester


def outcomes(summary: dict[str, Any]) -> dict[str, str]:
    return {t["nodeid"]: t["outcome"] for t in summary["tests"]}


def merge(shell: Shell, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return shell("pytest-uok merge " + " ".join(args), cwd)


def test_three_shards_one_under_xdist_merge_into_the_unsharded_run(
    project: pytest.Pytester, run_uok: RunUok, run_shell: Shell
) -> None:
    full = run_uok("--uok-out", "full", out="full")
    assert full.ret == 1
    shards = [
        run_uok("--uok-shard", "0/3", out=".uok/shard-0-of-3"),
        run_uok("--uok-shard", "1/3", "-n", "2", subprocess=True, out=".uok/shard-1-of-3"),
        run_uok("--uok-shard", "2/3", out=".uok/shard-2-of-3"),
    ]
    seen: set[str] = set()
    for index, shard in enumerate(shards):
        manifest = shard.summary["manifest"]
        assert (manifest["index"], manifest["total"], manifest["kind"]) == (index, 3, "test")
        assert shard.summary["shard"]["index"] == index
        assert shard.replay["manifest"]["digest"] == manifest["digest"]
        assert shard.get("environment.json")["manifest"]["count"] == manifest["count"]
        assert set(manifest["nodeids"]) == set(outcomes(shard.summary))
        assert not seen & set(manifest["nodeids"])
        seen |= set(manifest["nodeids"])
        shard.result.stdout.fnmatch_lines([f"uok: shard {index}/3 (from --uok-shard), by test"])
        if index != 1:
            shard.result.stdout.fnmatch_lines([f"uok: shard {index}/3: {manifest['count']} tests*"])
    assert seen == set(outcomes(full.summary))

    done = merge(run_shell, project.path, ".uok", "-o", "merged")
    assert done.returncode == 1 - 1, done.stderr
    assert "merged 3 of 3 shards into merged: 32 tests, 1 failed" in done.stdout
    merged = validate_folder(project.path / "merged")
    summary = merged["summary.json"]
    assert outcomes(summary) == outcomes(full.summary)
    assert summary["outcomes"] == full.summary["outcomes"]
    assert summary["failed_names"] == full.summary["failed_names"]
    assert summary["exit_status"] == 1
    assert [m["index"] for m in summary["shards"]] == [0, 1, 2]
    assert summary["counts"]["deselected"] == 0
    assert summary["replay_bundle"]["one_command_replay"].endswith("--uok-rerun-from merged/summary.json")
    assert [f["nodeid"] for f in merged["failure_digest.json"]["failures"]] == full.summary["failed_names"]
    assert set(json.loads((project.path / "merged/durations.json").read_text())["tests"]) == seen
    assert any(e["kind"] == "merge" for e in merged["events.jsonl"])

    # each shard reruns only its own share of the merged run's failures
    rerun = [
        run_uok(
            "--uok-shard", f"{i}/3", "--uok-rerun-from", "merged/summary.json", "--uok-out", "rr", out="rr"
        )
        for i in range(3)
    ]
    ran = [n for i, r in enumerate(rerun) for n in outcomes(r.get(f"shard-{i}-of-3/summary.json"))]
    assert sorted(ran) == sorted(full.summary["failed_names"])
    assert sorted(r.ret for r in rerun) == [1, 5, 5]


def test_merge_reports_missing_and_duplicated_shards_and_mixed_commits(
    project: pytest.Pytester, run_uok: RunUok, run_shell: Shell
) -> None:
    for i in range(2):
        run_uok("--uok-shard", f"{i}/2", out=f".uok/shard-{i}-of-2")
    base = project.path / ".uok"
    missing = merge(run_shell, project.path, ".uok/shard-0-of-2", "-o", "m1")
    assert missing.returncode == 1
    assert "missing shards: 1/2" in missing.stderr
    assert "tests are missing" in missing.stderr
    shutil.copytree(base / "shard-1-of-2", project.path / "again")
    twice = merge(run_shell, project.path, ".uok", "again", "-o", "m2")
    assert twice.returncode == 1
    assert "shard 1/2 given 2 times" in twice.stderr
    assert "assigned to more than one shard" in twice.stderr
    for i, sha in enumerate(("a" * 40, "b" * 40)):
        path = base / f"shard-{i}-of-2" / "summary.json"
        data = json.loads(path.read_text())
        data["git_sha"] = sha
        path.write_text(json.dumps(data))
    mixed = merge(run_shell, project.path, ".uok", "-o", "m3")
    assert mixed.returncode == 4
    assert "different commits" in mixed.stderr
    assert "--allow-mixed-commits" in mixed.stderr
    assert merge(run_shell, project.path, ".uok", "-o", "m3", "--allow-mixed-commits").returncode == 0


def test_module_shards_decide_files_before_importing_them(
    project: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = project.path / "imports.log"
    monkeypatch.setenv("IMPORT_LOG", str(log))
    project.makeconftest(
        """
        import os

        def pytest_collect_file(file_path, parent):
            if file_path.name.startswith("test_"):
                with open(os.environ["IMPORT_LOG"], "a") as fh:
                    fh.write(file_path.name + "\\n")
        """
    )
    stored = run_uok("--uok-store-durations", "--uok-out", "first", out="first")
    stored.result.stdout.fnmatch_lines(["uok: durations of 32 tests stored in .uok/durations.json*"])
    project.makepyfile(**{"tests/test_new.py": "def test_new(): pass"})  # unknown: placed by hash
    collected: list[list[str]] = []
    ids: list[str] = []
    for i in range(3):
        log.write_text("")
        run = run_uok("--uok-shard", f"{i}/3", "--uok-shard-by", "module", out=f".uok/shard-{i}-of-3")
        collected.append(log.read_text().split())
        manifest = run.summary["manifest"]
        assert manifest["pre_import"]
        assert manifest["kind"] == "module"
        ids += manifest["nodeids"]
        run.result.stdout.fnmatch_lines(
            ["*files split before import*", "uok: shard *, estimated *files of other shards not imported)"]
        )
    files = [f for shard in collected for f in shard]
    assert sorted(files) == sorted({f"test_{n}.py" for n in ("alpha", "beta", "gamma", "delta", "new")})
    assert len(ids) == len(set(ids)) == 33


def test_an_empty_shard_says_so(project: pytest.Pytester, run_uok: RunUok) -> None:
    run = run_uok("tests/test_alpha.py::test_alpha_skip", "--uok-shard", "3/4", out=".uok/shard-3-of-4")
    assert run.ret == 5
    run.result.stdout.fnmatch_lines(
        ["uok: shard 3/4 is empty: the 1 selected tests were split into 4 shards and none fell to this one.*"]
    )
    assert run.summary["manifest"]["count"] == 0


def test_shard_from_gitlab_variables_and_bazel_status_file(
    project: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_NODE_INDEX", "2")
    monkeypatch.setenv("CI_NODE_TOTAL", "2")
    run = run_uok("-k", "param", out=".uok/shard-1-of-2")
    run.result.stdout.fnmatch_lines(
        ["uok: shard 1/2 (from GitLab: CI_NODE_INDEX=2, CI_NODE_TOTAL=2), by test"]
    )
    assert run.summary["shard"]["source"].startswith("GitLab")
    assert run.summary["manifest"]["universe_count"] == 16
    monkeypatch.delenv("CI_NODE_INDEX")
    status = project.path / "bazel_status"
    monkeypatch.setenv("TEST_SHARD_INDEX", "0")
    monkeypatch.setenv("TEST_TOTAL_SHARDS", "3")
    monkeypatch.setenv("TEST_SHARD_STATUS_FILE", str(status))
    run = run_uok(out=".uok/shard-0-of-3")
    run.result.stdout.fnmatch_lines(
        ["uok: shard 0/3 (from Bazel: TEST_SHARD_INDEX=0, TEST_TOTAL_SHARDS=3), by test"]
    )
    assert status.exists()


@pytest.mark.parametrize(
    ("env", "index", "source"),
    [
        ({"CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "2"}, 1, "CircleCI: CIRCLE_NODE_INDEX=1"),
        ({"BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "2"}, 0, "Buildkite: BUILDKITE_"),
    ],
)
def test_shard_from_circleci_and_buildkite_after_k_deselection(
    project: pytest.Pytester,
    run_uok: RunUok,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    index: int,
    source: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = run_uok("-k", "not skip", out=f".uok/shard-{index}-of-2")
    run.result.stdout.fnmatch_lines([f"uok: shard {index}/2 (from {source}*), by test"])
    manifest = run.summary["manifest"]
    # -k leaves 28 of 32 tests; the shard's split of those 28 is announced as deselection too
    assert manifest["universe_count"] == 28
    assert manifest["count"] + manifest["shard_deselected"] == 28
    run.result.stdout.fnmatch_lines(
        [f"collected 32 items / {32 - manifest['count']} deselected / {manifest['count']} selected"]
    )
    assert run.summary["counts"]["deselected"] == 32 - manifest["count"]


def test_class_shards_keep_classes_together_and_use_pytest_split_durations(
    project: pytest.Pytester, run_uok: RunUok
) -> None:
    durations = {f"tests/test_{n}.py::TestGroup::test_one": 5.0 for n in ("alpha", "beta")}
    (project.path / ".test_durations").write_text(json.dumps(durations))
    owners: dict[str, int] = {}
    for i in range(2):
        run = run_uok("--uok-shard", f"{i}/2", "--uok-shard-by", "class", out=f".uok/shard-{i}-of-2")
        run.result.stdout.fnmatch_lines(["uok: durations: .test_durations (2 tests known)"])
        for nodeid in run.summary["manifest"]["nodeids"]:
            if "TestGroup" in nodeid:
                assert owners.setdefault(nodeid.rsplit("::", 1)[0], i) == i
    assert len(owners) == 4


def test_bad_shard_option_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--uok-shard", "3/3")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--uok-shard: the shard index counts from 0 and must be below N, so 0 to 2*"]
    )
    result = project.runpytest("--uok-shard-by", "file")
    result.stderr.fnmatch_lines(["*--uok-shard-by must be one of test, class, module, got 'file'*"])


def test_a_conftest_can_weigh_tests_for_sharding(project: pytest.Pytester, run_uok: RunUok) -> None:
    project.makeconftest(
        """
        def pytest_uok_shard_durations(config, durations):
            durations["tests/test_alpha.py::TestGroup::test_one"] = 1000.0
        """
    )
    run_uok("--uok-store-durations", "--uok-out", "first", out="first")
    sizes = []
    for i in range(2):
        run = run_uok("--uok-shard", f"{i}/2", out=f".uok/shard-{i}-of-2")
        ids = run.summary["manifest"]["nodeids"]
        sizes.append(len(ids))
        if "tests/test_alpha.py::TestGroup::test_one" in ids:
            assert ids == ["tests/test_alpha.py::TestGroup::test_one"]
            run.result.stdout.fnmatch_lines(["uok: shard *: 1 tests, estimated 1000.0 s"])
    assert sorted(sizes) == [1, 31]
