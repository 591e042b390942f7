"""report.md: the run in one Markdown page (GitHub-flavoured, fit for a CI job summary)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest_uok.core.reportfacts as rf
from pytest_uok.core.models.digest import FailureEntry
from pytest_uok.core.runview import RunView

REPORT_MD = "report.md"
#: GitHub refuses job summaries over 1 MiB; the report stays well under it.
MAX_CHARS = 900_000

_STATE_MARK = {"passed": "✅", "failed": "❌", "interrupted": "⚠️", "incomplete": "⚠️", "no tests": "➖"}
_GATE_MARK = {"pass": "✅", "fail": "❌", "warn": "⚠️", "skip": "➖", "manual-attention": "🛑"}
_BACKTICKS = re.compile(r"`+")


def code(text: str) -> str:
    """An inline code span that survives backticks inside ``text``."""
    text = " ".join(str(text).splitlines())
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped."""
    return " ".join(str(text).splitlines()).replace("|", "\\|")


def code_cell(text: str) -> str:
    return cell(code(text))


def block(text: str, lang: str = "") -> list[str]:
    """A fenced code block longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", text.rstrip("\n"), fence]


def table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _more(total: int, shown: int) -> list[str]:
    return [f"- … and {total - shown} more"] if total > shown else []


def _failure(entry: FailureEntry) -> list[str]:
    lines = [f"### {code(entry.nodeid)}", ""]
    facts = [f"**{entry.root_cause_class.replace('_', ' ')}**"]
    if entry.exception_type:
        facts.append(code(entry.exception_type))
    if entry.suite:
        facts.append(f"suite {code(entry.suite)}")
    if entry.phase and entry.phase != "call":
        facts.append(f"in {entry.phase}")
    lines += [" · ".join(facts), ""]
    where = entry.first_failing_assertion
    if where is not None:
        lines += [f"{rf.where_label(entry)} {code(f'{where.path}:{where.line}')}:", ""]
        lines += [*block(where.message or "(no message)"), ""]
    elif entry.excerpts.longrepr:
        last = entry.excerpts.longrepr.strip().splitlines()[-1:]
        if last:
            lines += [*block(last[0]), ""]
    lines += ["Replay:", "", *block(entry.remediation_pointer.targeted_test_replay_command, "sh"), ""]
    return lines


def _failures(view: RunView) -> list[str]:
    failures = view.failures()
    if not failures:
        return []
    lines = [f"## Failures ({len(failures)})", ""]
    for entry in failures[: rf.MAX_DETAILED_FAILURES]:
        lines += _failure(entry)
    rest = failures[rf.MAX_DETAILED_FAILURES :]
    if rest:
        lines += ["Further failures:", ""]
        lines += [f"- {code(e.nodeid)}" for e in rest[: rf.MAX_LISTED]]
        lines += [*_more(len(rest), rf.MAX_LISTED), ""]
    return lines


def _suites(view: RunView) -> list[str]:
    rows = rf.suite_rows(view)
    if not rows:
        return []
    columns = rf.suite_columns(rows)
    body = [
        [
            code_cell(r.suite),
            str(r.total),
            *(str(r.outcomes.get(c, 0)) for c in columns),
            "✅" if r.passed else "❌",
        ]
        for r in rows
    ]
    return ["## Suites", "", *table(["suite", "tests", *columns, "result"], body), ""]


def _verdict(view: RunView) -> list[str]:
    verdict = view.verdict
    if verdict is None:
        return []
    mode = f" ({verdict.mode})" if verdict.mode else ""
    mark = "✅" if verdict.overall == "pass" else "❌"
    health = (
        f", gating health {code(verdict.health)}" if verdict.health and verdict.health != "healthy" else ""
    )
    lines = ["## Gate verdict", "", f"{mark} **{verdict.overall}**{mode}{health}"]
    if verdict.failed_gates:
        lines[-1] += " — failed: " + ", ".join(code(g) for g in verdict.failed_gates)
    lines.append("")
    if verdict.gates:
        rows = [
            [
                code_cell(g.id),
                f"{_GATE_MARK.get(g.status, '')} {g.status}".strip(),
                "yes" if g.blocking else "no",
                rf.seconds(g.duration_s),
                cell(g.breaker or "-"),
                cell(g.detail),
                code_cell(g.reproduce_command) if g.reproduce_command else "",
            ]
            for g in verdict.gates
        ]
        header = ["gate", "status", "blocking", "duration", "breaker", "detail", "reproduce"]
        lines += [*table(header, rows), ""]
    if verdict.next_actions:
        lines += ["Next:", ""]
        lines += [f"- {cell(action)}" for action in verdict.next_actions[:20]]
        lines.append("")
    return lines


def _triage(view: RunView) -> list[str]:
    triage = view.triage
    if triage is None:
        return []
    lines = ["## Compared with the baseline", "", f"Status: **{triage.status}**"]
    if triage.regression_count is not None:
        lines[-1] += f", {triage.regression_count} regression{'s' if triage.regression_count != 1 else ''}"
    baseline = rf.baseline_run(view)
    if baseline:
        lines[-1] += f" (baseline run {code(baseline)})"
    lines.append("")
    for diag in triage.diagnostics[:10]:
        subject, text = rf.diagnostic(diag)
        lines.append(f"1. {code(subject)} {cell(text)}".rstrip())
    if triage.diagnostics:
        lines.append("")
    if triage.runner_repro_command:
        lines += ["Reproduce the regressions:", "", *block(triage.runner_repro_command, "sh"), ""]
    return lines


def _listed(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    lines = [f"## {title} ({len(items)})", ""]
    lines += [f"- {item}" for item in items[: rf.MAX_LISTED]]
    return [*lines, *_more(len(items), rf.MAX_LISTED), ""]


def _flaky(view: RunView) -> list[str]:
    tests = view.tests_with("flaky")
    lines = _listed("Flaky tests", [f"{code(t.nodeid)} — {rf.attempts_text(t)}" for t in tests])
    suggestions = rf.flaky_suggestions(view)
    entries = [str(s["quarantine_entry"]) for s in suggestions if s.get("quarantine_entry")]
    if entries:
        lines += ["Quarantine entries to paste into the policy file, if the flakiness is accepted:", ""]
        lines += [*block("\n\n".join(entries[:50]), "toml"), ""]
    elif suggestions:
        lines += ["Suggested for quarantine:", ""]
        for item in suggestions[: rf.MAX_LISTED]:
            target = item.get("nodeid") or item.get("target") or item.get("id") or "?"
            lines.append(f"- {code(str(target))}")
        lines.append("")
    return lines


def _policy(view: RunView) -> list[str]:
    entries = rf.policy_attention(view)
    rows = [
        [
            cell(str(e.get("state", ""))),
            cell(str(e.get("kind", ""))),
            code_cell(str(e.get("id", ""))),
            code_cell(str(e.get("target", ""))),
            cell(str(e.get("owner", ""))),
            cell(str(e.get("reason", ""))),
        ]
        for e in entries[: rf.MAX_LISTED]
    ]
    if not rows:
        return []
    header = ["state", "kind", "id", "target", "owner", "why"]
    return ["## Waivers and quarantine needing attention", "", *table(header, rows), ""]


def _slowest(view: RunView) -> list[str]:
    tests = rf.slowest(view)
    if not tests:
        return []
    rows = [[code_cell(t.nodeid), rf.seconds(t.duration_s), t.outcome] for t in tests]
    return ["## Slowest tests", "", *table(["test", "duration", "outcome"], rows), ""]


def render_markdown(view: RunView) -> str:
    """The report as Markdown."""
    head = rf.headline(view)
    lines = [f"# {_STATE_MARK.get(head.state, '')} pytest-uok: {head.state}".replace("#  ", "# "), ""]
    lines += [head.text, ""]
    lines += [f"- **{label}**: {cell(value)}" for label, value in rf.run_facts(view)]
    lines.append("")
    counts = rf.outcome_counts(view)
    if counts:
        lines += ["## Outcomes", "", *table(["outcome", "tests"], ([o, str(n)] for o, n in counts)), ""]
    lines += _verdict(view)
    lines += _suites(view)
    lines += _failures(view)
    replay = rf.one_command_replay(view)
    if replay:
        lines += ["Replay every failure of this run:", "", *block(replay, "sh"), ""]
    lines += _triage(view)
    lines += _flaky(view)
    lines += _listed("Quarantined tests", [code(t.nodeid) for t in view.tests_with("quarantined")])
    lines += _listed("Waived tests", [code(t.nodeid) for t in view.tests_with("waived")])
    lines += _listed("Quarantined tests ready to release", [code(n) for n in rf.ready_to_release(view)])
    lines += _listed("Test files in no suite", [code(f) for f in rf.unclassified_files(view)])
    lines += _policy(view)
    lines += _slowest(view)
    if view.problems:
        lines += ["## Artifacts that could not be read", ""]
        lines += [f"- {cell(p)}" for p in view.problems]
        lines.append("")
    text = "\n".join(lines).rstrip("\n") + "\n"
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS].rsplit("\n", 1)[0] + "\n\n… (report cut short; see report.html)\n"
    return text
