"""Facts about the machine and checkout a run happened on, gathered once per session."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from pytest_uok.core.redact import redact_environment

#: Environment variables copied into environment.json (secret-named ones are redacted anyway).
ALLOWED_VARIABLES = [
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_REF",
    "GITHUB_SHA",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_WORKFLOW",
    "GITHUB_JOB",
    "GITLAB_CI",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_JOB_ID",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "CIRCLECI",
    "CIRCLE_SHA1",
    "CIRCLE_BRANCH",
    "CIRCLE_NODE_INDEX",
    "CIRCLE_NODE_TOTAL",
    "BUILDKITE",
    "BUILDKITE_COMMIT",
    "BUILDKITE_BRANCH",
    "BUILDKITE_PARALLEL_JOB",
    "BUILDKITE_PARALLEL_JOB_COUNT",
    "TEST_SHARD_INDEX",
    "TEST_TOTAL_SHARDS",
    "UOK_SHARD",
    "UOK_GATE_MODE",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_AUTO_NUM_WORKERS",
    "PYTHONHASHSEED",
    "TZ",
    "LANG",
]


@dataclass(frozen=True)
class GitState:
    sha: str | None
    dirty: bool | None
    branch: str | None


def _git(rootdir: str, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=rootdir,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip()


def git_state(rootdir: str) -> GitState:
    """The commit, dirtiness and branch of the checkout holding ``rootdir``; None outside git."""
    sha = _git(rootdir, "rev-parse", "HEAD")
    if not sha:
        return GitState(None, None, None)
    status = _git(rootdir, "status", "--porcelain", "--untracked-files=no")
    branch = _git(rootdir, "rev-parse", "--abbrev-ref", "HEAD")
    return GitState(sha, bool(status) if status is not None else None, branch)


#: CI variables naming the branch being built, for checkouts where git itself says HEAD.
BRANCH_VARIABLES = (
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "CI_COMMIT_REF_NAME",
    "CIRCLE_BRANCH",
    "BUILDKITE_BRANCH",
)


def branch_name(git_branch: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The branch of the run: git's, or the CI system's when the checkout is detached."""
    if git_branch and git_branch != "HEAD":
        return git_branch
    env = os.environ if environ is None else environ
    for name in BRANCH_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def python_version() -> str:
    return platform.python_version()


def platform_string() -> str:
    return f"{platform.system()}-{platform.release()}-{platform.machine()}"


def interpreter() -> str:
    return sys.executable


def allowed_variables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return redact_environment(env, ALLOWED_VARIABLES)
