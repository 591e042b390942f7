"""A run's Prometheus metrics: built from its artifacts into a dedicated registry, rendered or pushed.

The metrics describe one finished run, so they are rebuilt from the artifacts each time and
kept in their own ``CollectorRegistry``: nothing leaks into (or out of) the process-wide
default registry of the project under test. Every series carries a ``shard`` label
(``index/total``, ``0/1`` when unsharded). The text has no sample timestamps, so
node_exporter's textfile collector accepts it as is.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, generate_latest, push_to_gateway
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import basic_auth_handler, default_handler

from pytest_uok.core.outcomes import ALL_OUTCOMES
from pytest_uok.core.runview import UNCLASSIFIED, RunView, breaker_code

METRICS_FILE = "metrics.prom"
DEFAULT_JOB = "pytest-uok"

#: Upper bounds of the test-duration histogram, in seconds: unit tests to slow end-to-end tests.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
#: Gate statuses, each exported so that a dashboard sees a 0 rather than a missing series.
GATE_STATUSES = ("pass", "fail", "warn", "skip", "manual-attention")
TRIAGE_STATUSES = ("regression", "stable", "known_failures_only", "improved")


def _histogram_buckets(values: Iterable[float]) -> tuple[list[tuple[str, float]], float]:
    """Cumulative buckets and the sum of ``values``, counted in one pass with bisect."""
    counts = [0] * (len(DURATION_BUCKETS) + 1)
    total = 0.0
    for value in values:
        counts[bisect_left(DURATION_BUCKETS, value)] += 1
        total += value
    buckets: list[tuple[str, float]] = []
    running = 0
    for bound, count in zip((*(repr(b) for b in DURATION_BUCKETS), "+Inf"), counts, strict=True):
        running += count
        buckets.append((bound, float(running)))
    return buckets, total


class RunCollector:
    """A collector over one RunView; ``collect`` yields the run's metric families."""

    def __init__(self, view: RunView) -> None:
        self.view = view
        self.shard = view.shard_label

    def collect(self) -> Iterator[Metric]:
        yield from self._session()
        yield from self._tests()
        yield from self._gates()
        yield from self._triage()
        yield from self._policy()

    def _gauge(self, name: str, doc: str, value: float, **labels: str) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, doc, labels=["shard", *labels])
        family.add_metric([self.shard, *labels.values()], value)
        return family

    def _session(self) -> Iterator[Metric]:
        s = self.view.summary
        info = GaugeMetricFamily(
            "uok_run_info",
            "The run these metrics describe (always 1).",
            labels=["shard", "run_id", "git_sha", "shard_kind"],
        )
        info.add_metric([self.shard, s.run_id, s.git_sha or "", s.shard.kind], 1)
        yield info
        yield self._gauge("uok_session_duration_seconds", "Wall time of the pytest session.", s.duration_s)
        if s.exit_status is not None:
            yield self._gauge("uok_session_exit_status", "pytest's exit status.", s.exit_status)
        yield self._gauge(
            "uok_session_complete",
            "1 when the session ran to its end and every artifact was built.",
            int(s.complete),
        )
        if s.finished_at is not None:
            yield self._gauge(
                "uok_session_finished_timestamp_seconds",
                "When the session finished, in seconds since the epoch.",
                s.finished_at.timestamp(),
            )
        yield self._gauge(
            "uok_collection_errors", "Files or nodes that could not be collected.", len(s.collection_errors)
        )
        if s.total_suites:
            yield self._gauge("uok_suites", "Suites with tests in this run.", s.total_suites)
            yield self._gauge("uok_suites_passed", "Suites whose every test passed.", s.passed_suites)

    def _tests(self) -> Iterator[Metric]:
        by_suite = self.view.suite_outcomes()
        tests = CounterMetricFamily(
            "uok_tests", "Tests by final outcome and suite.", labels=["shard", "suite", "outcome"]
        )
        for suite, outcomes in by_suite.items():
            for outcome in (*ALL_OUTCOMES, *sorted(set(outcomes) - set(ALL_OUTCOMES))):
                tests.add_metric([self.shard, suite, outcome], outcomes.get(outcome, 0))
        yield tests
        histogram = HistogramMetricFamily(
            "uok_test_duration_seconds",
            "Duration of each test (all phases and attempts), by suite.",
            labels=["shard", "suite"],
        )
        durations: dict[str, list[float]] = {suite: [] for suite in by_suite}
        for test in self.view.tests:
            durations[test.suite or UNCLASSIFIED].append(test.duration_s)
        for suite, values in durations.items():
            buckets, total = _histogram_buckets(values)
            histogram.add_metric([self.shard, suite], buckets, total)
        yield histogram
        outcomes = self.view.summary.outcomes
        for outcome, doc in (
            ("flaky", "Tests that failed and then passed on a rerun."),
            ("quarantined", "Tests that failed while quarantined."),
            ("waived", "Tests that failed under a valid waiver."),
        ):
            yield self._gauge(f"uok_{outcome}_tests", doc, outcomes.get(outcome, 0))

    def _gates(self) -> Iterator[Metric]:
        verdict = self.view.verdict
        if verdict is None:
            return
        yield self._gauge(
            "uok_verdict_passed",
            "1 when the gate verdict passed, 0 when it failed.",
            1 if verdict.overall == "pass" else 0,
            mode=verdict.mode or "",
        )
        yield self._gauge(
            "uok_verdict_failed_gates", "Blocking gates that failed.", len(verdict.failed_gates)
        )
        if not verdict.gates:
            return
        runs = CounterMetricFamily(
            "uok_gate_runs", "Gate evaluations by gate and status.", labels=["shard", "gate", "status"]
        )
        seconds = GaugeMetricFamily(
            "uok_gate_duration_seconds", "Time spent evaluating each gate.", labels=["shard", "gate"]
        )
        attempts = GaugeMetricFamily(
            "uok_gate_attempts", "Attempts each gate needed (retries included).", labels=["shard", "gate"]
        )
        blocking = GaugeMetricFamily(
            "uok_gate_blocking", "1 when the gate blocks the verdict.", labels=["shard", "gate"]
        )
        breaker = GaugeMetricFamily(
            "uok_gate_breaker_state",
            "Circuit-breaker state per gate: 0 closed, 1 half-open, 2 open.",
            labels=["shard", "gate"],
        )
        for gate in verdict.gates:
            statuses = GATE_STATUSES if gate.status in GATE_STATUSES else (*GATE_STATUSES, gate.status)
            for status in statuses:
                runs.add_metric([self.shard, gate.id, status], 1 if status == gate.status else 0)
            blocking.add_metric([self.shard, gate.id], 1 if gate.blocking else 0)
            if gate.duration_s is not None:
                seconds.add_metric([self.shard, gate.id], gate.duration_s)
            if gate.attempts is not None:
                attempts.add_metric([self.shard, gate.id], gate.attempts)
            code = breaker_code(gate.breaker)
            if code is not None:
                breaker.add_metric([self.shard, gate.id], code)
        for family in (runs, seconds, attempts, blocking, breaker):
            if family.samples:
                yield family

    def _triage(self) -> Iterator[Metric]:
        triage = self.view.triage
        if triage is None:
            return
        status = GaugeMetricFamily(
            "uok_triage_status",
            "1 for the status of the comparison with the baseline run.",
            labels=["shard", "status"],
        )
        known = TRIAGE_STATUSES if triage.status in TRIAGE_STATUSES else (*TRIAGE_STATUSES, triage.status)
        for name in known:
            status.add_metric([self.shard, name], 1 if name == triage.status else 0)
        yield status
        if triage.regression_count is not None:
            yield self._gauge(
                "uok_triage_regressions",
                "Tests failing now that passed in the baseline.",
                triage.regression_count,
            )

    def _policy(self) -> Iterator[Metric]:
        entries = self.view.policy_entries
        if not entries:
            return
        family = GaugeMetricFamily(
            "uok_policy_entries",
            "Waiver and quarantine entries of the policy file by state.",
            labels=["shard", "kind", "state"],
        )
        counts: dict[tuple[str, str], int] = {}
        for entry in entries:
            key = (str(entry.get("kind", "")), str(entry.get("state", "")))
            counts[key] = counts.get(key, 0) + 1
        for (kind, state), count in sorted(counts.items()):
            family.add_metric([self.shard, kind, state], count)
        yield family


