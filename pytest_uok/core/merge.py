"""Merging shards' artifacts into one run's, after checking that the shards form a partition."""

from __future__ import annotations

import json
import os
import shlex
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pytest_uok.core.artifacts import dump
from pytest_uok.core.atomic import atomic_write_text, ensure_artifact_folder
from pytest_uok.core.durations import load_durations, merge_entries, render
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.events import EVENT_SCHEMA, read_events
from pytest_uok.core.models.common import ShardContext
from pytest_uok.core.models.digest import FailureDigest, FailureEntry
from pytest_uok.core.models.replay import FailedSuite, ReplayBundle
from pytest_uok.core.models.shard import DurationEntry, ShardManifest
from pytest_uok.core.models.summary import (
    Classification,
    ReplayPointer,
    SuiteCounts,
    Summary,
    TerminalCounts,
)
from pytest_uok.core.readback import load_artifact
from pytest_uok.core.sharding import digest_ids
from pytest_uok.core.wording import listing

_SUMMED_COUNTS = [f for f in TerminalCounts.model_fields if f not in ("deselected", "other")]


@dataclass
class ShardInput:
    """One shard's artifacts, read back and validated."""

    folder: Path
    summary: Summary
    replay: ReplayBundle | None
    digest: FailureDigest | None
    durations: dict[str, DurationEntry]
    events: list[dict[str, object]]

    @property
    def manifest(self) -> ShardManifest:
        assert self.summary.manifest is not None
        return self.summary.manifest

    @property
    def name(self) -> str:
        m = self.manifest
        return f"shard {m.index}/{m.total} ({self.folder})"


@dataclass
class Merged:
    """The merged artifacts and what the partition check found."""

    summary: Summary
    replay: ReplayBundle
    digest: FailureDigest
    durations: dict[str, DurationEntry]
    events: list[dict[str, object]]
    problems: list[str] = field(default_factory=list)


def find_summaries(paths: list[Path]) -> list[tuple[Path, bool]]:
    """summary.json files named directly (True), or found in or below the folders named (False)."""
    found: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_file():
            found.append((path.resolve(), True))
        elif path.is_dir():
            below = sorted(p.resolve() for p in path.rglob("summary.json"))
            if not below:
                raise UokInputError(f"{path} is a folder without any summary.json in it or below it.")
            found.extend((p, False) for p in below)
        else:
            raise UokInputError(f"{path} does not exist.")
    unique: dict[Path, bool] = {}
    for p, explicit in found:
        unique[p] = unique.get(p, False) or explicit
    return list(unique.items())


def load_shard(summary_path: Path, required: bool = True) -> ShardInput | None:
    """A shard's artifacts from the folder of its summary.json; UokInputError if it is not a shard's.

    Without ``required`` a valid summary of an unsharded run (e.g. one found next to the shard
    folders) is no error: None says it is not a shard.
    """
    summary = load_artifact(summary_path, Summary)
    if summary.manifest is None:
        if not required:
            return None
        raise UokInputError(
            f"{summary_path} has no field 'manifest': it is not the summary of a sharded run "
            "(run the shards with --uok-shard I/N)."
        )
    folder = summary_path.parent

    def optional(name: str, model: type[ReplayBundle] | type[FailureDigest]) -> object | None:
        path = folder / name
        return load_artifact(path, model) if path.is_file() else None

    replay = optional("replay_bundle.json", ReplayBundle)
    digest = optional("failure_digest.json", FailureDigest)
    durations = load_durations(folder / "durations.json")
    if durations.problem:
        raise UokInputError(durations.problem)
    return ShardInput(
        folder=folder,
        summary=summary,
        replay=replay if isinstance(replay, ReplayBundle) else None,
        digest=digest if isinstance(digest, FailureDigest) else None,
        durations=durations.entries,
        events=read_events(folder / "events.jsonl"),
    )


def check_commits(shards: list[ShardInput]) -> None:
    shas = sorted({s.summary.git_sha for s in shards if s.summary.git_sha})
    if len(shas) > 1:
        raise UokInputError(
            f"the shards ran on different commits ({', '.join(sha[:12] for sha in shas)}): their results "
            "do not describe one run. Merge shards of one commit, or pass --allow-mixed-commits."
        )


