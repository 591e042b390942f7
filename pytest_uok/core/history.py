"""The run history: appending a run to the bounded store, and what the store says about each test.

The store (history.json in the artifact folder) keeps the last N runs. Each test has one
letter per kept run, so a run costs one letter per test whatever its size, and the window
slides by dropping the first letter. Concurrent shards append under a file lock.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import Timeout
from pydantic import ValidationError

from pytest_uok.core.atomic import atomic_write_text, lock_for
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.models.history import (
    LETTER_OUTCOMES,
    NOT_RUN,
    OUTCOME_LETTERS,
    History,
    HistoryRun,
    TestTrack,
)
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.outcomes import FAILING_OUTCOMES
from pytest_uok.core.readback import describe_validation_error, read_json_object, schema_of
from pytest_uok.core.runinfo import DEFAULT_HISTORY_RUNS
from pytest_uok.core.runinfo import HISTORY as RUN_HISTORY
from pytest_uok.core.triage import Observation, Snapshot

if TYPE_CHECKING:
    from pytest_uok.core.runview import TestFacts

#: The store's file name, and how many runs it keeps by default (see core/runinfo).
HISTORY = RUN_HISTORY
DEFAULT_RUNS = DEFAULT_HISTORY_RUNS
#: How much the newest run weighs in a test's recent average duration.
RECENT_WEIGHT = 0.3
#: Letters of runs in which a test failed at least once (a flaky test failed an attempt).
FAILED_LETTERS = frozenset("FEKQW")
#: Letters of runs in which a test passed (an expected failure is a pass).
PASSED_LETTERS = frozenset("PXY")
#: Exit statuses of runs fit to be a baseline: tests ran to the end (0 passed, 1 some failed).
BASELINE_EXITS = frozenset({0, 1})


def load_history(path: Path) -> History:
    """The store in ``path``, validated; UokInputError naming the file and the field."""
    try:
        # The fast path: pydantic parses and validates the JSON in one go (100k tests: ~0.2 s).
        history = History.model_validate_json(path.read_bytes())
        if "schema_" in history.model_fields_set:
            return history
    except (ValidationError, OSError, ValueError, RecursionError):
        pass  # read it again the slow way, which says exactly what is wrong
    data = read_json_object(path)
    schema_of(path, data, [History.SCHEMA_ID])
    try:
        return History.model_validate(data)
    except ValidationError as exc:
        raise UokInputError(describe_validation_error(path, exc, History.SCHEMA_ID)) from None


def read_history(path: Path) -> tuple[History | None, str | None]:
    """The store, or None and why it cannot be used (a corrupt store is replaced, like a cache)."""
    if not path.is_file():
        return None, None
    try:
        return load_history(path), None
    except UokInputError as exc:
        return None, exc.message


@dataclass(frozen=True)
class RunLabel:
    """What the history records about a run besides its summary: where and what it ran."""

    branch: str | None
    selection: str
    git_dirty: bool | None = None


def run_record(summary: Summary, label: RunLabel, tests: Sequence[TestFacts] | None = None) -> HistoryRun:
    """The run as the history keeps it; ``tests`` are the summary's entries (default: its ``tests``)."""
    tests = summary.tests if tests is None else tests
    suites: dict[str, float] = defaultdict(float)
    for test in tests:
        suites[test.suite or "unclassified"] += test.duration_s
    return HistoryRun(
        run_id=summary.run_id,
        started_at=summary.started_at,
        duration_s=summary.duration_s,
        branch=label.branch,
        git_sha=summary.git_sha,
        git_dirty=label.git_dirty,
        selection=label.selection,
        exit_status=summary.exit_status,
        tests=len(tests),
        failed=sum(1 for t in tests if t.outcome in FAILING_OUTCOMES),
        suites={k: round(v, 6) for k, v in sorted(suites.items())},
        collection_errors=sorted({c.nodeid for c in summary.collection_errors if c.nodeid}),
    )


def append_run(
    history: History | None, run: HistoryRun, tests: Iterable[tuple[str, str, float]], max_runs: int
) -> History:
    """``history`` with one more run of ``tests`` ((nodeid, outcome, seconds)), keeping ``max_runs``.

    One pass over the run and one over the store: a run costs one letter per test. The store's
    test table is changed in place and reused (the history read for this append is spent), so
    the two never coexist: 100k tests' tracks are tens of MiB.
    """
    store: dict[str, TestTrack] = history.tests if history is not None else {}
    width = len(history.runs) if history is not None else 0
    for nodeid, outcome, seconds in tests:
        letter = OUTCOME_LETTERS.get(outcome, "F")
        track = store.get(nodeid)
        if track is None:
            store[nodeid] = (NOT_RUN * width + letter, round(seconds, 6))
            continue
        letters, recent = track
        if len(letters) > width:
            continue  # listed twice in the run: its first entry counts
        average = seconds if recent is None else recent + (seconds - recent) * RECENT_WEIGHT
        store[nodeid] = (letters + letter, round(average, 6))
    runs = [*(history.runs if history is not None else []), run]
    drop = max(len(runs) - max_runs, 0)
    runs = runs[drop:]
    for nodeid in list(store):
        letters, recent = store[nodeid]
        missed = len(letters) == width
        if not (missed or drop):
            continue
        if missed:
            letters += NOT_RUN  # not in this run
        if drop:
            letters = letters[drop:]
            if not letters.strip(NOT_RUN):
                del store[nodeid]  # gone from every kept run
                continue
        store[nodeid] = (letters, recent)
    return History.model_construct(schema_="uok.history.v1", max_runs=max_runs, runs=runs, tests=store)


