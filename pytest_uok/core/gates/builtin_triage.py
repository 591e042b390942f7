"""The built-in ``regression`` gate: the run must not fail in a way its baseline did not."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import FAIL, PASS, SKIP, WARN, BlockerFact, GateResult
from pytest_uok.core.models.triage import Diagnostic
from pytest_uok.core.models.verdict import GateStatus
from pytest_uok.core.triage import TRIAGE_DIFF
from pytest_uok.core.wording import listing, plural

#: Diagnostic kinds that always fail the gate: the change broke something.
BROKEN = frozenset({"collection_error", "regression", "new_failure"})
Action = Literal["fail", "warn", "ignore"]
_STATUS: dict[str, GateStatus] = {"fail": FAIL, "warn": WARN}


class RegressionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    flaky_new: Action = Field(default="fail", description="what a new test that is flaky does")
    newly_flaky: Action = Field(default="warn", description="what a test that passed and is now flaky does")
    slower: Action = Field(default="warn", description="what a test or suite slower than the baseline does")


def _line(d: Diagnostic) -> str:
    subject = d.nodeid or f"suite {d.suite}"
    return f"{d.rank}. {d.severity} {d.kind} {subject} ({d.change})"


def regression(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """No test or file fails now that did not fail in the baseline run (see triage_diff.json)."""
    opts = RegressionOptions.model_validate(options)
    triage = facts.triage
    if triage is None:
        return GateResult(
            SKIP,
            "no baseline to compare with: run pytest with --uok-diff-from BASELINE, or "
            "pytest-uok gate DIR --baseline BASELINE",
        )
    against = f"run {triage.baseline.run_id}"
    found: dict[GateStatus, list[Diagnostic]] = {FAIL: [], WARN: []}
    actions = {"flaky_new": opts.flaky_new, "newly_flaky": opts.newly_flaky}
    actions.update(slower=opts.slower, suite_slower=opts.slower)
    for d in triage.ranked_diagnostics:
        action = "fail" if d.kind in BROKEN else actions.get(d.kind, "ignore")
        if action in _STATUS:
            found[_STATUS[action]].append(d)
    evidence = [facts.shown(TRIAGE_DIFF)]
    if facts.baseline_dir is not None:
        evidence = [facts.shown("summary.json"), str(facts.baseline_dir)]
    command = triage.recommended_commands.runner_repro_command
    for status in (FAIL, WARN):
        listed = found[status]
        if not listed:
            continue
        lines = [_line(d) for d in listed]
        what = plural(len(listed), "regression" if status == FAIL else "warning")
        return GateResult(
            status,
            f"{what} against {against}: {listing(lines)}",
            evidence=evidence,
            reproduce_command=command,
            blockers=[BlockerFact("regression", d.change, d.nodeid or d.suite) for d in listed],
        )
    s = triage.summary
    if triage.status == "known_failures_only":
        known = s.still_failing_count
        return GateResult(PASS, f"known failures only: {plural(known, 'test')} failing as in {against}")
    return GateResult(PASS, f"{triage.status} against {against} ({plural(s.compared, 'test')} compared)")
