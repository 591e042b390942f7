"""Built-in gates over the tests' results: collection, test_results, flaky, pass_rate, duration_budget."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import FAIL, PASS, SKIP, WARN, BlockerFact, GateResult
from pytest_uok.core.runview import TestFacts
from pytest_uok.core.wording import LISTED, listing, plural

#: Outcomes that count as a test that ran, and those of them that count as passing.
EXECUTED = frozenset({"passed", "failed", "error", "xpassed", "xfailed", "flaky"})
GOOD = frozenset({"passed", "xfailed", "flaky"})
UNCLASSIFIED = "(unclassified)"


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def collection(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """No file or node failed to collect."""
    errors = facts.summary.collection_errors
    if not errors:
        return GateResult(PASS, "every file collected")
    names = [e.nodeid or "(session)" for e in errors]
    files = sorted({n.split("::", 1)[0] for n in names if n != "(session)"})
    return GateResult(
        FAIL,
        f"{plural(len(errors), 'collection error')}: {listing(names)}",
        evidence=[facts.shown("summary.json"), facts.shown("failure_digest.json")],
        reproduce_command=facts.pytest_command("--collect-only", "-q", *files),
        blockers=[
            BlockerFact(
                "collection_error",
                e.message.strip().splitlines()[-1][:200] if e.message.strip() else "collection failed",
                e.nodeid or None,
            )
            for e in errors
        ],
    )


def test_results(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """No test failed or errored, except those quarantined or waived."""
    summary = facts.summary
    tests = facts.tests
    failed = [t.nodeid for t in tests if t.outcome in ("failed", "error")]
    excused = {k: summary.outcomes.get(k, 0) for k in ("quarantined", "waived") if summary.outcomes.get(k)}
    excuse = f" ({', '.join(f'{n} {k}' for k, n in excused.items())})" if excused else ""
    if not failed:
        return GateResult(PASS, f"{plural(len(tests), 'test')}, none failed{excuse}")
    return GateResult(
        FAIL,
        f"{plural(len(failed), 'test')} failed{excuse}: {listing(failed)}",
        evidence=[facts.shown("failure_digest.json"), facts.shown("replay_bundle.json")],
        reproduce_command=summary.replay_bundle.one_command_replay,
        blockers=[BlockerFact("failed_test", "failed", n) for n in failed],
    )


class FlakyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    action: Literal["warn", "fail"] = Field(
        default="warn", description="what a flaky test not quarantined does"
    )


def _is_flaky(test: TestFacts) -> bool:
    if test.outcome == "flaky":
        return True
    outcomes = [a.outcome or "passed" for a in test.attempts]  # as summary.json writes them
    return len(outcomes) > 1 and outcomes[-1] == "passed" and any(o in ("failed", "error") for o in outcomes)


def flaky(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """Tests that failed and then passed on rerun are quarantined (or fixed)."""
    found = [t.nodeid for t in facts.tests if _is_flaky(t)]
    loose = [n for n in found if not facts.is_quarantined(n)]
    if not loose:
        tail = f" ({plural(len(found), 'flaky test')}, all quarantined)" if found else ""
        return GateResult(PASS, "no flaky test outside quarantine" + tail)
    status = FAIL if options.get("action") == "fail" else WARN
    return GateResult(
        status,
        f"{plural(len(loose), 'flaky test')} not quarantined: {listing(loose)}",
        evidence=[facts.shown("summary.json")],
        reproduce_command=facts.pytest_command(*loose[:LISTED]),
        blockers=[BlockerFact("flaky_test", "failed, then passed on rerun", n) for n in loose],
    )


class PassRateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    min_rate: float = Field(default=0.95, ge=0, le=1, description="minimum pass rate of every suite")
    suites: dict[str, float] = Field(
        default_factory=dict, description="per-suite minimum, overriding min_rate"
    )


def pass_rate(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """Every suite's share of passing tests (among those that ran) is at least its minimum."""
    opts = PassRateOptions.model_validate(options)
    ran: dict[str, list[TestFacts]] = defaultdict(list)
    for t in facts.tests:
        if t.outcome in EXECUTED:
            ran[facts.suite_of(t) or UNCLASSIFIED].append(t)
    if not ran:
        return GateResult(SKIP, "no test ran")
    low: list[str] = []
    parts: list[str] = []
    for suite in sorted(ran):
        tests = ran[suite]
        rate = sum(t.outcome in GOOD for t in tests) / len(tests)
        minimum = opts.suites.get(suite, opts.min_rate)
        parts.append(f"{suite} {rate:.1%}")
        if rate < minimum:
            low.append(f"{suite} {rate:.1%} < {minimum:.1%}")
    if not low:
        return GateResult(PASS, "pass rate " + ", ".join(parts))
    return GateResult(
        FAIL,
        "pass rate below minimum: " + "; ".join(low),
        evidence=[facts.shown("summary.json")],
        reproduce_command=facts.summary.replay_bundle.one_command_replay,
        blockers=[BlockerFact("pass_rate", entry, entry.split(" ", 1)[0]) for entry in low],
    )


class DurationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    test_s: dict[str, float] = Field(
        default_factory=lambda: {"unit": 1.0}, description="per-suite budget for one test, in seconds"
    )
    default_test_s: float | None = Field(default=None, gt=0, description="budget for one test of any suite")
    suite_s: dict[str, float] = Field(default_factory=dict, description="per-suite budget for all its tests")
    total_s: float | None = Field(default=None, gt=0, description="budget for the whole run")


def duration_budget(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """Tests and suites stay within their time budgets."""
    opts = DurationOptions.model_validate(options)
    summary = facts.summary
    over: list[BlockerFact] = []
    per_suite: dict[str, float] = defaultdict(float)
    slow: list[str] = []
    tests = facts.tests
    for t in tests:
        suite = facts.suite_of(t)
        per_suite[suite or UNCLASSIFIED] += t.duration_s
        budget = opts.test_s.get(suite, opts.default_test_s) if suite else opts.default_test_s
        if budget is not None and t.duration_s > budget:
            slow.append(t.nodeid)
            over.append(BlockerFact("duration_budget", f"took {t.duration_s:.2f} s > {budget:g} s", t.nodeid))
    for suite, budget in sorted(opts.suite_s.items()):
        if per_suite.get(suite, 0.0) > budget:
            over.append(
                BlockerFact("duration_budget", f"suite took {per_suite[suite]:.2f} s > {budget:g} s", suite)
            )
    if opts.total_s is not None and summary.duration_s > opts.total_s:
        over.append(
            BlockerFact("duration_budget", f"run took {summary.duration_s:.2f} s > {opts.total_s:g} s")
        )
    if not over:
        return GateResult(PASS, f"{plural(len(tests), 'test')} within budget")
    lines = [f"{b.subject}: {b.detail}" if b.subject else b.detail for b in over]
    return GateResult(
        FAIL,
        f"{plural(len(over), 'budget')} exceeded: {listing(lines)}",
        evidence=[facts.shown("summary.json")],
        reproduce_command=facts.pytest_command("--durations=20", *slow[:LISTED]) if slow else None,
        blockers=over,
    )
