"""Building the artifact models from a run's records and writing them atomically."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pytest_uok.core.atomic import atomic_write_text, ensure_artifact_folder
from pytest_uok.core.commands import Launcher
from pytest_uok.core.digest import build_digest
from pytest_uok.core.models.common import ArtifactModelBase, ShardContext
from pytest_uok.core.models.digest import FailureDigest
from pytest_uok.core.models.environment import EnvironmentArtifact, EnvironmentBlock
from pytest_uok.core.models.replay import FailedSuite, ReplayBundle
from pytest_uok.core.models.shard import ShardManifest
from pytest_uok.core.models.summary import (
    Attempt,
    CollectionError,
    ReplayPointer,
    SubtestTally,
    Summary,
    TerminalCounts,
    TestEntry,
)
from pytest_uok.core.outcomes import ALL_OUTCOMES, FAILING_OUTCOMES
from pytest_uok.core.records import RunRecorder, TestRecord
from pytest_uok.core.redact import Redactor
from pytest_uok.core.sanitize import dumps_clean
from pytest_uok.core.summary_file import summary_chunks, write_summary_text

SUMMARY = "summary.json"
REPLAY_BUNDLE = "replay_bundle.json"
FAILURE_DIGEST = "failure_digest.json"
ENVIRONMENT = "environment.json"
EVENTS = "events.jsonl"

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
    """What is known about a run when it starts."""

    run_id: str
    started_at: datetime
    rootdir: str
    invocation: list[str]
    launcher: Launcher
    environment: EnvironmentBlock
    shard: ShardContext
    out_dir: Path
    variables: dict[str, str] = field(default_factory=dict)
    #: The shard's manifest, set after collection when the run is sharded.
    manifest: ShardManifest | None = None

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


def terminal_counts(counts: Counter[str]) -> TerminalCounts:
    known: dict[str, int] = {}
    other: dict[str, int] = {}
    for key, value in counts.items():
        if key in _TERMINAL_KEYS:
            known[_TERMINAL_KEYS[key]] = value
        elif value:
            other[key] = value
    return TerminalCounts(other=other, **known)


def _entry(rec: TestRecord) -> TestEntry:
    # model_construct: the values come from our own records, validated by the types above;
    # validating 100k entries again here would dominate the cost of writing.
    sub = rec.subtests
    return TestEntry.model_construct(
        nodeid=rec.nodeid,
        file=rec.file,
        outcome=rec.outcome,
        duration_s=round(rec.duration_s, 6),
        suite=rec.suite,
        phase=rec.phase,
        attempts=[
            Attempt.model_construct(
                outcome=a.outcome or "passed", duration_s=round(a.duration_s, 6), phase=a.phase
            )
            for a in rec.attempts
        ],
        subtests=None
        if sub is None
        else SubtestTally.model_construct(
            passed=sub.passed,
            failed=sub.failed,
            skipped=sub.skipped,
            xfailed=sub.xfailed,
            failures=list(sub.failures),
        ),
    )


def build_summary(info: RunInfo, recorder: RunRecorder, end: RunEnd, with_tests: bool = True) -> Summary:
    """The run's summary; without ``with_tests`` its ``tests`` list stays empty.

    A session writes the entries straight from the records (``write_summary``), and builds a
    ``TestEntry`` per test only when a ``pytest_uok_summary`` hook of someone else may read them.
    """
    outcomes: Counter[str] = Counter()
    failed: list[str] = []
    for nodeid, value in recorder.tests():
        outcome = value.outcome if isinstance(value, TestRecord) else "passed"
        outcomes[outcome] += 1
        if outcome in FAILING_OUTCOMES:
            failed.append(nodeid)
    finished = end.finished_at
    duration = (finished - info.started_at).total_seconds() if finished else 0.0
    has_failures = bool(failed or recorder.collection_failures)
    return Summary.model_construct(
        schema_="uok.summary.v1",
        run_id=info.run_id,
        started_at=info.started_at,
        finished_at=finished,
        duration_s=max(duration, 0.0),
        exit_status=end.exit_status,
        interrupted=end.interrupted,
        complete=end.complete,
        internal_errors=list(end.internal_errors),
        rootdir=info.rootdir,
        invocation=list(info.invocation),
        git_sha=info.environment.git_sha,
        counts=terminal_counts(recorder.counts),
        outcomes={k: outcomes[k] for k in ALL_OUTCOMES if outcomes.get(k)},
        suites={},
        passed_suites=0,
        total_suites=0,
        failed_names=failed,
        collection_errors=[
            CollectionError.model_construct(nodeid=c.nodeid, message=c.message[:2000])
            for c in recorder.collection_failures
        ],
        shard=info.shard,
        manifest=info.manifest,
        shards=[],
        replay_bundle=ReplayPointer.model_construct(
            one_command_replay=info.runner_command() if has_failures else None
        ),
        tests=[_entry(r) for r in recorder.records.values()] if with_tests else [],
    )


def build_replay_bundle(info: RunInfo, recorder: RunRecorder) -> ReplayBundle:
    failed = recorder.failed_records()
    by_file: dict[str, list[TestRecord]] = {}
    for rec in failed:
        by_file.setdefault(rec.file, []).append(rec)
    for coll in recorder.collection_failures:
        by_file.setdefault(coll.nodeid.split("::", 1)[0], [])
    launcher = info.launcher
    digest_path = info.relpath(FAILURE_DIGEST)
    suites = [
        FailedSuite(
            suite=next((r.suite for r in recs if r.suite), None) or "unclassified",
            file=file,
            suite_replay=launcher.test_command([file] if file else []),
            targeted_replay=[launcher.test_command([r.nodeid]) for r in recs],
            digest_path=digest_path,
        )
        for file, recs in sorted(by_file.items())
    ]
    has_failures = bool(failed or recorder.collection_failures)
    return ReplayBundle(
        run_id=info.run_id,
        one_command_replay=info.runner_command() if has_failures else None,
        failed_names=[r.nodeid for r in failed]
        + [c.nodeid for c in recorder.collection_failures if c.nodeid],
        environment=info.environment,
        failed_suites=suites,
        manifest=info.brief_manifest(),
    )


def build_environment(info: RunInfo) -> EnvironmentArtifact:
    return EnvironmentArtifact(
        run_id=info.run_id,
        environment=info.environment,
        shard=info.shard,
        variables=info.variables,
        manifest=info.brief_manifest(),
    )


def build_failure_digest(info: RunInfo, recorder: RunRecorder, redactor: Redactor) -> FailureDigest:
    return build_digest(
        info.run_id,
        recorder.recorded_failures(),
        recorder.collection_failures,
        info.launcher,
        info.runner_command(),
        redactor,
    )


def dump(model: ArtifactModelBase) -> str:
    return _dump(model)[0]


def _dump(model: ArtifactModelBase) -> tuple[str, bool]:
    """The model's JSON text, and False when text in it had to be repaired to be written."""
    try:
        return model.model_dump_json(by_alias=True, indent=1, warnings=False) + "\n", True
    except ValueError:
        # Text from a test (output, messages, ids) may hold lone surrogates that UTF-8 cannot
        # encode; the slow path replaces them rather than losing the artifact.
        data = model.model_dump(mode="json", by_alias=True, warnings=False)
        return dumps_clean(data, indent=1) + "\n", False


