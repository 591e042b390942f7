"""report.html: the report as one self-contained page, with inline SVG charts and no fetches.

A Content-Security-Policy in the page itself forbids every network fetch, and the one
inline script (sortable tables) is allowed by its hash, so the page opens the same from
a CI artifact download, a file share or a mail attachment.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

import pytest_uok.core.reportfacts as rf
from pytest_uok.core.charts import Bar, Segment, bar_chart
from pytest_uok.core.models.digest import FailureEntry
from pytest_uok.core.outcomes import ALL_OUTCOMES
from pytest_uok.core.runview import RunView

REPORT_HTML = "report.html"

_STYLE = """
:root{--ok:#2e7d32;--bad:#c62828;--warn:#ef6c00;--muted:#5f6b73;--line:#dde3e8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d262d;
background:#f6f8fa}
header{padding:18px 28px;color:#fff;background:var(--muted)}
header.passed{background:var(--ok)}header.failed{background:var(--bad)}
header.interrupted,header.incomplete{background:var(--warn)}
header h1{margin:0 0 4px;font-size:22px}header p{margin:0}
main{max-width:1100px;margin:0 auto;padding:8px 28px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 18px 14px;margin:16px 0}
h2{font-size:17px;margin:12px 0 8px}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef2f5;cursor:pointer;user-select:none}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f3f5f7;border:1px solid var(--line);border-radius:4px;padding:8px;overflow-x:auto;
white-space:pre-wrap;word-break:break-all;margin:6px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;
background:var(--muted)}
.s-pass,.s-passed{background:var(--ok)}.s-fail,.s-failed{background:var(--bad)}
.s-warn,.s-quarantined,.s-interrupted{background:var(--warn)}.s-regression{background:var(--bad)}
.s-stable,.s-improved,.s-valid{background:var(--ok)}
.s-flaky{background:#0277bd}.s-waived{background:#5d4037}.s-xpassed,.s-expiring{background:#f9a825}
.s-expired,.s-invalid{background:var(--bad)}.s-manual-attention,.s-error{background:#8e24aa}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.tile{border-radius:6px;padding:8px 12px;color:#fff;min-width:120px}
.tile b{display:block}.tile small{opacity:.9}
details.failure{border-top:1px solid var(--line);padding:6px 0}
details.failure summary{cursor:pointer;font-weight:600;word-break:break-all}
.meta{color:var(--muted)}
svg.chart{max-width:100%;height:auto;display:block;margin:6px 0}
svg .label,svg .value,svg .legend{font:12px system-ui,sans-serif;fill:#1d262d}
footer{color:var(--muted);text-align:center;font-size:12px;margin:20px}
"""

# Click a column heading to sort its table; numbers sort as numbers.
_SCRIPT = """
(function () {
  function key(row, i) {
    var text = row.cells[i] ? row.cells[i].textContent.trim() : "";
    var n = parseFloat(text);
    return isNaN(n) ? text.toLowerCase() : n;
  }
  document.querySelectorAll("table.sortable th").forEach(function (th, _) {
    th.addEventListener("click", function () {
      var table = th.closest("table"), body = table.tBodies[0];
      var i = Array.prototype.indexOf.call(th.parentNode.children, th);
      var asc = th.dataset.dir !== "asc";
      th.dataset.dir = asc ? "asc" : "desc";
      Array.from(body.rows).sort(function (a, b) {
        var x = key(a, i), y = key(b, i);
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      }).forEach(function (row) { body.appendChild(row); });
    });
  });
  document.documentElement.dataset.ready = "yes";
})();
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _table(header: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A sortable table; cells are already HTML."""

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _badge(status: str) -> str:
    return f'<span class="badge s-{_e(status)}">{_e(status)}</span>'


def _section(anchor: str, title: str, *content: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{"".join(content)}</section>'


def _more(total: int, shown: int) -> str:
    return f'<p class="meta">… and {total - shown} more</p>' if total > shown else ""


def _outcomes(view: RunView) -> str:
    counts = rf.outcome_counts(view)
    if not counts:
        return _section("outcomes", "Outcomes", '<p class="meta">No tests ran.</p>')
    table = _table(["outcome", "tests"], [[_badge(o), str(n)] for o, n in counts], frozenset({1}))
    rows = rf.suite_rows(view)
    bars = [
        Bar(r.suite, tuple(Segment(o, r.outcomes.get(o, 0)) for o in ALL_OUTCOMES), f"{r.total}")
        for r in rows
    ]
    seen = [o for o in ALL_OUTCOMES if any(r.outcomes.get(o) for r in rows)]
    chart = bar_chart("Outcomes by suite", bars, legend=seen) if bars else ""
    return _section("outcomes", "Outcomes by suite", chart, table)


def _suites(view: RunView) -> str:
    rows = rf.suite_rows(view)
    if not rows:
        return ""
    columns = rf.suite_columns(rows)
    body = [
        [
            f"<code>{_e(r.suite)}</code>",
            str(r.total),
            *(str(r.outcomes.get(c, 0)) for c in columns),
            _badge("passed" if r.passed else "failed"),
        ]
        for r in rows
    ]
    numeric = frozenset(range(1, len(columns) + 2))
    return _section("suites", "Suites", _table(["suite", "tests", *columns, "result"], body, numeric))


def _verdict(view: RunView) -> str:
    verdict = view.verdict
    if verdict is None:
        return ""
    mode = f" <span class='meta'>mode {_e(verdict.mode)}</span>" if verdict.mode else ""
    if verdict.health and verdict.health != "healthy":
        mode += f" <span class='meta'>gating health {_e(verdict.health)}</span>"
    failed = ""
    if verdict.failed_gates:
        failed = " failed: " + ", ".join(f"<code>{_e(g)}</code>" for g in verdict.failed_gates)
    parts = [f'<p class="verdict">Verdict: {_badge(verdict.overall)}{mode}{failed}</p>']
    if verdict.gates:
        tiles = "".join(
            f'<div class="tile s-{_e(g.status)}" title="{_e(g.detail)}"><b>{_e(g.id)}</b>'
            f"<small>{_e(g.status)}{' · blocking' if g.blocking else ''}"
            f"{' · breaker ' + _e(g.breaker) if g.breaker else ''}</small></div>"
            for g in verdict.gates
        )
        parts.append(f'<div class="tiles" role="list" aria-label="Gate status">{tiles}</div>')
        rows = [
            [
                f"<code>{_e(g.id)}</code>",
                _badge(g.status),
                "yes" if g.blocking else "no",
                _e(rf.seconds(g.duration_s)),
                _e(g.breaker or "-"),
                _e(g.detail),
                f"<pre>{_e(g.reproduce_command)}</pre>" if g.reproduce_command else "",
            ]
            for g in verdict.gates
        ]
        header = ["gate", "status", "blocking", "duration", "breaker", "detail", "reproduce"]
        parts.append(_table(header, rows))
    if verdict.next_actions:
        items = "".join(f"<li>{_e(action)}</li>" for action in verdict.next_actions[:20])
        parts.append(f"<p>Next:</p><ul>{items}</ul>")
    return _section("verdict", "Gate verdict", *parts)


def _failure(entry: FailureEntry) -> str:
    meta = [entry.root_cause_class.replace("_", " ")]
    if entry.exception_type:
        meta.append(entry.exception_type)
    if entry.suite:
        meta.append(f"suite {entry.suite}")
    if entry.phase and entry.phase != "call":
        meta.append(f"in {entry.phase}")
    body = [f'<p class="meta">{_e(" · ".join(meta))}</p>']
    where = entry.first_failing_assertion
    if where is not None:
        body.append(f"<p>{_e(rf.where_label(entry))} <code>{_e(where.path)}:{where.line}</code></p>")
        body.append(f'<pre class="assertion">{_e(where.message or "(no message)")}</pre>')
    elif entry.excerpts.longrepr:
        body.append(f"<pre>{_e(entry.excerpts.longrepr[-2000:])}</pre>")
    body.append(f"<p>Replay:</p><pre>{_e(entry.remediation_pointer.targeted_test_replay_command)}</pre>")
    return f'<details class="failure" open><summary>{_e(entry.nodeid)}</summary>{"".join(body)}</details>'


def _failures(view: RunView) -> str:
    failures = view.failures()
    if not failures:
        return ""
    parts = [_failure(e) for e in failures[: rf.MAX_DETAILED_FAILURES]]
    rest = failures[rf.MAX_DETAILED_FAILURES :]
    if rest:
        items = "".join(f"<li><code>{_e(e.nodeid)}</code></li>" for e in rest[: rf.MAX_LISTED])
        parts.append(f"<p>Further failures:</p><ul>{items}</ul>{_more(len(rest), rf.MAX_LISTED)}")
    replay = rf.one_command_replay(view)
    if replay:
        parts.append(f"<p>Replay every failure of this run:</p><pre>{_e(replay)}</pre>")
    return _section("failures", f"Failures ({len(failures)})", *parts)


def _triage(view: RunView) -> str:
    triage = view.triage
    if triage is None:
        return ""
    count = "" if triage.regression_count is None else f", {triage.regression_count} regression(s)"
    baseline = rf.baseline_run(view)
    against = f" <span class='meta'>baseline run {_e(baseline)}</span>" if baseline else ""
    parts = [f"<p>Status: {_badge(triage.status)}{_e(count)}{against}</p>"]
    items = []
    for diag in triage.diagnostics[:10]:
        subject, text = rf.diagnostic(diag)
        items.append(f"<li><code>{_e(subject)}</code> {_e(text)}</li>")
    if items:
        parts.append(f"<ol>{''.join(items)}</ol>")
    if triage.runner_repro_command:
        parts.append(f"<p>Reproduce the regressions:</p><pre>{_e(triage.runner_repro_command)}</pre>")
    return _section("triage", "Compared with the baseline", *parts)


def _listed(anchor: str, title: str, items: list[str]) -> str:
    if not items:
        return ""
    shown = "".join(f"<li>{i}</li>" for i in items[: rf.MAX_LISTED])
    return _section(anchor, f"{title} ({len(items)})", f"<ul>{shown}</ul>", _more(len(items), rf.MAX_LISTED))


def _code(text: str) -> str:
    return f"<code>{_e(text)}</code>"


def _flaky(view: RunView) -> str:
    tests = view.tests_with("flaky")
    items = [f"{_code(t.nodeid)} <span class='meta'>{_e(rf.attempts_text(t))}</span>" for t in tests]
    section = _listed("flaky", "Flaky tests", items)
    entries = [str(s["quarantine_entry"]) for s in rf.flaky_suggestions(view) if s.get("quarantine_entry")]
    if section and entries:
        paste = (
            "<p>Quarantine entries to paste into the policy file, if the flakiness is accepted:</p>"
            f"<pre>{_e(chr(10).join(entries[:50]))}</pre>"
        )
        section = section.removesuffix("</section>") + paste + "</section>"
    return section


def _policy(view: RunView) -> str:
    entries = rf.policy_attention(view)[: rf.MAX_LISTED]
    if not entries:
        return ""
    rows = [
        [
            _badge(str(e.get("state", ""))),
            _e(e.get("kind", "")),
            f"<code>{_e(e.get('id', ''))}</code>",
            f"<code>{_e(e.get('target', ''))}</code>",
            _e(e.get("owner", "")),
            _e(e.get("reason", "")),
        ]
        for e in entries
    ]
    table = _table(["state", "kind", "id", "target", "owner", "why"], rows)
    return _section("policy", "Waivers and quarantine needing attention", table)


def _slowest(view: RunView) -> str:
    tests = rf.slowest(view)
    if not tests:
        return ""
    bars = [Bar(t.nodeid, (Segment(t.outcome, t.duration_s),), rf.seconds(t.duration_s)) for t in tests]
    rows = [[f"<code>{_e(t.nodeid)}</code>", _e(rf.seconds(t.duration_s)), _badge(t.outcome)] for t in tests]
    return _section(
        "slowest",
        "Slowest tests",
        bar_chart("Slowest tests", bars),
        _table(["test", "duration", "outcome"], rows),
    )


def _shards(view: RunView) -> str:
    if len(view.shards) < 2:
        return ""
    bars = [
        Bar(
            f"shard {s.index}",
            (Segment("passed", s.duration_s),),
            f"{rf.seconds(s.duration_s)}, {s.tests} tests",
        )
        for s in view.shards
    ]
    rows = [
        [str(s.index), str(s.tests), _e(rf.seconds(s.duration_s)), _e(rf.seconds(s.estimated_s))]
        for s in view.shards
    ]
    chart = bar_chart("Shard balance: test time per shard", bars)
    table = _table(["shard", "tests", "test time", "estimated"], rows, frozenset({0, 1}))
    return _section("shards", "Shard balance", chart, table)


def _facts(view: RunView) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rf.run_facts(view))
    return _section("run", "Run", f'<dl class="facts">{items}</dl>')


def render_html(view: RunView) -> str:
    """The report as one HTML document."""
    head = rf.headline(view)
    problems = "".join(f"<li>{_e(p)}</li>" for p in view.problems)
    body = [
        _facts(view),
        _verdict(view),
        _outcomes(view),
        _suites(view),
        _failures(view),
        _triage(view),
        _flaky(view),
        _listed(
            "quarantined",
            "Quarantined tests",
            [f"<code>{_e(t.nodeid)}</code>" for t in view.tests_with("quarantined")],
        ),
        _listed(
            "waived", "Waived tests", [f"<code>{_e(t.nodeid)}</code>" for t in view.tests_with("waived")]
        ),
        _listed(
            "release", "Quarantined tests ready to release", [_code(n) for n in rf.ready_to_release(view)]
        ),
        _listed("unclassified", "Test files in no suite", [_code(f) for f in rf.unclassified_files(view)]),
        _policy(view),
        _slowest(view),
        _shards(view),
        _section("problems", "Artifacts that could not be read", f"<ul>{problems}</ul>") if problems else "",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pytest-uok: {_e(head.state)} · {_e(view.summary.run_id)}</title>"
        f"<style>{_STYLE}</style></head>\n<body>"
        f'<header class="{_e(head.state.replace(" ", "-"))}"><h1>pytest-uok: {_e(head.state)}</h1>'
        f"<p>{_e(head.text)}</p></header>\n<main>"
        + "\n".join(part for part in body if part)
        + f"</main><footer>pytest-uok report for run {_e(view.summary.run_id)}</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