def build_registry(view: RunView) -> CollectorRegistry:
    """A fresh registry holding only this run's metrics (never the global default registry)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(view))
    return registry


def render_metrics(view: RunView) -> str:
    """The Prometheus text exposition of the run."""
    text: str = generate_latest(build_registry(view)).decode("utf-8")
    return text


def grouping_key(view: RunView) -> dict[str, str]:
    """The labels besides ``job`` that keep shards of one job apart on a Pushgateway."""
    return {"shard": view.shard_label}


def split_credentials(gateway: str) -> tuple[str, str | None, str | None]:
    """The address without ``user:password@``, and the user and password it carried."""
    parts = urlsplit(gateway if "://" in gateway else f"http://{gateway}")
    if parts.username is None:
        return gateway, None, None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, unquote(parts.username), unquote(parts.password or "")


def shown_gateway(gateway: str) -> str:
    """The address as terminals and events may show it: credentials never appear."""
    bare, user, _ = split_credentials(gateway)
    if user is None:
        return gateway
    scheme, sep, rest = bare.partition("://")
    return f"{scheme}{sep}***@{rest}"


def push_metrics(view: RunView, gateway: str, job: str = DEFAULT_JOB, timeout: float = 10.0) -> None:
    """Replace this job and shard's group on the Pushgateway with the run's metrics.

    ``user:password@`` in the address is sent as HTTP basic auth. Raises whatever the HTTP
    client raises (OSError, URLError, HTTPError, ValueError); the caller decides how loud an
    unreachable gateway is.
    """
    bare, user, password = split_credentials(gateway)
    handler: Any = default_handler
    if user is not None:

        def handler(url: str, method: str, timeout: float | None, headers: Any, data: bytes) -> Any:
            return basic_auth_handler(url, method, timeout, headers, data, user, password)

    push_to_gateway(
        bare,
        job=job,
        registry=build_registry(view),
        grouping_key=grouping_key(view),
        timeout=timeout,
        handler=handler,
    )


def describe_push_error(exc: BaseException) -> str:
    """One line saying why a push failed, without a traceback."""
    reason: Any = getattr(exc, "reason", None)
    code = getattr(exc, "code", None)
    if code is not None:
        return f"HTTP {code} {reason or ''}".strip()
    if reason is not None:
        return str(reason)
    return str(exc) or type(exc).__name__