def write_summary(
    folder: Path,
    summary: Summary,
    recorder: RunRecorder | None,
    scrub: Callable[[str], str] | None = None,
) -> tuple[str | None, bool]:
    """Write summary.json, its entries from ``recorder`` when given (``summary`` then has none).

    Returns an error line (None when written) and whether the file holds exactly what
    ``summary`` and ``recorder`` say: False when the last redaction pass or the repair of
    unencodable text changed it, or when the entries came from the model.
    """
    if recorder is None:
        return write_model(folder, SUMMARY, summary, scrub), False
    path = folder / SUMMARY
    try:
        header, exact = _dump(summary)
        exact = write_summary_text(path, summary_chunks(header, recorder), scrub) and exact
    except OSError as exc:
        return f"could not write {path}: {exc.strerror or exc}", False
    return None, exact


def write_model(
    folder: Path, name: str, model: ArtifactModelBase, scrub: Callable[[str], str] | None = None
) -> str | None:
    """Write one artifact atomically; returns an error line instead of raising on OSError.

    ``scrub`` is a last pass over the serialized text (the redactor's secret values).
    """
    try:
        text = dump(model)
        atomic_write_text(folder / name, scrub(text) if scrub else text)
    except OSError as exc:
        return f"could not write {folder / name}: {exc.strerror or exc}"
    return None


def write_models(
    folder: Path, models: dict[str, ArtifactModelBase], scrub: Callable[[str], str] | None = None
) -> list[str]:
    """Write several artifacts into ``folder``; returns the errors, one line each."""
    try:
        ensure_artifact_folder(folder)
    except OSError as exc:
        return [f"could not create the artifact folder {folder}: {exc.strerror or exc}"]
    errors = [write_model(folder, name, model, scrub) for name, model in models.items()]
    return [e for e in errors if e]