def update_store(
    path: Path,
    summary: Summary,
    label: RunLabel,
    max_runs: int,
    scrub: Callable[[str], str] | None = None,
    entries: Sequence[TestFacts] | None = None,
) -> list[str]:
    """Append the run to the store in ``path`` under its lock; returns problems, one line each.

    ``entries`` are the summary's test entries when the model does not hold them.
    """
    problems: list[str] = []
    entries = summary.tests if entries is None else entries
    run = run_record(summary, label, entries)
    tests = ((t.nodeid, t.outcome, t.duration_s) for t in entries)
    try:
        with lock_for(path, timeout=30):
            history, problem = read_history(path)
            if problem:
                problems.append(f"{problem} A new history was started.")
            updated = append_run(history, run, tests, max_runs)
            text = updated.model_dump_json(by_alias=True, warnings=False) + "\n"
            atomic_write_text(path, scrub(text) if scrub else text)
    except Timeout:
        problems.append(f"could not lock {path} within 30 s: this run was not added to the history")
    except OSError as exc:
        problems.append(f"could not update {path}: {exc.strerror or exc}")
    return problems


# -- reading the store -------------------------------------------------------------------------


def known_tests(history: History | None) -> set[str]:
    return set(history.tests) if history is not None else set()


def baseline_run(history: History | None, branch: str | None, selection: str) -> int | None:
    """The index of the last run on ``branch`` with the same selection that ran to the end."""
    if history is None:
        return None
    for index in range(len(history.runs) - 1, -1, -1):
        run = history.runs[index]
        same = run.branch == branch and run.selection == selection
        if same and run.exit_status in BASELINE_EXITS and run.tests:
            return index
    return None


def snapshot_at(history: History, index: int) -> Snapshot:
    """One recorded run as the triage diff sees it."""
    run = history.runs[index]
    tests: dict[str, Observation] = {}
    for nodeid, (letters, recent) in history.tests.items():
        letter = letters[index]
        if letter != NOT_RUN:
            # The recent average, not that run's own time: a baseline of "usual", less noisy.
            tests[nodeid] = Observation(LETTER_OUTCOMES[letter], recent)
    return Snapshot(
        run_id=run.run_id,
        tests=tests,
        collection_errors=frozenset(run.collection_errors),
        git_sha=run.git_sha,
        branch=run.branch,
        started_at=run.started_at,
    )


@dataclass(frozen=True)
class TrackRecord:
    """What the window says about one test."""

    nodeid: str
    runs: int
    failures: int
    flips: int
    #: The recent average duration (each run it ran in weighs RECENT_WEIGHT).
    mean_s: float | None
    last: str
    #: Why it is flaky ("" when it is not): failed and passed on one commit, or within a run.
    flaky: str

    @property
    def failure_rate(self) -> float:
        return self.failures / self.runs if self.runs else 0.0

    @property
    def flip_rate(self) -> float:
        return self.flips / (self.runs - 1) if self.runs > 1 else 0.0


def track_record(history: History, nodeid: str) -> TrackRecord:
    """Failure rate, flip rate and flakiness of one test over the kept runs.

    A run counts when the test passed or failed in it (skipped and absent runs do not). A flip
    is a run whose result differs from the test's previous counted run. The test is flaky when
    it failed and passed on the same commit of a clean checkout (pass on retry across runs),
    or was flaky within a run (failed, then passed on rerun).
    """
    letters, recent = history.tests[nodeid]
    results: list[bool] = []
    by_commit: dict[str, set[bool]] = defaultdict(set)
    within = 0
    for run, letter in zip(history.runs, letters, strict=True):
        if letter in FAILED_LETTERS:
            failed = True
        elif letter in PASSED_LETTERS:
            failed = False
        else:
            continue
        within += letter == "K"
        results.append(failed)
        if run.git_sha and run.git_dirty is False:
            by_commit[run.git_sha].add(failed)
    flips = sum(1 for a, b in itertools.pairwise(results) if a != b)
    mixed = sorted(sha for sha, seen in by_commit.items() if len(seen) == 2)
    reason = ""
    if mixed:
        reason = f"failed and passed on commit {mixed[0][:12]}"
    elif within:
        reason = f"failed, then passed on rerun in {within} run{'s' if within > 1 else ''}"
    ran = letters.replace(NOT_RUN, "")
    return TrackRecord(
        nodeid=nodeid,
        runs=len(results),
        failures=sum(results),
        flips=flips,
        mean_s=recent,
        last=LETTER_OUTCOMES[ran[-1]] if ran else "",
        flaky=reason,
    )


def flaky_note(history: History | None, nodeid: str) -> str:
    """What the history says about a failing test when it is flaky there ("" when not)."""
    if history is None or nodeid not in history.tests:
        return ""
    record = track_record(history, nodeid)
    if not record.flaky:
        return ""
    return f"flaky in the history: failed {record.failures} of {record.runs} runs, {record.flaky}"


def flakiest(history: History, limit: int) -> list[TrackRecord]:
    """Tests that failed at some point and passed at another, flaky ones first, then by flip rate."""
    found = [
        track_record(history, n) for n, (letters, _) in history.tests.items() if FAILED_LETTERS & set(letters)
    ]
    found = [t for t in found if t.flaky or t.flips]
    found.sort(key=lambda t: (not t.flaky, -t.flip_rate, -t.failure_rate, t.nodeid))
    return found[:limit]


def slowest(history: History, limit: int) -> list[TrackRecord]:
    """Tests by their recent average duration, slowest first."""
    timed = [(recent, n) for n, (_, recent) in history.tests.items() if recent is not None]
    timed.sort(key=lambda pair: (-pair[0], pair[1]))
    return [track_record(history, n) for _, n in timed[:limit]]


def branches(history: History) -> Counter[str]:
    return Counter(run.branch or "(unknown)" for run in history.runs)
