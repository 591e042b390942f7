"""A session writes metrics.prom, report.md and report.html, and the CLI renders them again."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import UokRun, quoted
from tests.helpers.runs import VERDICT

PROJECT = """
import pytest

def test_ok():
    pass

def test_total():
    total = 2 + 2
    assert total == 5, "the total is off"

@pytest.mark.skip(reason="not today")
def test_later():
    pass
"""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def outcome_counts(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "uok_tests":
            for sample in family.samples:
                out[sample.labels["outcome"]] = sample.value
    return out


def test_every_session_writes_the_reports(pytester: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    pytester.makepyfile(test_calc=PROJECT)
    run = run_uok()
    assert run.ret == 1
    counts = outcome_counts((run.out / "metrics.prom").read_text("utf-8"))
    assert (counts["passed"], counts["failed"], counts["skipped"]) == (1, 1, 1)
    md = (run.out / "report.md").read_text("utf-8")
    assert "### `test_calc.py::test_total`" in md
    assert "the total is off" in md
    html = (run.out / "report.html").read_text("utf-8")
    assert "test_calc.py::test_total" in html
    run.result.stdout.fnmatch_lines(["report: .uok/report.html"])


def test_a_gated_session_has_the_verdict_in_its_reports(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    # The gates decide in a trylast sessionfinish; the reports are rendered after them.
    pytester.makepyfile(test_calc=PROJECT)
    run = run_uok("--uok-gate")
    assert run.ret == 1
    verdict = run.get("verdict.json")
    md = (run.out / "report.md").read_text("utf-8")
    assert f"## Gate verdict\n\n❌ **{verdict['overall']}**" in md
    assert "| `test_results` | ❌ fail | yes |" in md
    metrics = (run.out / "metrics.prom").read_text("utf-8")
    assert 'uok_gate_runs_total{gate="test_results",shard="0/1",status="fail"} 1.0' in metrics
    assert 'uok_gate_breaker_state{gate="test_results",shard="0/1"} 0.0' in metrics
    assert 'uok_verdict_passed{mode="strict",shard="0/1"} 0.0' in metrics


def test_an_unreachable_pushgateway_only_warns(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    port = closed_port()
    run = run_uok(
        "--uok-pushgateway", f"http://ci:hunter2@127.0.0.1:{port}", "--uok-pushgateway-timeout", "2"
    )
    assert run.ret == 0
    shown = f"http://***@127.0.0.1:{port}"
    run.result.stdout.fnmatch_lines([f"uok warning: could not push metrics to the Pushgateway {shown}: *"])
    failed = [e for e in run.events if e["kind"] == "metrics_push_failed"]
    assert len(failed) == 1
    assert failed[0]["data"]["gateway"] == shown
    assert (run.out / "metrics.prom").exists()
    assert "hunter2" not in run.result.stdout.str()
    assert "hunter2" not in json.dumps(failed)


def test_the_pushgateway_can_come_from_the_environment(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    monkeypatch.setenv("UOK_PUSHGATEWAY", f"127.0.0.1:{closed_port()}")
    run = run_uok()
    assert run.ret == 0
    assert [e["kind"] for e in run.events].count("metrics_push_failed") == 1


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--uok-pushgateway", "ftp://gw"], "", "*--uok-pushgateway must be an http:// or https:// address*"),
        ([], "uok_pushgateway = http://", "*ini key uok_pushgateway in * must name a host*"),
        (["--uok-pushgateway-timeout", "0"], "", "*--uok-pushgateway-timeout must be more than zero*"),
    ],
)
def test_bad_pushgateway_settings_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_the_cli_renders_the_reports_again(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun], run_shell: Callable[..., Any]
) -> None:
    pytester.makepyfile(test_calc=PROJECT)
    run = run_uok()
    (run.out / "verdict.json").write_text(json.dumps(VERDICT), encoding="utf-8")
    (run.out / "report.md").unlink()
    result = run_shell(quoted("pytest-uok", "report", str(run.out)), pytester.path)
    assert result.returncode == 0, result.stderr
    assert f"wrote {run.out / 'report.md'}" in result.stdout
    assert "## Gate verdict" in (run.out / "report.md").read_text("utf-8")


def test_the_cli_names_a_folder_without_artifacts(tmp_path: Path, run_shell: Callable[..., Any]) -> None:
    result = run_shell(quoted("pytest-uok", "report", str(tmp_path)), tmp_path)
    assert result.returncode == 4
    assert f"pytest-uok report: {tmp_path} has no summary.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_under_xdist_the_controller_appends_the_report_to_the_job_summary_once(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_calc=PROJECT)
    summary = pytester.path / "step_summary.md"
    summary.write_text("## Build\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = run_uok("-n", "2", subprocess=True)
    assert run.ret == 1
    text = summary.read_text("utf-8")
    assert text.startswith("## Build\n# ❌ pytest-uok: failed")
    assert text.count("# ❌ pytest-uok: failed") == 1
    assert text.endswith((run.out / "report.md").read_text("utf-8"))
    assert outcome_counts((run.out / "metrics.prom").read_text("utf-8"))["failed"] == 1


def test_the_sample_report_script_renders_a_project(
    pytester: pytest.Pytester, run_shell: Callable[..., Any]
) -> None:
    pytester.makepyfile(test_calc=PROJECT)
    script = Path(__file__).resolve().parents[2] / "scripts" / "render_sample_report.py"
    target = pytester.path / "sample.md"
    result = run_shell(quoted("python", str(script), str(pytester.path), "-o", str(target)), pytester.path)
    assert result.returncode == 0, result.stdout + result.stderr
    text = target.read_text("utf-8")
    assert text.startswith("<!-- Generated by scripts/render_sample_report.py")
    assert "### `test_calc.py::test_total`" in text
    assert "pytest test_calc.py::test_total" in text


def test_a_pushgateway_that_never_answers_times_out_and_only_warns(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections are queued, never answered
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        run = run_uok("--uok-pushgateway", url, "--uok-pushgateway-timeout", "0.5")
    assert run.ret == 0
    run.result.stdout.fnmatch_lines(
        [f"uok warning: could not push metrics to the Pushgateway {url}: *timed out*"]
    )
    [event] = [e for e in run.events if e["kind"] == "metrics_push_failed"]
    assert "timed out" in event["data"]["error"]


def test_without_artifacts_nothing_is_pushed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest(
        "--uok-no-artifacts", "--uok-pushgateway", f"http://127.0.0.1:{closed_port()}"
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(["uok warning: metrics not pushed: artifacts are off (--uok-no-artifacts)"])
    assert not (pytester.path / ".uok").exists()


def test_no_reports_of_an_earlier_run_when_this_runs_summary_was_not_written(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    (pytester.path / "blocked").write_text("a file where the artifact folder's parent should be")
    result = pytester.runpytest("--uok-out", "blocked/out")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["uok: reports not written: this run's summary.json was not written"])


def test_gating_written_artifacts_renders_the_reports_again(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun], run_shell: Callable[..., Any]
) -> None:
    pytester.makepyfile(test_calc=PROJECT)
    run = run_uok()
    assert "Gate verdict" not in (run.out / "report.md").read_text("utf-8")
    result = run_shell(quoted("pytest-uok", "gate", str(run.out)), pytester.path)
    assert result.returncode == 1, result.stderr
    assert "## Gate verdict" in (run.out / "report.md").read_text("utf-8")
    assert "uok_gate_runs_total" in (run.out / "metrics.prom").read_text("utf-8")
