"""report.md and report.html rendered from artifact folders, with and without gates and triage."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.report_html import render_html
from pytest_uok.core.report_md import cell, code, render_markdown
from pytest_uok.core.reports import REPORT_FILES, append_step_summary, render_reports
from pytest_uok.core.runview import load_run, verdict_from
from tests.helpers.runs import TRIAGE, VERDICT, entry, failure_doc, sample_tests, summary_doc, write_run

FAILED = "tests/test_calc.py::test_div"


@pytest.fixture
def plain_run(tmp_path: Path) -> Path:
    return write_run(
        tmp_path / "plain",
        {
            "summary.json": summary_doc(sample_tests()),
            "failure_digest.json": failure_doc(FAILED, "assert 1 / 0 == 0, 'division is broken'"),
        },
    )


@pytest.fixture
def gated_run(plain_run: Path) -> Path:
    return write_run(plain_run, {"verdict.json": VERDICT, "triage_diff.json": TRIAGE})


def test_markdown_shows_counts_suites_failures_flaky_and_quarantined(plain_run: Path) -> None:
    md = render_markdown(load_run(plain_run))
    assert md.startswith("# ❌ pytest-uok: failed")
    assert "| failed | 1 |" in md
    assert re.search(r"\| `unit` \| 3 \| 1 \| 1 \| 0 \| 1 \|", md), md
    assert f"### `{FAILED}`" in md
    assert "First failing assertion at `tests/test_calc.py:7`" in md
    assert "assert 1 / 0 == 0, 'division is broken'" in md
    assert f"pytest '{FAILED}'" in md
    assert "## Flaky tests (1)\n\n- `tests/test_net.py::test_retry` — failed → passed" in md
    assert "## Quarantined tests (1)\n\n- `tests/test_net.py::test_slow_dns`" in md
    assert "## Waived tests (1)" in md
    assert "pytest --uok-rerun-from .uok/summary.json" in md
    assert "Gate verdict" not in md
    assert "baseline" not in md


def test_markdown_shows_the_verdict_and_triage_when_present(gated_run: Path) -> None:
    md = render_markdown(load_run(gated_run))
    assert (
        "## Gate verdict\n\n❌ **fail** (strict), gating health `needs-repair` — failed: `tests-green`" in md
    )
    assert "Next:\n\n- pytest --uok-rerun-from .uok/summary.json" in md
    assert (
        "| `coverage` | ⚠️ warn | no | 1.50 s | half-open | line coverage 78% is under 80% | `pytest --cov` |"
        in md
    )
    assert "Status: **regression**, 1 regression (baseline run `20251231T000000Z-00000000`)" in md
    assert "1. `tests/test_calc.py::test_div` SEV-1 regression: passed -> failed — ZeroDivisionError" in md
    assert "pytest tests/test_calc.py::test_div" in md
    assert "could not be read" not in md


def test_a_passing_run_says_so(tmp_path: Path) -> None:
    folder = write_run(tmp_path, {"summary.json": summary_doc([entry("t.py::test_a", suite="unit")])})
    md = render_markdown(load_run(folder))
    assert md.startswith("# ✅ pytest-uok: passed")
    assert "Failures" not in md


def test_a_verdict_block_without_gate_details_is_shown(plain_run: Path) -> None:
    # The summary's own verdict block has no gates[]; it is used when verdict.json is absent.
    view = load_run(plain_run)
    view.verdict = verdict_from({"overall": "fail", "mode": "rollback", "failed_gates": ["waivers"]})
    md = render_markdown(view)
    assert "❌ **fail** (rollback) — failed: `waivers`" in md
    assert "| gate |" not in md


def test_unreadable_optional_artifacts_are_named_and_the_rest_still_renders(plain_run: Path) -> None:
    (plain_run / "verdict.json").write_text("{not json", encoding="utf-8")
    (plain_run / "triage_diff.json").write_text(json.dumps({"status": "stable", "summary": "oops"}), "utf-8")
    view = load_run(plain_run)
    assert view.verdict is None
    assert view.triage is not None
    assert view.triage.status == "stable"
    md = render_markdown(view)
    assert "## Artifacts that could not be read" in md
    assert "verdict.json is not valid JSON" in md
    assert FAILED in md


def test_a_folder_without_summary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UokInputError, match=r"has no summary.json: point at the artifact folder"):
        load_run(tmp_path)
    with pytest.raises(UokInputError, match="does not exist"):
        load_run(tmp_path / "missing")


def test_render_reports_writes_all_three_files(gated_run: Path) -> None:
    rendered = render_reports(gated_run)
    assert [p.name for p in rendered.written] == list(REPORT_FILES)
    assert not rendered.errors
    assert (gated_run / "report.md").read_text("utf-8") == rendered.markdown
    assert not list(gated_run.glob(".*.tmp"))


def test_step_summary_is_appended_only_when_set(tmp_path: Path) -> None:
    target = tmp_path / "step_summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    assert append_step_summary("# report\n", {}) is None
    assert append_step_summary("# report\n", {"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text("utf-8") == "earlier step\n# report\n"


class _Page(HTMLParser):
    """Collects what would make a page fetch something, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.fetching: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.csp = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content") or ""
        for name in ("src", "href", "data", "action", "poster"):
            if values.get(name):
                self.fetching.append((tag, str(values[name])))
        if tag == "link":
            self.fetching.append((tag, str(values)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_shows_the_same_facts(gated_run: Path) -> None:
    page = _Page()
    page.feed(render_html(load_run(gated_run)))
    assert page.fetching == []
    assert "default-src 'none'" in page.csp
    text = " ".join(page.text)
    for expected in (
        FAILED,
        "division is broken",
        "Gate verdict",
        "tests-green",
        "regression",
        "test_slow_dns",
    ):
        assert expected in text
    assert "Outcomes by suite" in text
    assert "Slowest tests" in text
    assert "Shard balance" not in text


def test_html_shows_shard_balance_from_the_sibling_shard_folders(tmp_path: Path) -> None:
    for index, durations in enumerate([(1.0, 2.0), (2.5,), (0.5, 0.5, 0.5)]):
        tests = [entry(f"t{index}.py::test_{i}", duration=d) for i, d in enumerate(durations)]
        write_run(tmp_path / f"shard-{index}", {"summary.json": summary_doc(tests, shard=(index, 3))})
    view = load_run(tmp_path / "shard-1")
    assert [(s.index, s.tests, s.duration_s) for s in view.shards] == [(0, 2, 3.0), (1, 1, 2.5), (2, 3, 1.5)]
    html = render_html(view)
    assert "Shard balance" in html
    assert "shard 1/3" in html


def test_html_escapes_what_tests_are_called(tmp_path: Path) -> None:
    nasty = "t.py::test_x[<script>alert(1)</script>]"
    folder = write_run(
        tmp_path,
        {"summary.json": summary_doc([entry(nasty, "failed")]), "failure_digest.json": failure_doc(nasty)},
    )
    html = render_html(load_run(folder))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@given(st.text(alphabet="ab|`\\ \n", max_size=20))
def test_table_cells_never_break_the_row(text: str) -> None:
    row = f"| {cell(code(text))} | x |"
    assert "\n" not in row
    unescaped = re.findall(r"(?<!\\)\|", row)
    assert len(unescaped) == 3


@given(st.text(alphabet="ab` ", min_size=1, max_size=12))
def test_code_spans_hold_any_backticks(text: str) -> None:
    span = code(text)
    fence = re.match(r"`+", span)
    assert fence is not None
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    assert len(fence.group()) > longest
    assert span.endswith(fence.group())
    inner = span[len(fence.group()) : -len(fence.group())]
    assert inner in (text, f" {text} ")


def needs_summary_field(name: str) -> pytest.MarkDecorator:
    """Fields other concerns add to summary.json; these tests run once they are merged in."""
    from pytest_uok.core.models.summary import Summary

    return pytest.mark.skipif(name not in Summary.model_fields, reason=f"summary.json has no {name!r} yet")


@needs_summary_field("flaky")
def test_flaky_suggestions_and_policy_fields_are_shown(tmp_path: Path) -> None:
    entry_toml = '[[quarantine]]\nid = "Q-1"\ntarget = "tests/test_net.py::test_retry"'
    doc = summary_doc(
        sample_tests(),
        flaky=[
            {
                "nodeid": "tests/test_net.py::test_retry",
                "attempts": 2,
                "failed_attempts": 1,
                "suggested_category": "FLAKE-NET",
                "why": "ConnectionError",
                "quarantine_entry": entry_toml,
            }
        ],
        ready_to_release=["tests/test_net.py::test_slow_dns"],
        classification={
            "policy_path": "tests/suite_classification.toml",
            "unclassified": ["tests/test_other.py"],
        },
    )
    view = load_run(write_run(tmp_path, {"summary.json": doc}))
    md = render_markdown(view)
    assert f"```toml\n{entry_toml}\n```" in md
    assert "## Quarantined tests ready to release (1)\n\n- `tests/test_net.py::test_slow_dns`" in md
    assert "## Test files in no suite (1)\n\n- `tests/test_other.py`" in md
    assert "id = &quot;Q-1&quot;" in render_html(view)


@needs_summary_field("shards")
def test_a_merged_run_shows_each_shards_load_from_the_manifests(tmp_path: Path) -> None:
    tests = [entry(f"t.py::test_{i}", duration=float(i)) for i in range(1, 5)]
    manifests = [
        {
            "kind": "test",
            "index": i,
            "total": 2,
            "count": 2,
            "digest": "x",
            "nodeids": ids,
            "estimated_s": 3.0,
        }
        for i, ids in enumerate([["t.py::test_1", "t.py::test_2"], ["t.py::test_3", "t.py::test_4"]])
    ]
    view = load_run(write_run(tmp_path, {"summary.json": summary_doc(tests, shards=manifests)}))
    assert [(s.index, s.tests, s.duration_s, s.estimated_s) for s in view.shards] == [
        (0, 2, 3.0, 3.0),
        (1, 2, 7.0, 3.0),
    ]
    assert "Shard balance" in render_html(view)
    assert view.shard_label == "all"


def test_the_summarys_triage_block_is_enough_to_show_the_comparison(plain_run: Path) -> None:
    from pytest_uok.core.runview import triage_from

    view = load_run(plain_run)
    view.triage = triage_from(TRIAGE["summary"])
    md = render_markdown(view)
    assert "Status: **regression**, 1 regression (baseline run `20251231T000000Z-00000000`)" in md
