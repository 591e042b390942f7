"""Building the artifact models from a run's records and writing them atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytest_uok.core.atomic import atomic_write_text, ensure_artifact_folder
from pytest_uok.core.digest import build_digest
from pytest_uok.core.models.common import ArtifactModelBase
from pytest_uok.core.models.digest import FailureDigest
from pytest_uok.core.models.environment import EnvironmentArtifact
from pytest_uok.core.models.replay import FailedSuite, ReplayBundle
from pytest_uok.core.models.summary import Attempt, SubtestTally, Summary, TestEntry
from pytest_uok.core.records import RunRecorder, TestRecord
from pytest_uok.core.redact import Redactor
from pytest_uok.core.runinfo import (
    ENVIRONMENT,
    EVENTS,
    FAILURE_DIGEST,
    REPLAY_BUNDLE,
    SUMMARY,
    RunEnd,
    RunInfo,
)
from pytest_uok.core.sanitize import dumps_clean
from pytest_uok.core.summary_file import summary_values, write_summary

__all__ = [
    "ENVIRONMENT",
    "EVENTS",
    "FAILURE_DIGEST",
    "REPLAY_BUNDLE",
    "SUMMARY",
    "RunEnd",
    "RunInfo",
    "Summary",
    "build_environment",
    "build_failure_digest",
    "build_replay_bundle",
    "build_summary",
    "dump",
    "write_model",
    "write_models",
    "write_summary",
]


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
    summary = Summary.model_validate(summary_values(info, recorder, end))
    if with_tests:
        summary.tests = [_entry(r) for r in recorder.records.values()]
    return summary


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
        environment=info.environment_block(),
        failed_suites=suites,
        manifest=info.brief_manifest(),
    )


def build_environment(info: RunInfo) -> EnvironmentArtifact:
    return EnvironmentArtifact(
        run_id=info.run_id,
        environment=info.environment_block(),
        shard=info.shard_context(),
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
    return dump_checked(model)[0]


def dump_checked(model: ArtifactModelBase) -> tuple[str, bool]:
    """The model's JSON text, and False when text in it had to be repaired to be written."""
    try:
        return model.model_dump_json(by_alias=True, indent=1, warnings=False) + "\n", True
    except ValueError:
        # Text from a test (output, messages, ids) may hold lone surrogates that UTF-8 cannot
        # encode; the slow path replaces them rather than losing the artifact.
        data = model.model_dump(mode="json", by_alias=True, warnings=False)
        return dumps_clean(data, indent=1) + "\n", False


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
