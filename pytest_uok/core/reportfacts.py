"""What the Markdown and HTML reports both say about a run, computed once from a RunView."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from pytest_uok.core.models.digest import FailureEntry
from pytest_uok.core.outcomes import ALL_OUTCOMES
from pytest_uok.core.runview import UNCLASSIFIED, RunView, TestFacts

#: How many failures are shown in full; the others are listed by node id only.
MAX_DETAILED_FAILURES = 30
#: How many node ids any one list shows before saying "and N more".
MAX_LISTED = 200
SLOWEST = 10
#: Outcomes that count against a suite.
BAD_OUTCOMES = frozenset({"failed", "error"})
#: Policy entry states worth a reader's attention.
ATTENTION_STATES = ("expired", "invalid", "expiring", "stale")


@dataclass(frozen=True)
class SuiteRow:
    """One line of the per-suite table."""

    suite: str
    total: int
    outcomes: dict[str, int]
    passed: bool


@dataclass(frozen=True)
class Headline:
    """The one-word state of the run and the sentence under the title."""

    state: str  # passed, failed, interrupted, incomplete, no tests
    text: str


def seconds(value: float | None) -> str:
    """A duration for people: ``0.004 s``, ``2.31 s``, ``3 min 5 s``."""
    if value is None:
        return "-"
    if value < 0.01:
        return f"{value:.3f} s"
    if value < 60:
        return f"{value:.2f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _verdict_failed(view: RunView) -> bool:
    return view.verdict is not None and view.verdict.overall not in ("pass", "unknown")


def headline(view: RunView) -> Headline:
    s = view.summary
    total = len(view.tests)
    bad = sum(s.outcomes.get(o, 0) for o in BAD_OUTCOMES) + len(s.collection_errors)
    if s.interrupted:
        state = "interrupted"
    elif not s.complete and s.finished_at is None:
        state = "incomplete"
    elif _verdict_failed(view) or bad or s.exit_status not in (None, 0, 5):
        state = "failed"
    elif total == 0:
        state = "no tests"
    else:
        state = "passed"
    parts = [f"{total} test{'s' if total != 1 else ''}"]
    if bad:
        parts.append(f"{bad} failing")
    parts.append(f"in {seconds(s.duration_s)}")
    if view.sharded:
        parts.append(f"shard {view.shard_label}")
    if view.verdict is not None:
        parts.append(f"verdict {view.verdict.overall}")
    return Headline(state, ", ".join(parts))


def run_facts(view: RunView) -> list[tuple[str, str]]:
    """Label and value pairs describing the run."""
    s = view.summary
    facts = [
        ("run id", s.run_id),
        ("started", s.started_at.isoformat(timespec="seconds")),
        ("duration", seconds(s.duration_s)),
        ("exit status", "-" if s.exit_status is None else str(s.exit_status)),
    ]
    if s.shard.total > 1:
        facts.append(("shard", f"{view.shard_label} ({s.shard.kind})"))
    if s.git_sha:
        facts.append(("git", s.git_sha[:12]))
    if not s.complete:
        facts.append(("complete", "no: the session did not run to its end"))
    return facts


def outcome_counts(view: RunView) -> list[tuple[str, int]]:
    """Every outcome that happened, in the order pytest-uok lists outcomes, then the others."""
    outcomes = view.summary.outcomes
    ordered = [(o, outcomes[o]) for o in ALL_OUTCOMES if outcomes.get(o)]
    ordered += [(o, n) for o, n in sorted(outcomes.items()) if o not in ALL_OUTCOMES and n]
    counts = view.summary.counts
    if counts.deselected:
        ordered.append(("deselected", counts.deselected))
    if view.summary.collection_errors:
        ordered.append(("collection errors", len(view.summary.collection_errors)))
    return ordered


def suite_rows(view: RunView) -> list[SuiteRow]:
    """The per-suite table: the summary's suites when classified, else counted from the tests."""
    declared = view.summary.suites
    if declared:
        return [
            SuiteRow(name, counts.total, dict(counts.outcomes), counts.passed)
            for name, counts in sorted(declared.items())
        ]
    return [
        SuiteRow(name, sum(row.values()), row, not any(row.get(o) for o in BAD_OUTCOMES))
        for name, row in view.suite_outcomes().items()
    ]


