"""metrics.prom: the run's metrics, their names and labels, and what tools make of the text."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from pytest_uok.core.metrics import (
    DURATION_BUCKETS,
    build_registry,
    push_metrics,
    render_metrics,
    shown_gateway,
)
from pytest_uok.core.runview import breaker_code, load_run
from tests.helpers.runs import TRIAGE, VERDICT, entry, failure_doc, sample_tests, summary_doc, write_run


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    found = samples(text)
    key = (name, tuple(sorted(labels.items())))
    assert key in found, f"{name}{labels} not in {sorted(k for k in found if k[0] == name)}"
    return found[key]


@pytest.fixture
def full_run(tmp_path: Path) -> Path:
    return write_run(
        tmp_path / "run",
        {
            "summary.json": summary_doc(sample_tests()),
            "failure_digest.json": failure_doc("tests/test_calc.py::test_div"),
            "verdict.json": VERDICT,
            "triage_diff.json": TRIAGE,
        },
    )


def test_tests_by_suite_and_outcome_with_zero_series_for_outcomes_that_did_not_happen(full_run: Path) -> None:
    text = render_metrics(load_run(full_run))
    assert value(text, "uok_tests_total", shard="0/1", suite="unit", outcome="passed") == 1
    assert value(text, "uok_tests_total", shard="0/1", suite="unit", outcome="failed") == 1
    assert value(text, "uok_tests_total", shard="0/1", suite="e2e", outcome="flaky") == 1
    assert value(text, "uok_tests_total", shard="0/1", suite="unclassified", outcome="passed") == 1
    assert value(text, "uok_tests_total", shard="0/1", suite="unit", outcome="error") == 0
    assert value(text, "uok_flaky_tests", shard="0/1") == 1
    assert value(text, "uok_quarantined_tests", shard="0/1") == 1
    assert value(text, "uok_waived_tests", shard="0/1") == 1
    assert value(text, "uok_session_duration_seconds", shard="0/1") == 7.0
    assert value(text, "uok_session_exit_status", shard="0/1") == 1


def test_gate_runs_durations_and_breaker_states(full_run: Path) -> None:
    text = render_metrics(load_run(full_run))
    assert value(text, "uok_gate_runs_total", shard="0/1", gate="tests-green", status="fail") == 1
    assert value(text, "uok_gate_runs_total", shard="0/1", gate="tests-green", status="pass") == 0
    assert value(text, "uok_gate_runs_total", shard="0/1", gate="coverage", status="warn") == 1
    assert value(text, "uok_gate_duration_seconds", shard="0/1", gate="coverage") == 1.5
    assert value(text, "uok_gate_attempts", shard="0/1", gate="coverage") == 2
    assert value(text, "uok_gate_breaker_state", shard="0/1", gate="waivers") == 0
    assert value(text, "uok_gate_breaker_state", shard="0/1", gate="coverage") == 1
    assert value(text, "uok_gate_breaker_state", shard="0/1", gate="tests-green") == 2
    assert value(text, "uok_verdict_passed", shard="0/1", mode="strict") == 0
    assert value(text, "uok_verdict_failed_gates", shard="0/1") == 1
    assert value(text, "uok_triage_regressions", shard="0/1") == 1
    assert value(text, "uok_triage_status", shard="0/1", status="regression") == 1


def test_without_gates_or_triage_there_are_no_gate_series(tmp_path: Path) -> None:
    folder = write_run(tmp_path, {"summary.json": summary_doc(sample_tests())})
    names = {family.name for family in text_string_to_metric_families(render_metrics(load_run(folder)))}
    assert "uok_tests" in names
    assert not {n for n in names if n.startswith(("uok_gate", "uok_verdict", "uok_triage"))}


def test_breakers_kept_apart_from_the_verdict_are_read(tmp_path: Path) -> None:
    # The gates keep every breaker in gate_breakers.json; verdict.json names only those not closed.
    verdict = json.loads(json.dumps(VERDICT))
    for gate in verdict["gates"]:
        gate["breaker"] = None
    breakers = {
        "schema": "uok.gate_breakers.v1",
        "breakers": {
            "coverage": {"state": "open", "consecutive_errors": 3},
            "waivers": {"state": "half-open"},
        },
    }
    folder = write_run(
        tmp_path,
        {
            "summary.json": summary_doc(sample_tests()),
            "verdict.json": verdict,
            "gate_breakers.json": breakers,
        },
    )
    text = render_metrics(load_run(folder))
    assert value(text, "uok_gate_breaker_state", shard="0/1", gate="coverage") == 2
    assert value(text, "uok_gate_breaker_state", shard="0/1", gate="waivers") == 1
    assert value(text, "uok_gate_breaker_state", shard="0/1", gate="tests-green") == 0


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("closed", 0),
        ("half-open", 1),
        ("HALF_OPEN", 1),
        ("open", 2),
        (2, 2),
        ({"state": "closed"}, 0),
        ("?", None),
        (True, None),
    ],
)
def test_breaker_codes(state: object, code: int | None) -> None:
    assert breaker_code(state) == code


def test_names_follow_prometheus_conventions(full_run: Path) -> None:
    for family in text_string_to_metric_families(render_metrics(load_run(full_run))):
        assert family.name.startswith("uok_")
        assert family.documentation
        for sample in family.samples:
            assert "shard" in sample.labels
            if family.type == "counter":
                assert sample.name.endswith("_total")
        if "duration" in family.name:
            assert family.name.endswith("_seconds")


def test_shard_label_says_index_of_total(tmp_path: Path) -> None:
    folder = write_run(tmp_path, {"summary.json": summary_doc(sample_tests(), shard=(1, 3))})
    text = render_metrics(load_run(folder))
    assert value(text, "uok_tests_total", shard="1/3", suite="unit", outcome="passed") == 1


def test_a_dedicated_registry_leaves_the_global_one_alone(full_run: Path) -> None:
    before = set(REGISTRY._names_to_collectors)
    registry = build_registry(load_run(full_run))
    assert registry is not REGISTRY
    assert set(REGISTRY._names_to_collectors) == before
    assert not any(name.startswith("uok_") for name in REGISTRY._names_to_collectors)


def test_no_sample_timestamps_so_the_textfile_collector_accepts_the_file(full_run: Path) -> None:
    for family in text_string_to_metric_families(render_metrics(load_run(full_run))):
        assert all(sample.timestamp is None for sample in family.samples)


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), max_size=60))
def test_histogram_buckets_are_cumulative_and_count_every_test(durations: list[float]) -> None:
    from pytest_uok.core.metrics import _histogram_buckets

    buckets, total = _histogram_buckets(durations)
    counts = [count for _, count in buckets]
    assert counts == sorted(counts)
    assert counts[-1] == len(durations)
    assert buckets[-1][0] == "+Inf"
    assert total == pytest.approx(sum(durations))
    for (bound, count), upper in zip(buckets, DURATION_BUCKETS, strict=False):
        assert float(bound) == upper
        assert count == sum(1 for d in durations if d <= upper)


def test_histogram_of_a_run(tmp_path: Path) -> None:
    tests = [
        entry(f"t.py::test_{i}", duration=d, suite="unit") for i, d in enumerate([0.001, 0.3, 0.3, 42.0])
    ]
    text = render_metrics(load_run(write_run(tmp_path, {"summary.json": summary_doc(tests)})))
    assert value(text, "uok_test_duration_seconds_bucket", shard="0/1", suite="unit", le="0.005") == 1
    assert value(text, "uok_test_duration_seconds_bucket", shard="0/1", suite="unit", le="0.5") == 3
    assert value(text, "uok_test_duration_seconds_bucket", shard="0/1", suite="unit", le="+Inf") == 4
    assert value(text, "uok_test_duration_seconds_count", shard="0/1", suite="unit") == 4
    assert value(text, "uok_test_duration_seconds_sum", shard="0/1", suite="unit") == pytest.approx(42.601)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool absent: apt-get install prometheus")
def test_promtool_accepts_the_metrics(full_run: Path) -> None:
    text = render_metrics(load_run(full_run))
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout
    assert result.stderr.strip() == "", result.stderr


def test_credentials_in_the_address_become_basic_auth_and_are_never_shown(full_run: Path) -> None:
    import base64
    import http.server
    import threading

    seen: list[tuple[str, str, str | None]] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.command, self.path, self.headers.get("Authorization")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://ci%40team:s3cr%3At@127.0.0.1:{server.server_port}"
        push_metrics(load_run(full_run), url, job="nightly", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    [(method, path, auth)] = seen
    assert (method, path) == ("PUT", "/metrics/job/nightly/shard@base64/MC8x")
    assert auth == "Basic " + base64.b64encode(b"ci@team:s3cr:t").decode()
    assert shown_gateway(url) == f"http://***@127.0.0.1:{server.server_port}"
    assert shown_gateway("gw:9091") == "gw:9091"
