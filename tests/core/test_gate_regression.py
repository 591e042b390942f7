"""The regression gate over triage_diff.json and over a baseline given to it."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_uok.core.artifacts import dump
from pytest_uok.core.gates import FAIL, PASS, SKIP, WARN, GateArtifactError, RunFacts
from pytest_uok.core.gates.builtin_triage import regression
from pytest_uok.core.triage import DiffInputs, Observation, Snapshot, diff
from tests.core.test_gate_builtins import entry, write_run


def command(nodeids: Sequence[str]) -> str:
    return shlex.join(["pytest", *nodeids])


def facts_with(tmp_path: Path, before: dict[str, str], now: dict[str, str]) -> RunFacts:
    tmp_path.mkdir(parents=True, exist_ok=True)
    facts = write_run(tmp_path, [entry(n, o) for n, o in now.items()])
    triage = diff(
        Snapshot("base", {n: Observation(o, 0.01) for n, o in before.items()}),
        Snapshot("r1", {n: Observation(o, 0.01) for n, o in now.items()}),
        DiffInputs(command=command),
    )
    (facts.out_dir / "triage_diff.json").write_text(dump(triage), encoding="utf-8")
    return facts


def test_flaky_new_tests_fail_by_default_and_newly_flaky_ones_warn(tmp_path: Path) -> None:
    facts = facts_with(tmp_path, {"t.py::a": "passed"}, {"t.py::a": "flaky", "t.py::b": "flaky"})
    result = regression(facts, {})
    assert result.status == FAIL
    assert result.detail == "1 regression against run base: 1. SEV-2 flaky_new t.py::b (new test, flaky)"
    assert result.reproduce_command == "pytest t.py::b t.py::a"
    assert regression(facts, {"flaky_new": "warn"}).status == WARN
    assert regression(facts, {"flaky_new": "ignore", "newly_flaky": "ignore"}).status == PASS


def test_a_regression_fails_whatever_the_options(tmp_path: Path) -> None:
    facts = facts_with(tmp_path, {"t.py::a": "passed"}, {"t.py::a": "failed"})
    result = regression(facts, {"flaky_new": "ignore", "newly_flaky": "ignore", "slower": "ignore"})
    assert result.status == FAIL
    assert [(b.kind, b.subject, b.detail) for b in result.blockers] == [
        ("regression", "t.py::a", "passed -> failed")
    ]


def test_improved_and_stable_pass(tmp_path: Path) -> None:
    assert regression(
        facts_with(tmp_path / "a", {"t.py::a": "failed"}, {"t.py::a": "passed"}), {}
    ).detail == ("improved against run base (1 test compared)")
    assert (
        regression(facts_with(tmp_path / "b", {"t.py::a": "passed"}, {"t.py::a": "passed"}), {}).status
        == PASS
    )


def test_without_a_baseline_it_skips_and_a_corrupt_diff_is_an_artifact_error(tmp_path: Path) -> None:
    facts = write_run(tmp_path, [entry("t.py::a")])
    assert regression(facts, {}).status == SKIP
    (facts.out_dir / "triage_diff.json").write_text('{"schema": "uok.triage_diff.v1"}', encoding="utf-8")
    with pytest.raises(GateArtifactError, match=r"is not a valid uok\.triage_diff\.v1"):
        regression(RunFacts(facts.out_dir), {})


def test_a_baseline_given_to_the_facts_wins_over_the_written_diff(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    base = write_run(tmp_path / "base", [entry("t.py::a", "passed")])
    facts = facts_with(tmp_path / "now", {"t.py::a": "failed"}, {"t.py::a": "failed"})
    assert regression(facts, {}).status == PASS  # known failure against the written diff's baseline
    against = RunFacts(facts.out_dir, baseline_dir=base.out_dir)
    result = regression(against, {})
    assert result.status == FAIL
    assert result.reproduce_command == "pytest t.py::a"
    assert str(base.out_dir) in result.evidence
