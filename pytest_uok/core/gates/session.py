"""One gating pass over an artifact folder: config, gates, verdict.json, and the summary's verdict block.

``pytest --uok-gate`` and ``pytest-uok gate DIR`` both come here, so both give the same verdict.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from pytest_uok.core.artifacts import dump
from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.events import EventStream, read_events
from pytest_uok.core.gates import validated
from pytest_uok.core.gates.breaker import BreakerStore, Clock, system_clock
from pytest_uok.core.gates.config import GatesConfig, load_gates_config
from pytest_uok.core.gates.evidence import INDEX, required_artifacts, write_index
from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.registry import OPTION_MODELS, all_gates
from pytest_uok.core.gates.result import Gate, GateError
from pytest_uok.core.gates.rollback import resolve_rollback
from pytest_uok.core.gates.runner import GateRunner, order_gates, requirement_graph
from pytest_uok.core.gates.verdict import build_verdict, verdict_summary
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.models.verdict import Verdict
from pytest_uok.core.summary_file import WrittenSummary, set_header_field
from pytest_uok.core.triage import TRIAGE_DIFF

VERDICT = "verdict.json"
#: The exit code of a run whose tests passed but whose verdict failed (pytest uses 0-5).
EXIT_GATE_FAILED = 6


def load_config(policy_path: Path | None, custom: Sequence[Gate] = ()) -> GatesConfig:
    """The validated gates configuration; a bad table or a ``requires`` cycle is a UokInputError."""
    config = load_gates_config(policy_path, OPTION_MODELS)
    try:
        order_gates(requirement_graph(all_gates(config, custom), config))
    except UokInputError as exc:
        raise UokInputError(f"{policy_path}: {exc.message}") from None
    return config


@dataclass
class GatingOutcome:
    """What a gating pass produced."""

    verdict: Verdict
    errors: list[str] = field(default_factory=list)


def _next_seq(path: Path, run_id: str) -> int:
    seqs = [e.get("seq", -1) for e in read_events(path) if e.get("run_id") == run_id]
    return max([s for s in seqs if isinstance(s, int)], default=-1) + 1


def _rewrite_summary(out_dir: Path, key: str, block: BaseModel) -> str | None:
    """Add ``block`` to summary.json under ``key`` (the verdict, the triage)."""
    path = out_dir / "summary.json"
    try:
        # The one top-level field set in place: a summary of 100k tests is not parsed and
        # serialized again for it, nor held in memory.
        done = set_header_field(path, key, block.model_dump_json(indent=1).replace("\n", "\n "))
        if done is None:
            data = json.loads(path.read_bytes().decode("utf-8"))
            data[key] = block.model_dump(mode="json")
            atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    except (OSError, ValueError) as exc:
        return f"could not add the {key.replace('_', ' ')} to {path}: {exc}"
    if done is not None and validated.known(path, done.before) == (Summary.SCHEMA_ID, ""):
        # A valid summary with one unset field set to a block made by its own model stays
        # valid: the index refresh need not validate the whole file again.
        validated.remember(path, done.after, (Summary.SCHEMA_ID, ""))
    return None


def _record_triage(out_dir: Path, facts: RunFacts) -> list[str]:
    """With a baseline given, write its comparison as a session would: triage_diff.json and the block."""
    try:
        triage = facts.triage
    except GateError:
        return []  # the regression gate already reported why the comparison failed
    if triage is None:
        return []
    try:
        atomic_write_text(out_dir / TRIAGE_DIFF, dump(triage))
    except OSError as exc:
        return [f"could not write {out_dir / TRIAGE_DIFF}: {exc.strerror or exc}"]
    error = _rewrite_summary(out_dir, "triage_diff", triage.summary)
    return [error] if error else []


def run_gates(
    out_dir: Path,
    *,
    policy_path: Path | None,
    source: Literal["session", "artifacts"],
    custom: Sequence[Gate] = (),
    events: EventStream | None = None,
    clock: Clock = system_clock,
    environ: Mapping[str, str] | None = None,
    only: Sequence[str] | None = None,
    baseline: Path | None = None,
    gate_command: str | None = None,
    persist: bool = True,
    written: WrittenSummary | None = None,
) -> GatingOutcome:
    """Evaluate every gate over ``out_dir`` and write verdict.json (raises UokInputError on bad config).

    ``written`` is the summary the calling session wrote into ``out_dir``, read from memory.
    """
    config = load_config(policy_path, custom)
    rollback = resolve_rollback(os.environ if environ is None else environ, clock())
    facts = RunFacts(out_dir, policy_path, baseline, gate_command, written)
    try:
        run_id = facts.summary.run_id
    except Exception:
        run_id = "unknown"
    if events is None and persist:
        events = EventStream(out_dir / "events.jsonl", run_id)
        events.seq = _next_seq(events.path, run_id)
    breakers = BreakerStore(out_dir if persist else None)
    notes = [breakers.problem] if breakers.problem else []
    runner = GateRunner(
        all_gates(config, custom),
        config,
        clock=clock,
        breakers=breakers,
        rollback=rollback,
        events=events,
        only=only,
    )
    evaluated = runner.run(facts)
    verdict = build_verdict(evaluated, facts, rollback, source, run_id, notes)
    errors: list[str] = []
    if not persist:
        return GatingOutcome(verdict, errors)
    for error in (breakers.save(),):
        if error:
            errors.append(error)
    try:
        atomic_write_text(out_dir / VERDICT, dump(verdict))
    except OSError as exc:
        errors.append(f"could not write {out_dir / VERDICT}: {exc.strerror or exc}")
    if baseline is not None:
        errors.extend(_record_triage(out_dir, facts))
    if not only:
        error = _rewrite_summary(out_dir, "verdict", verdict_summary(verdict))
        if error:
            errors.append(error)
    if events is not None:
        events.emit(
            "verdict",
            overall=verdict.overall,
            mode=verdict.mode,
            failed_gates=verdict.failed_gates,
            health=verdict.health.status,
        )
        errors.extend(events.errors)
    if (out_dir / INDEX).exists():
        # Refresh the evidence index so it covers verdict.json and the final summary.json.
        try:
            configured = config.settings("evidence_bundle").options.get("required")
            write_index(out_dir, run_id, required_artifacts(facts, configured))
        except OSError as exc:
            errors.append(f"could not refresh {out_dir / INDEX}: {exc.strerror or exc}")
    return GatingOutcome(verdict, errors)


#: pytest's exit code for a run in which tests failed: the verdict of the test_results gate.
TESTS_FAILED = 1


def gate_exit_code(verdict: Verdict, tests_exit: int | None, judges_tests: bool = True) -> int:
    """pytest's own non-zero code stands; a failed verdict after green tests is EXIT_GATE_FAILED.

    ``judges_tests`` False: the gates evaluated leave out test_results (``pytest-uok gate
    --only``), so the tests' failures (exit code 1) are not this verdict's to report and the
    evaluated gates alone decide. A run that was interrupted, crashed or collected nothing
    (2, 3, 4, 5) is no basis for any gate: its code stands either way.
    """
    if tests_exit and (judges_tests or tests_exit != TESTS_FAILED):
        return tests_exit
    return EXIT_GATE_FAILED if verdict.overall == "fail" else 0


__all__ = [
    "EXIT_GATE_FAILED",
    "TESTS_FAILED",
    "GatingOutcome",
    "UokInputError",
    "gate_exit_code",
    "load_config",
    "run_gates",
]
