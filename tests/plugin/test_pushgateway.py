"""Pushing a run's metrics to a real Prometheus Pushgateway and reading them back from its API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.cli import main
from tests.conftest import UokRun
from tests.helpers.runs import entry, summary_doc, write_run

PUSHGATEWAY = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Pushgateway on a free loopback port, without persistence, stopped at teardown."""
    if not Path(PUSHGATEWAY).exists():
        pytest.skip("prometheus-pushgateway is not installed: sudo apt-get install -y prometheus-pushgateway")
    port = free_port()
    log = tmp_path_factory.mktemp("pushgateway") / "pushgateway.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Pushgateway did not start: {log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def group(gateway: str, job: str, shard: str) -> dict[str, Any]:
    """The gateway's metric group for (job, shard), as its own API reports it."""
    answer = get_json(f"{gateway}/api/v1/metrics")
    assert answer["status"] == "success"
    for found in answer["data"]:
        if found["labels"].get("job") == job and found["labels"].get("shard") == shard:
            return dict(found)
    raise AssertionError(f"no group job={job} shard={shard} in {[e['labels'] for e in answer['data']]}")


def value(metric: dict[str, Any], **labels: str) -> float:
    for sample in metric["metrics"]:
        if all(sample["labels"].get(k) == v for k, v in labels.items()):
            return float(sample["value"])
    raise AssertionError(f"no sample with {labels} in {metric['metrics']}")


def test_a_session_pushes_its_metrics(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun], pushgateway: str
) -> None:
    pytester.makepyfile(
        test_calc="""
        def test_add():
            assert 1 + 1 == 2

        def test_sub():
            assert 1 - 1 == 1
        """
    )
    run = run_uok("--uok-pushgateway", pushgateway, "--uok-pushgateway-job", "calc-ci")
    assert run.ret == 1
    run.result.stdout.fnmatch_lines([f"metrics pushed to {pushgateway} (job calc-ci, shard 0/1)"])
    pushed = group(pushgateway, "calc-ci", "0/1")
    assert pushed["last_push_successful"] is True
    tests = pushed["uok_tests_total"]
    assert tests["type"] == "COUNTER"
    assert value(tests, outcome="passed", suite="unclassified") == 1
    assert value(tests, outcome="failed", suite="unclassified") == 1
    histogram = pushed["uok_test_duration_seconds"]
    assert histogram["type"] == "HISTOGRAM"
    assert histogram["metrics"][0]["count"] == "2"
    assert value(pushed["uok_run_info"]) == 1
    assert pushed["uok_run_info"]["metrics"][0]["labels"]["run_id"] == run.summary["run_id"]
    assert [e["kind"] for e in run.events].count("metrics_pushed") == 1


def test_each_shard_has_its_own_group(
    tmp_path: Path, pushgateway: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in (0, 1):
        tests = [entry(f"t.py::test_{index}", "passed", 0.5)]
        write_run(tmp_path / f"shard-{index}", {"summary.json": summary_doc(tests, shard=(index, 2))})
    # One command for the whole artifact folder renders and pushes every shard's subfolder.
    assert main(["report", str(tmp_path), "--pushgateway", pushgateway, "--job", "sharded"]) == 0
    assert f"pushed metrics to {pushgateway} (job sharded, shard 1/2)" in capsys.readouterr().out
    for shard in ("0/2", "1/2"):
        pushed = group(pushgateway, "sharded", shard)
        assert value(pushed["uok_tests_total"], outcome="passed", suite="unclassified") == 1