def check_partition(shards: list[ShardInput]) -> list[str]:
    """Every problem that keeps the shards from being one complete run, one line each."""
    problems: list[str] = []
    totals = sorted({s.manifest.total for s in shards})
    kinds = sorted({s.manifest.kind for s in shards})
    if len(totals) > 1:
        problems.append(f"the shards were split into different numbers of shards: {totals}")
    if len(kinds) > 1:
        problems.append(f"the shards were grouped differently (--uok-shard-by): {', '.join(kinds)}")
    total = max(totals)
    by_index: dict[int, list[ShardInput]] = {}
    for s in shards:
        by_index.setdefault(s.manifest.index, []).append(s)
    for index, group in sorted(by_index.items()):
        if len(group) > 1:
            problems.append(
                f"shard {index}/{total} given {len(group)} times: {', '.join(str(s.folder) for s in group)}"
            )
    missing = [i for i in range(total) if i not in by_index]
    if missing:
        problems.append(f"missing shards: {', '.join(f'{i}/{total}' for i in missing)}")
    universes = {(s.manifest.universe_count, s.manifest.universe_digest) for s in shards}
    universes.discard((None, None))
    if len(universes) > 1:
        problems.append(
            "the shards did not select the same tests before splitting (different files, -k/-m "
            "filters or collection): their partitions do not fit together"
        )
    owner: dict[str, str] = {}
    twice: list[str] = []
    for s in shards:
        ids = s.manifest.nodeids
        if ids is None:
            problems.append(f"{s.name}: its manifest lists no node ids")
            continue
        for nodeid in ids:
            if nodeid in owner:
                twice.append(nodeid)
            owner[nodeid] = s.name
        ran = {t.nodeid for t in s.summary.tests}
        not_run = sorted(set(ids) - ran)
        if not_run:
            problems.append(f"{s.name}: {len(not_run)} assigned tests did not run: {listing(not_run)}")
        extra = sorted(ran - set(ids))
        if extra:
            problems.append(f"{s.name}: ran {len(extra)} tests outside its manifest: {listing(extra)}")
        if not s.summary.complete:
            problems.append(f"{s.name}: its run did not complete (interrupted or crashed)")
    if twice:
        problems.append(f"{len(twice)} tests were assigned to more than one shard: {listing(sorted(twice))}")
    if len(universes) == 1 and not twice:
        count, digest = next(iter(universes))
        if count != len(owner) or digest != digest_ids(sorted(owner)):
            problems.append(
                f"the shards ran {len(owner)} distinct tests, but {count} were selected before splitting: "
                "tests are missing"
            )
    return problems


def _exit_status(statuses: list[int | None]) -> int | None:
    known = [s for s in statuses if s is not None]
    if len(known) < len(statuses):
        return None
    for code in (2, 3, 4, 1):  # interrupted, internal error, usage error, failures: the worst wins
        if code in known:
            return code
    other = [s for s in known if s not in (0, 5)]  # e.g. a gate's own exit code
    if other:
        return max(other)
    if known and all(s == 5 for s in known):
        return 5  # no shard ran anything
    return 0  # an empty shard next to shards that ran is not a failure


def _counts(shards: list[ShardInput]) -> TerminalCounts:
    sums = {name: sum(getattr(s.summary.counts, name) for s in shards) for name in _SUMMED_COUNTS}
    other: Counter[str] = Counter()
    for s in shards:
        other.update(s.summary.counts.other)
    # every shard deselects the same -k/-m tests, plus the other shards' tests: count the former once
    own = [max(s.summary.counts.deselected - s.manifest.shard_deselected, 0) for s in shards]
    return TerminalCounts(deselected=max(own, default=0), other=dict(other), **sums)


def _suites(shards: list[ShardInput]) -> dict[str, SuiteCounts]:
    merged: dict[str, SuiteCounts] = {}
    for s in shards:
        for name, suite in s.summary.suites.items():
            have = merged.setdefault(name, SuiteCounts())
            have.total += suite.total
            have.outcomes = dict(Counter(have.outcomes) + Counter(suite.outcomes))
            have.passed = have.passed and suite.passed
    return merged


def _classification(shards: list[ShardInput]) -> Classification | None:
    """The policy findings of all shards: each shard saw the files it collected."""
    found = [s.summary.classification for s in shards if s.summary.classification is not None]
    if not found:
        return None

    def union(name: str) -> list[str]:
        return sorted({item for c in found for item in getattr(c, name)})

    return Classification(
        policy_path=found[0].policy_path,
        error=next((c.error for c in found if c.error), None),
        unclassified=union("unclassified"),
        stale=union("stale"),
        duplicates=union("duplicates"),
        unsorted=union("unsorted"),
    )


def _replay_command(shards: list[ShardInput], summary_path: str) -> str:
    """The first shard's replay command, pointed at the merged summary."""
    for s in shards:
        command = s.summary.replay_bundle.one_command_replay
        if command:
            parts = shlex.split(command)
            if "--uok-rerun-from" in parts:
                parts[parts.index("--uok-rerun-from") + 1] = summary_path
                return shlex.join(parts)
    return shlex.join(["pytest", "--uok-rerun-from", summary_path])


