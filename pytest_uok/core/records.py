"""The in-memory record of a run: one slot-based record per test, fed one report at a time.

This is the per-test hot path, so it holds plain values only; pydantic models are built from
it once, when an artifact is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import ItemsView, Iterator, MutableMapping
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
#: Phases whose passing report pytest's closing line does not count.
_UNCOUNTED_PASSES = frozenset({"setup", "teardown", "collect"})


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


class RecordMap(MutableMapping[str, TestRecord]):
    """Every test's record by node id, in the order the tests first reported.

    A test whose reports so far are all passing phases of its first attempt is kept as just
    its seconds; its record is made when it is asked for (and kept from then on, so changes to
    it stay). ``RunRecorder.tests`` walks the tests without making those records.
    """

    def __init__(self, recorder: RunRecorder) -> None:
        self._recorder = recorder
        self._tests = recorder._tests

    def __getitem__(self, nodeid: str) -> TestRecord:
        value = self._tests[nodeid]
        if isinstance(value, TestRecord):
            return value
        return self._recorder._promote(nodeid, value)

    def __setitem__(self, nodeid: str, rec: TestRecord) -> None:
        self._tests[nodeid] = rec

    def __delitem__(self, nodeid: str) -> None:
        del self._tests[nodeid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tests)

    def __len__(self) -> int:
        return len(self._tests)

    def __contains__(self, nodeid: object) -> bool:
        return nodeid in self._tests


class RunRecorder:
    """Accumulates a session's reports into records and pytest-compatible counts."""

    def __init__(self, count_passed_subtests: bool = False) -> None:
        #: Per test, its record; or, while every report of the test was a passing phase of its
        #: first attempt (the usual case), only its seconds: no object per test for the
        #: garbage collector to walk through for the whole session.
        self._tests: dict[str, TestRecord | float] = {}
        self.records = RecordMap(self)
        self.counts: Counter[str] = Counter()
        self.collection_failures: list[CollectionFailure] = []
        self.count_passed_subtests = count_passed_subtests
        self._failed_subtests: Counter[str] = Counter()
        #: The suite of each test known before it reports (its record is made with it).
        self.suite_of: dict[str, str] = {}

    def tests(self) -> ItemsView[str, TestRecord | float]:
        """Every test: its record, or the seconds of a test that passed its only attempt."""
        return self._tests.items()

    def suite(self, nodeid: str, value: TestRecord | float) -> str | None:
        """The suite of a test as ``tests`` gives it."""
        if isinstance(value, TestRecord):
            return value.suite
        return self.suite_of.get(nodeid)

    def set_suite(self, nodeid: str, suite: str | None) -> None:
        """Set a test's suite once it is known (xdist: from the report that brought it)."""
        value = self._tests.get(nodeid)
        if isinstance(value, TestRecord):
            value.suite = suite
        elif suite is None:
            self.suite_of.pop(nodeid, None)
        else:
            self.suite_of[nodeid] = suite

    def _promote(self, nodeid: str, seconds: float) -> TestRecord:
        rec = TestRecord(nodeid)
        rec.suite = self.suite_of.get(nodeid)
        att = rec.attempts[0]
        att.outcome = "passed"
        att.duration_s = seconds
        self._tests[nodeid] = rec
        return rec

    def record(self, nodeid: str) -> TestRecord:
        value = self._tests.get(nodeid)
        if value is None:
            rec = self._tests[nodeid] = TestRecord(nodeid)
            rec.suite = self.suite_of.get(nodeid)
            return rec
        if isinstance(value, TestRecord):
            return value
        return self._promote(nodeid, value)

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
    ) -> TestRecord | None:
        """Fold one phase report into its test's record; returns the record (None: see below).

        ``subtest`` is the description of a subtest report (None for the test's own reports);
        ``attempt`` is 1-based and grows when the test is run again; ``category`` overrides the
        terminal category when another hook decided it. A passing phase of the first attempt
        of a test that has no record yet only adds its seconds, and returns None.
        """
        value = self._tests.get(nodeid)
        if (
            outcome == "passed"
            and (value is None or value.__class__ is float)
            and subtest is None
            and attempt == 1
            and not wasxfail
            and category is None
        ):
            # The usual report, three times per test. Its record would say: one attempt,
            # passed, these seconds; that is all the float says (see RecordMap).
            self._tests[nodeid] = duration if value is None else value + duration
            if counted and when not in _UNCOUNTED_PASSES:
                self.counts["passed"] += 1
            return None
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
        # A test kept as seconds passed: only records can have failed.
        return [
            r for r in self._tests.values() if isinstance(r, TestRecord) and r.outcome in FAILING_OUTCOMES
        ]

    def recorded_failures(self) -> list[TestRecord]:
        """Failed tests and those whose failure a quarantine or waiver protected."""
        return [
            r for r in self._tests.values() if isinstance(r, TestRecord) and r.outcome in RECORDED_FAILURES
        ]
