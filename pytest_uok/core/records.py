"""The in-memory record of a run: one slot-based record per test, fed one report at a time.

This is the per-test hot path, so it holds plain values only; pydantic models are built from
it once, when an artifact is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pytest_uok.core.outcomes import (
    FAILING_OUTCOMES,
    PROTECTED_OUTCOMES,
    combine,
    phase_outcome,
    report_category,
)

#: Attempt outcomes whose failing phase is recorded (protected failures are failures too).
RECORDED_FAILURES = FAILING_OUTCOMES | PROTECTED_OUTCOMES

#: How many failed subtest descriptions one record keeps.
MAX_SUBTEST_FAILURES = 50
#: The phases a test report can name.
PHASES = frozenset({"setup", "call", "teardown"})


class AttemptRecord:
    """One execution of a test (setup, call, teardown)."""

    __slots__ = ("duration_s", "outcome", "phase")

    def __init__(self) -> None:
        self.outcome: str | None = None
        self.phase: str | None = None
        self.duration_s = 0.0


class SubtestRecord:
    """Tallies of the subtests reported under one node id."""

    __slots__ = ("failed", "failures", "passed", "skipped", "xfailed")

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.xfailed = 0
        self.failures: list[str] = []


class TestRecord:
    """One logical test, whatever number of reports, attempts and subtests it sent."""

    __slots__ = ("attempts", "failure", "file", "nodeid", "subtests", "suite")

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid
        self.file = nodeid.split("::", 1)[0]
        self.attempts: list[AttemptRecord] = [AttemptRecord()]
        self.subtests: SubtestRecord | None = None
        self.suite: str | None = None
        #: Facts about the deciding failure, as gathered where the exception was live.
        self.failure: dict[str, Any] | None = None

    @property
    def outcome(self) -> str:
        """The test's outcome: the last attempt's, or ``flaky`` when its attempts both failed and passed.

        Reruns stop at the first pass (failed, then passed); early flake detection runs a new
        test again after it passed, so a failure may also come last (passed, then failed).
        """
        last = self.attempts[-1].outcome or "passed"
        if len(self.attempts) > 1:
            earlier = self.attempts[:-1]
            if last == "passed" and any(a.outcome in FAILING_OUTCOMES for a in earlier):
                return "flaky"
            if last in FAILING_OUTCOMES and any(a.outcome == "passed" for a in earlier):
                return "flaky"
        return last

    @property
    def phase(self) -> str | None:
        return self.attempts[-1].phase

    @property
    def duration_s(self) -> float:
        return sum(a.duration_s for a in self.attempts)


@dataclass
class CollectionFailure:
    """A node that failed to collect."""

    nodeid: str
    message: str
    facts: dict[str, Any] = field(default_factory=dict)


class RunRecorder:
    """Accumulates a session's reports into records and pytest-compatible counts."""

    def __init__(self, count_passed_subtests: bool = False) -> None:
        self.records: dict[str, TestRecord] = {}
        self.counts: Counter[str] = Counter()
        self.collection_failures: list[CollectionFailure] = []
        self.count_passed_subtests = count_passed_subtests
        self._failed_subtests: Counter[str] = Counter()

    def record(self, nodeid: str) -> TestRecord:
        rec = self.records.get(nodeid)
        if rec is None:
            rec = self.records[nodeid] = TestRecord(nodeid)
        return rec

    def add_test_report(
        self,
        nodeid: str,
        when: str,
        outcome: str,
        duration: float,
        wasxfail: bool = False,
        subtest: str | None = None,
        counted: bool = True,
        attempt: int = 1,
        category: str | None = None,
    ) -> TestRecord:
        """Fold one phase report into its test's record.

        ``subtest`` is the description of a subtest report (None for the test's own reports);
        ``attempt`` is 1-based and grows when the test is run again; ``category`` overrides the
        terminal category when another hook decided it.
        """
        rec = self.record(nodeid)
        if subtest is not None:
            self._add_subtest(rec, nodeid, outcome, wasxfail, subtest)
        else:
            while len(rec.attempts) < attempt:
                rec.attempts.append(AttemptRecord())
            att = rec.attempts[attempt - 1]
            att.duration_s += duration
            new = phase_outcome(when, outcome, wasxfail)
            if when == "call" and new == "passed" and self._failed_subtests[nodeid]:
                new = "failed"
            before = att.outcome
            att.outcome = combine(before, when, new)
            if att.outcome in RECORDED_FAILURES and before not in RECORDED_FAILURES:
                # xdist reports a crashed worker's test with when="???": no phase to name.
                att.phase = when if when in PHASES else None
        if counted:
            if category is None:
                category = report_category(
                    when,
                    outcome,
                    wasxfail,
                    subtest is not None,
                    self._failed_subtests[nodeid],
                    self.count_passed_subtests,
                )
            if category:
                self.counts[category] += 1
        return rec

    def _add_subtest(
        self, rec: TestRecord, nodeid: str, outcome: str, wasxfail: bool, description: str
    ) -> None:
        sub = rec.subtests
        if sub is None:
            sub = rec.subtests = SubtestRecord()
        if wasxfail:
            sub.xfailed += 1
        elif outcome == "failed":
            sub.failed += 1
            self._failed_subtests[nodeid] += 1
            if len(sub.failures) < MAX_SUBTEST_FAILURES:
                sub.failures.append(description)
        elif outcome == "passed":
            sub.passed += 1
        else:
            sub.skipped += 1

    def add_collect_report(self, nodeid: str, outcome: str, message: str) -> None:
        """A collection report: failures become collection errors, skips count as skipped."""
        if outcome == "failed":
            self.counts["error"] += 1
            self.collection_failures.append(CollectionFailure(nodeid, message))
        elif outcome == "skipped":
            self.counts["skipped"] += 1

    def deselected(self, count: int) -> None:
        self.counts["deselected"] += count

    def failed_records(self) -> list[TestRecord]:
        return [r for r in self.records.values() if r.outcome in FAILING_OUTCOMES]

    def recorded_failures(self) -> list[TestRecord]:
        """Failed tests and those whose failure a quarantine or waiver protected."""
        return [r for r in self.records.values() if r.outcome in RECORDED_FAILURES]