def merge(shards: list[ShardInput], out_dir: Path, cwd: Path) -> Merged:
    """One run's artifacts made of ``shards`` (sorted by index), with the partition problems."""
    shards = sorted(shards, key=lambda s: (s.manifest.index, str(s.folder)))
    problems = check_partition(shards)
    run_id = datetime.now(timezone.utc).strftime("merged-%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
    first = shards[0].summary
    tests = [t for s in shards for t in s.summary.tests]
    failed = list(dict.fromkeys(n for s in shards for n in s.summary.failed_names))
    coll = {c.nodeid: c for s in shards for c in s.summary.collection_errors}
    started = min(s.summary.started_at for s in shards)
    ends = [s.summary.finished_at for s in shards]
    finished = max(ends) if all(e is not None for e in ends) else None  # type: ignore[type-var]
    summary_rel = os.path.relpath(out_dir / "summary.json", cwd)
    has_failures = bool(failed or coll)
    command = _replay_command(shards, summary_rel) if has_failures else None
    suites = _suites(shards)
    outcomes: Counter[str] = Counter()
    for s in shards:
        outcomes.update(s.summary.outcomes)
    kind = shards[0].manifest.kind
    summary = Summary(
        run_id=run_id,
        started_at=started,
        finished_at=finished,
        duration_s=max((finished - started).total_seconds(), 0.0) if finished else 0.0,
        exit_status=_exit_status([s.summary.exit_status for s in shards]),
        interrupted=any(s.summary.interrupted for s in shards),
        complete=all(s.summary.complete for s in shards) and not problems,
        internal_errors=[e for s in shards for e in s.summary.internal_errors] + problems,
        rootdir=first.rootdir,
        invocation=list(first.invocation),
        git_sha=first.git_sha,
        counts=_counts(shards),
        outcomes=dict(outcomes),
        suites=suites,
        passed_suites=sum(1 for v in suites.values() if v.passed),
        total_suites=len(suites),
        failed_names=failed,
        collection_errors=list(coll.values()),
        shard=ShardContext(kind="none", source=f"merge of {len(shards)} shards (by {kind})"),
        shards=[s.manifest for s in shards],
        replay_bundle=ReplayPointer(one_command_replay=command),
        tests=tests,
        classification=_classification(shards),
        flaky=[f for s in shards for f in s.summary.flaky],
        ready_to_release=sorted({n for s in shards for n in s.summary.ready_to_release}),
    )
    return Merged(
        summary=summary,
        replay=_merge_replay(shards, run_id, command, os.path.relpath(out_dir / "failure_digest.json", cwd)),
        digest=_merge_digest(shards, run_id),
        durations=merge_entries(s.durations for s in shards),
        events=_merge_events(shards, run_id, problems),
        problems=problems,
    )


def _merge_replay(
    shards: list[ShardInput], run_id: str, command: str | None, digest_path: str
) -> ReplayBundle:
    bundles = [s.replay for s in shards if s.replay is not None]
    by_file: dict[str, FailedSuite] = {}
    for b in bundles:
        for fs in b.failed_suites:
            have = by_file.get(fs.file)
            if have is None:
                by_file[fs.file] = fs.model_copy(update={"digest_path": digest_path})
            else:
                have.targeted_replay = list(dict.fromkeys(have.targeted_replay + fs.targeted_replay))
    if not bundles:
        raise UokInputError(f"{shards[0].folder} has no replay_bundle.json: every shard's folder needs one.")
    environment = bundles[0].environment.model_copy(
        update={"shard_kind": "none", "shard_index": 0, "shard_total": 1}
    )
    return ReplayBundle(
        run_id=run_id,
        one_command_replay=command,
        failed_names=list(dict.fromkeys(n for b in bundles for n in b.failed_names)),
        environment=environment,
        failed_suites=[by_file[f] for f in sorted(by_file)],
    )


def _merge_digest(shards: list[ShardInput], run_id: str) -> FailureDigest:
    seen: set[str] = set()
    failures: list[FailureEntry] = []
    for s in shards:
        for entry in s.digest.failures if s.digest else []:
            if entry.nodeid in seen:  # a collection error every shard met
                continue
            seen.add(entry.nodeid)
            failures.append(entry)
    return FailureDigest(run_id=run_id, failures=failures)


def _merge_events(shards: list[ShardInput], run_id: str, problems: list[str]) -> list[dict[str, object]]:
    events = [e for s in shards for e in s.events]
    events.sort(key=lambda e: (str(e.get("ts", "")), str(e.get("run_id", "")), int(str(e.get("seq", 0)))))
    events.append(
        {
            "schema": EVENT_SCHEMA,
            "seq": 0,
            "run_id": run_id,
            "ts": datetime.now(timezone.utc).isoformat(),
            "pid": os.getpid(),
            "kind": "merge",
            "data": {
                "shards": [s.summary.run_id for s in shards],
                "folders": [str(s.folder) for s in shards],
                "problems": problems,
            },
        }
    )
    return events


def write_merged(merged: Merged, out_dir: Path) -> list[Path]:
    """Write the merged artifacts atomically into ``out_dir``; returns the files written."""
    ensure_artifact_folder(out_dir)
    now = datetime.now(timezone.utc)
    files = {
        "summary.json": dump(merged.summary),
        "replay_bundle.json": dump(merged.replay),
        "failure_digest.json": dump(merged.digest),
        "durations.json": render(merged.durations, flat=False, now=now),
        "events.jsonl": "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in merged.events),
    }
    written = []
    for name, text in files.items():
        atomic_write_text(out_dir / name, text)
        written.append(out_dir / name)
    return written
