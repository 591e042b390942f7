"""What is known about a run when it starts and how it ended, and the names of its artifact files.

Every session reads this module before its first test, so it holds plain data only: the
artifact models (pydantic) are loaded when the artifacts are built at session end. Objects
loaded early stay for the whole session, and the garbage collector walks each of them again
on every full collection while the tests run.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_uok.core.commands import Launcher

if TYPE_CHECKING:
    from pytest_uok.core.models.common import ShardContext
    from pytest_uok.core.models.environment import EnvironmentBlock
    from pytest_uok.core.models.shard import ShardManifest

SUMMARY = "summary.json"
REPLAY_BUNDLE = "replay_bundle.json"
FAILURE_DIGEST = "failure_digest.json"
ENVIRONMENT = "environment.json"
EVENTS = "events.jsonl"
WAIVER_AUDIT = "waiver_audit.json"
HISTORY = "history.json"
#: How many runs the history keeps unless ``uok_history_runs`` says otherwise.
DEFAULT_HISTORY_RUNS = 30

#: pytest's terminal categories and the summary's count fields they are kept under.
_TERMINAL_KEYS = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "skipped": "skipped",
    "xfailed": "xfailed",
    "xpassed": "xpassed",
    "deselected": "deselected",
    "subtests passed": "subtests_passed",
    "subtests failed": "subtests_failed",
    "subtests skipped": "subtests_skipped",
}


@dataclass
class RunInfo:
    """What is known about a run when it starts.

    ``environment`` holds the fields of the environment block (``EnvironmentBlock``) as plain
    values; ``shard`` is None for a run that is not sharded.
    """

    run_id: str
    started_at: datetime
    rootdir: str
    invocation: list[str]
    launcher: Launcher
    environment: dict[str, Any]
    shard: ShardContext | None
    out_dir: Path
    variables: dict[str, str] = field(default_factory=dict)
    #: The shard's manifest, set after collection when the run is sharded.
    manifest: ShardManifest | None = None

    @property
    def git_sha(self) -> str | None:
        sha = self.environment.get("git_sha")
        return sha if isinstance(sha, str) else None

    def environment_block(self) -> EnvironmentBlock:
        from pytest_uok.core.models.environment import EnvironmentBlock

        return EnvironmentBlock.model_validate(self.environment)

    def shard_context(self) -> ShardContext:
        from pytest_uok.core.models.common import ShardContext

        return self.shard if self.shard is not None else ShardContext()

    def brief_manifest(self) -> ShardManifest | None:
        """The manifest without its node id list (digest and count), for the smaller artifacts."""
        return None if self.manifest is None else self.manifest.model_copy(update={"nodeids": None})

    def relpath(self, name: str) -> str:
        """An artifact's path as a replay command run from the invocation folder names it."""
        return os.path.relpath(self.out_dir / name, self.launcher.invocation_dir)

    def runner_command(self) -> str:
        return self.launcher.rerun_command(self.relpath(SUMMARY))


@dataclass
class RunEnd:
    """How a run ended (or that it has not yet)."""

    finished_at: datetime | None
    exit_status: int | None
    interrupted: bool
    complete: bool
    internal_errors: list[str] = field(default_factory=list)


def count_values(counts: Counter[str]) -> dict[str, Any]:
    """The summary's ``counts`` (``TerminalCounts``) from the recorder's terminal categories."""
    known: dict[str, Any] = {}
    other: dict[str, int] = {}
    for key, value in counts.items():
        if key in _TERMINAL_KEYS:
            known[_TERMINAL_KEYS[key]] = value
        elif value:
            other[key] = value
    known["other"] = other
    return known