def suite_columns(rows: list[SuiteRow]) -> list[str]:
    """The outcome columns the suite table needs: the usual ones, then any that occurred."""
    seen = {o for row in rows for o, n in row.outcomes.items() if n}
    usual = ["passed", "failed", "error", "skipped"]
    return (
        usual
        + [o for o in ALL_OUTCOMES if o in seen and o not in usual]
        + sorted(seen - set(ALL_OUTCOMES) - set(usual))
    )


def slowest(view: RunView, count: int = SLOWEST) -> list[TestFacts]:
    top = heapq.nlargest(count, view.tests, key=lambda t: t.duration_s)
    return [t for t in sorted(top, key=lambda t: (-t.duration_s, t.nodeid)) if t.duration_s > 0]


def attempts_text(test: TestFacts) -> str:
    return " → ".join(a.outcome or "passed" for a in test.attempts) or test.outcome


def flaky_suggestions(view: RunView) -> list[dict[str, Any]]:
    """Suggested quarantine entries the policy concern put in summary.json, when it did."""
    raw = getattr(view.summary, "flaky", None)
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        data = item.model_dump(by_alias=True) if hasattr(item, "model_dump") else item
        if isinstance(data, dict):
            out.append(data)
    return out


def policy_attention(view: RunView) -> list[dict[str, Any]]:
    """Waiver and quarantine entries that are not simply valid, worst first."""
    rank = {state: i for i, state in enumerate(ATTENTION_STATES)}
    entries = [e for e in view.policy_entries if e.get("state") in rank]
    return sorted(entries, key=lambda e: (rank[str(e.get("state"))], str(e.get("id", ""))))


def where_label(entry: FailureEntry) -> str:
    """How the line a failure points at is introduced."""
    if entry.root_cause_class == "assertion_failure":
        return "First failing assertion at"
    return "Failed at"


def one_command_replay(view: RunView) -> str | None:
    if view.replay is not None and view.replay.one_command_replay:
        return view.replay.one_command_replay
    return view.summary.replay_bundle.one_command_replay


def suite_of(test: TestFacts) -> str:
    return test.suite or UNCLASSIFIED


def diagnostic(diag: dict[str, Any]) -> tuple[str, str]:
    """A triage diagnostic as (what it is about, what changed)."""
    subject = diag.get("nodeid") or diag.get("suite") or diag.get("name") or diag.get("id") or "?"
    words = [str(w) for w in (diag.get("severity"), diag.get("kind")) if w]
    text = " ".join(words)
    change = diag.get("change")
    if change:
        text = f"{text}: {change}" if text else str(change)
    detail = diag.get("detail")
    if detail:
        text = f"{text} — {detail}" if text else str(detail)
    return str(subject), text


def baseline_run(view: RunView) -> str | None:
    triage = view.triage
    if triage is None:
        return None
    run_id = triage.summary.get("baseline_run_id")
    return str(run_id) if run_id else None


def ready_to_release(view: RunView) -> list[str]:
    """Quarantined tests that passed every attempt to fix them (policy's summary field)."""
    raw = getattr(view.summary, "ready_to_release", None)
    return [str(n) for n in raw] if isinstance(raw, list) else []


def unclassified_files(view: RunView) -> list[str]:
    """Test files in no suite, when the policy's classification block says so."""
    block: Any = getattr(view.summary, "classification", None)
    data = block.model_dump() if hasattr(block, "model_dump") else block
    if not isinstance(data, dict) or not isinstance(data.get("unclassified"), list):
        return []
    return [str(f) for f in data["unclassified"]]
