"""Artifact folders written by hand, for testing what is rendered from them without running pytest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

#: A verdict.json as the gates write it; a breaker's state is named only when not closed.
VERDICT: dict[str, Any] = {
    "schema": "uok.verdict.v1",
    "run_id": "20260101T000000Z-abcdef12",
    "evaluated_at": "2026-01-01T00:00:08Z",
    "source": "session",
    "overall": "fail",
    "mode": "strict",
    "rollback": None,
    "failed_gates": ["tests-green"],
    "gates": [
        {
            "id": "tests-green",
            "kind": "builtin",
            "status": "fail",
            "blocking": True,
            "detail": "1 test failed",
            "reproduce_command": "pytest --uok-rerun-from .uok/summary.json",
            "evidence": ["summary.json"],
            "duration_s": 0.25,
            "attempts": 1,
            "demoted": False,
            "breaker": "open",
        },
        {
            "id": "waivers",
            "kind": "builtin",
            "status": "pass",
            "blocking": True,
            "detail": "every waiver is valid",
            "reproduce_command": None,
            "evidence": [],
            "duration_s": 0.01,
            "attempts": 1,
            "demoted": False,
            "breaker": None,
        },
        {
            "id": "coverage",
            "kind": "command",
            "status": "warn",
            "blocking": False,
            "detail": "line coverage 78% is under 80%",
            "reproduce_command": "pytest --cov",
            "evidence": [],
            "duration_s": 1.5,
            "attempts": 2,
            "demoted": False,
            "breaker": "half-open",
        },
    ],
    "blockers": [
        {
            "kind": "failed_test",
            "gate": "tests-green",
            "subject": "tests/test_calc.py::test_div",
            "detail": "failed",
        }
    ],
    "operator_next_actions": ["pytest --uok-rerun-from .uok/summary.json"],
    "health": {"status": "needs-repair", "reasons": ["the breaker of tests-green is open"]},
}

#: A triage_diff.json as the triage writes it.
TRIAGE: dict[str, Any] = {
    "schema": "uok.triage_diff.v1",
    "run_id": "20260101T000000Z-abcdef12",
    "status": "regression",
    "baseline": {
        "run_id": "20251231T000000Z-00000000",
        "source": "summary",
        "path": "base/summary.json",
        "git_sha": "fedcba9876543210",
        "branch": "main",
        "started_at": "2025-12-31T00:00:00Z",
    },
    "scope": "full",
    "summary": {
        "status": "regression",
        "baseline_run_id": "20251231T000000Z-00000000",
        "regression_count": 1,
        "new_failure_count": 0,
        "new_collection_errors": 0,
        "fixed_count": 0,
        "still_failing_count": 0,
        "unchanged_count": 5,
        "compared": 6,
        "new_tests": 1,
        "removed_tests": 0,
        "not_run": 0,
        "newly_flaky": 0,
        "flaky_new": 0,
        "duration_regressions": 0,
        "suite_duration_regressions": 0,
    },
    "thresholds": {"factor": 2.0, "test_floor_s": 0.5, "suite_floor_s": 5.0},
    "tests": {
        "regressed": ["tests/test_calc.py::test_div"],
        "new_failures": [],
        "fixed": [],
        "still_failing": [],
        "new": ["tests/test_calc.py::test_skip"],
        "removed": [],
        "newly_flaky": [],
        "flaky_new": [],
        "new_collection_errors": [],
    },
    "duration_regressions": [],
    "ranked_diagnostics": [
        {
            "rank": 1,
            "severity": "SEV-1",
            "kind": "regression",
            "nodeid": "tests/test_calc.py::test_div",
            "suite": "unit",
            "change": "passed -> failed",
            "detail": "ZeroDivisionError",
            "replay_command": "pytest tests/test_calc.py::test_div",
        }
    ],
    "recommended_commands": {
        "runner_repro_command": "pytest tests/test_calc.py::test_div",
        "ranked_repro_commands": ["pytest tests/test_calc.py::test_div"],
    },
}


def entry(
    nodeid: str, outcome: str = "passed", duration: float = 0.01, suite: str | None = None
) -> dict[str, Any]:
    attempts = [{"outcome": outcome, "duration_s": duration, "phase": None}]
    if outcome == "flaky":
        attempts = [
            {"outcome": "failed", "duration_s": duration / 2, "phase": "call"},
            {"outcome": "passed", "duration_s": duration / 2, "phase": None},
        ]
    return {
        "nodeid": nodeid,
        "file": nodeid.split("::", 1)[0],
        "outcome": outcome,
        "duration_s": duration,
        "suite": suite,
        "phase": "call" if outcome == "failed" else None,
        "attempts": attempts,
        "subtests": None,
    }


def summary_doc(tests: list[dict[str, Any]], shard: tuple[int, int] = (0, 1), **extra: Any) -> dict[str, Any]:
    outcomes = Counter(t["outcome"] for t in tests)
    failed = [t["nodeid"] for t in tests if t["outcome"] in ("failed", "error")]
    doc: dict[str, Any] = {
        "schema": "uok.summary.v1",
        "run_id": "20260101T000000Z-abcdef12",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:07Z",
        "duration_s": 7.0,
        "exit_status": 1 if failed else 0,
        "interrupted": False,
        "complete": True,
        "rootdir": "/project",
        "invocation": [],
        "git_sha": "0123456789abcdef",
        "counts": {},
        "outcomes": dict(outcomes),
        "failed_names": failed,
        "shard": {"kind": "test" if shard[1] > 1 else "none", "index": shard[0], "total": shard[1]},
        "replay_bundle": {
            "one_command_replay": "pytest --uok-rerun-from .uok/summary.json" if failed else None
        },
        "tests": tests,
    }
    doc.update(extra)
    return doc


def failure_doc(nodeid: str, message: str = "assert 1 == 2") -> dict[str, Any]:
    return {
        "schema": "uok.failure_digest.v1",
        "run_id": "20260101T000000Z-abcdef12",
        "failures": [
            {
                "nodeid": nodeid,
                "suite": "unit",
                "outcome": "failed",
                "phase": "call",
                "root_cause_class": "assertion_failure",
                "exception_type": "AssertionError",
                "first_failing_assertion": {"path": nodeid.split("::")[0], "line": 7, "message": message},
                "remediation_pointer": {
                    "replay_command": "pytest --uok-rerun-from .uok/summary.json",
                    "suite_replay_command": "pytest " + nodeid.split("::")[0],
                    "targeted_test_replay_command": f"pytest '{nodeid}'",
                },
                "excerpts": {"longrepr": message},
            }
        ],
    }


def write_run(folder: Path, documents: dict[str, dict[str, Any]]) -> Path:
    """Write artifact documents (file name -> JSON object) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in documents.items():
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return folder


def sample_tests() -> list[dict[str, Any]]:
    return [
        entry("tests/test_calc.py::test_add", "passed", 0.004, "unit"),
        entry("tests/test_calc.py::test_div", "failed", 0.2, "unit"),
        entry("tests/test_calc.py::test_skip", "skipped", 0.0, "unit"),
        entry("tests/test_net.py::test_retry", "flaky", 1.2, "e2e"),
        entry("tests/test_net.py::test_slow_dns", "quarantined", 3.5, "e2e"),
        entry("tests/test_net.py::test_legacy", "waived", 0.3, "e2e"),
        entry("tests/test_other.py::test_x", "passed", 0.02, None),
    ]
