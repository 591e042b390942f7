"""What reaches the artifacts: bounded, redacted output; git facts; no secrets from the environment."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

from tests.conftest import UokRun

RunUok = Callable[..., UokRun]

LEAKY = """
import os, sys

def test_prints_secrets():
    print("using token", os.environ["DEPLOY_TOKEN"])
    print("password=hunter2hunter2 and AKIAABCDEFGHIJKLMNOP")
    print("x" * 100_000)
    sys.stderr.write("err " + os.environ["DEPLOY_TOKEN"])
    assert os.environ["DEPLOY_TOKEN"] == "something else"
"""


def test_output_is_redacted_and_bounded(
    pytester: pytest.Pytester, run_uok: RunUok, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "tok-3f9a7c1e5b"
    monkeypatch.setenv("DEPLOY_TOKEN", secret)
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(test_leaky=LEAKY)
    run = run_uok("--uok-excerpt-chars", "2000", subprocess=True)
    [entry] = run.digest["failures"]
    excerpts = entry["excerpts"]
    assert excerpts["truncated"] is True
    assert all(len(excerpts[k]) < 2100 for k in ("longrepr", "stdout", "stderr"))
    assert "[REDACTED]" in excerpts["stdout"]
    for path in run.out.iterdir():
        if path.is_file():
            text = path.read_text(errors="replace")
            assert secret not in text, path.name
            assert "hunter2hunter2" not in text, path.name
            assert "AKIAABCDEFGHIJKLMNOP" not in text, path.name
    assert run.get("environment.json")["variables"]["CI"] == "true"
    assert "DEPLOY_TOKEN" not in run.get("environment.json")["variables"]


def test_git_facts_are_recorded(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile("def test_a(): pass")
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=pytester.path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=pytester.path, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=pytester.path, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=pytester.path, capture_output=True, text=True, check=True
    ).stdout.strip()
    run = run_uok()
    assert run.summary["git_sha"] == sha
    assert run.replay["environment"]["git_sha"] == sha
    assert run.replay["environment"]["git_dirty"] is False


def test_hooks_add_environment_and_digest_fields(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeconftest(
        """
        def pytest_uok_environment(config):
            return {"database": "postgres-16"}

        def pytest_uok_digest_fields(config, nodeid, facts):
            facts["owner"] = "team-payments"
        """
    )
    pytester.makepyfile("def test_a(): assert 0")
    run = run_uok()
    assert run.get("environment.json")["extra"] == {"database": "postgres-16"}
    assert run.digest["failures"][0]["extra"] == {"owner": "team-payments"}


def test_artifacts_are_complete_json_files_only(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile("def test_a(): pass")
    run = run_uok()
    leftovers = [p.name for p in run.out.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    for name in ("summary.json", "replay_bundle.json", "failure_digest.json", "environment.json"):
        json.loads((run.out / name).read_text())
