"""One run's facts as the reports and metrics show them, read from an artifact folder.

summary.json is required; every other artifact is optional. verdict.json, triage_diff.json
and waiver_audit.json are read tolerantly: validated against their model when this version
of pytest-uok has one, and shown as far as they can be read when they do not match it, with
a line in ``problems`` saying why. A report that hides a verdict because a field changed
would be worse than one that shows it with a note.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.models import ARTIFACT_MODELS
from pytest_uok.core.models.digest import FailureDigest, FailureEntry
from pytest_uok.core.models.replay import ReplayBundle
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.outcomes import PROTECTED_OUTCOMES
from pytest_uok.core.readback import load_artifact, read_json_object, validate
from pytest_uok.core.runinfo import FAILURE_DIGEST as FAILURE_DIGEST
from pytest_uok.core.runinfo import REPLAY_BUNDLE as REPLAY_BUNDLE
from pytest_uok.core.runinfo import SUMMARY as SUMMARY
from pytest_uok.core.runinfo import WAIVER_AUDIT as WAIVER_AUDIT
from pytest_uok.core.triage import TRIAGE_DIFF

VERDICT = "verdict.json"
GATE_BREAKERS = "gate_breakers.json"

#: Circuit-breaker states and the number each is exported as.
BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}
UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class GateView:
    """One gate's result as verdict.json gives it."""

    id: str
    status: str
    blocking: bool
    detail: str = ""
    reproduce_command: str | None = None
    evidence: tuple[str, ...] = ()
    duration_s: float | None = None
    attempts: int | None = None
    breaker: str | None = None


@dataclass(frozen=True)
class VerdictView:
    """The overall verdict and every gate result (gates empty when only summary.json had it)."""

    overall: str
    mode: str | None
    gates: tuple[GateView, ...]
    failed_gates: tuple[str, ...]
    next_actions: tuple[str, ...] = ()
    health: str | None = None


@dataclass(frozen=True)
class TriageView:
    """The comparison with a baseline run."""

    status: str
    regression_count: int | None
    summary: dict[str, Any]
    diagnostics: tuple[dict[str, Any], ...]
    runner_repro_command: str | None
    ranked_repro_commands: tuple[str, ...]


@dataclass(frozen=True)
class ShardLoad:
    """How much one shard of a sharded run had to do, and what the split expected."""

    index: int
    tests: int
    duration_s: float
    estimated_s: float | None = None


class AttemptFacts(Protocol):
    """What the reports read of one attempt of a test."""

    @property
    def outcome(self) -> str | None: ...


class TestFacts(Protocol):
    """What the reports and gates read of one test: a summary.json entry, or a recorded test shown as one."""

    @property
    def nodeid(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def suite(self) -> str | None: ...
    @property
    def attempts(self) -> Sequence[AttemptFacts]: ...


@dataclass
class RunView:
    """Everything a report or the metrics need, with absent artifacts as None.

    ``tests`` are the summary's entries (``summary.tests`` unless the caller holds them apart:
    a session writes them from its records and leaves the model's list empty).
    """

    summary: Summary
    folder: Path | None = None
    tests: Sequence[TestFacts] = ()
    digest: FailureDigest | None = None
    replay: ReplayBundle | None = None
    verdict: VerdictView | None = None
    triage: TriageView | None = None
    policy_entries: list[dict[str, Any]] = field(default_factory=list)
    shards: list[ShardLoad] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def shard_label(self) -> str:
        """The shard as ``--uok-shard`` spells it: ``index/total``, ``0/1`` unsharded, ``all`` merged."""
        if getattr(self.summary, "shards", None):
            return "all"
        shard = self.summary.shard
        return f"{shard.index}/{shard.total}"

    @property
    def sharded(self) -> bool:
        return self.summary.shard.total > 1 or len(self.shards) > 1

    # Cached: a run may have 100k tests, and every renderer asks these questions.
    @cached_property
    def _by_outcome(self) -> dict[str, list[TestFacts]]:
        groups: dict[str, list[TestFacts]] = {}
        for test in self.tests:
            groups.setdefault(test.outcome, []).append(test)
        return groups

    def tests_with(self, outcome: str) -> list[TestFacts]:
        return list(self._by_outcome.get(outcome, ()))

    def failures(self) -> list[FailureEntry]:
        """The digest's entries for failures that count (quarantined and waived ones are listed apart)."""
        if self.digest is None:
            return []
        return [e for e in self.digest.failures if e.outcome not in PROTECTED_OUTCOMES]

    @cached_property
    def _suite_outcomes(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for test in self.tests:
            row = table.setdefault(test.suite or UNCLASSIFIED, {})
            row[test.outcome] = row.get(test.outcome, 0) + 1
        return dict(sorted(table.items()))

    def suite_outcomes(self) -> dict[str, dict[str, int]]:
        """Outcome counts per suite, from the tests (unclassified tests under ``unclassified``)."""
        return {suite: dict(row) for suite, row in self._suite_outcomes.items()}


def breaker_code(state: Any) -> int | None:
    """A breaker state (``closed``, ``half-open``, ``open`` or 0/1/2) as its number, else None."""
    if isinstance(state, bool):
        return None
    if isinstance(state, int):
        return state if state in (0, 1, 2) else None
    if isinstance(state, dict):
        return breaker_code(state.get("state"))
    if isinstance(state, str):
        return BREAKER_STATES.get(state.strip().lower().replace("_", "-").replace(" ", "-"))
    return None


def breaker_name(state: Any) -> str | None:
    code = breaker_code(state)
    if code is None:
        return None
    return next(name for name, number in BREAKER_STATES.items() if number == code)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _gate(raw: dict[str, Any], breakers: dict[str, Any]) -> GateView:
    gate_id = _text(raw.get("id")) or "(unnamed)"
    breaker = None
    for key in ("breaker", "breaker_state", "circuit_breaker", "circuit"):
        if key in raw:
            breaker = breaker_name(raw[key])
            break
    if breaker is None and gate_id in breakers:
        breaker = breaker_name(breakers[gate_id])
    if breaker is None:
        # verdict.json names a breaker's state only when it is not closed.
        breaker = "closed"
    evidence = raw.get("evidence") if isinstance(raw.get("evidence"), list) else []
    command = raw.get("reproduce_command")
    return GateView(
        id=gate_id,
        status=_text(raw.get("status")) or "unknown",
        blocking=bool(raw.get("blocking", False)),
        detail=_text(raw.get("detail")),
        reproduce_command=str(command) if command else None,
        evidence=tuple(str(e) for e in evidence or []),
        duration_s=_number(raw.get("duration_s")),
        attempts=_int(raw.get("attempts")),
        breaker=breaker,
    )


def _breakers(raw: Any) -> dict[str, Any]:
    """Breaker states kept apart from the gates: ``{gate: state}`` or ``[{gate|id, state}]``."""
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    if isinstance(raw, list):
        out: dict[str, Any] = {}
        for item in raw:
            if isinstance(item, dict):
                name = item.get("gate", item.get("id"))
                if name is not None:
                    out[str(name)] = item
        return out
    return {}


def verdict_from(data: dict[str, Any], breakers_file: dict[str, Any] | None = None) -> VerdictView:
    """A verdict from verdict.json's object (or the summary's verdict block).

    Breaker states come from each gate's ``breaker`` field, else from gate_breakers.json's
    ``breakers`` (``breakers_file``), else they are closed.
    """
    breakers = _breakers((breakers_file or {}).get("breakers"))
    breakers.update(_breakers(data.get("breakers", data.get("circuit_breakers"))))
    raw_gates = data.get("gates") if isinstance(data.get("gates"), list) else []
    gates = tuple(_gate(g, breakers) for g in raw_gates or [] if isinstance(g, dict))
    failed = data.get("failed_gates")
    if isinstance(failed, list):
        failed_ids = tuple(str(f.get("id", f)) if isinstance(f, dict) else str(f) for f in failed)
    else:
        failed_ids = tuple(g.id for g in gates if g.blocking and g.status not in ("pass", "skip", "warn"))
    mode = data.get("mode")
    actions = data.get("operator_next_actions")
    health = data.get("health")
    health_status = health.get("status") if isinstance(health, dict) else health
    return VerdictView(
        overall=_text(data.get("overall")) or "unknown",
        mode=str(mode) if mode else None,
        gates=gates,
        failed_gates=failed_ids,
        next_actions=tuple(str(a) for a in actions) if isinstance(actions, list) else (),
        health=str(health_status) if health_status else None,
    )


def triage_from(data: dict[str, Any]) -> TriageView:
    """A triage view from triage_diff.json's object (or the summary's triage_diff block)."""
    # triage_diff.json nests its counts under "summary"; summary.json's block is those counts.
    summary = dict(data["summary"]) if isinstance(data.get("summary"), dict) else dict(data)
    count = _int(summary.get("regression_count", data.get("regression_count")))
    diagnostics = data.get("ranked_diagnostics") if isinstance(data.get("ranked_diagnostics"), list) else []
    commands = data.get("recommended_commands")
    commands = commands if isinstance(commands, dict) else {}
    runner = commands.get("runner_repro_command") or data.get("runner_repro_command")
    ranked = commands.get("ranked_repro_commands")
    return TriageView(
        status=_text(data.get("status")) or "unknown",
        regression_count=count,
        summary=summary,
        diagnostics=tuple(d for d in diagnostics or [] if isinstance(d, dict)),
        runner_repro_command=str(runner) if runner else None,
        ranked_repro_commands=tuple(str(c) for c in ranked) if isinstance(ranked, list) else (),
    )


def _read_optional(folder: Path, name: str, problems: list[str]) -> dict[str, Any] | None:
    """The JSON object of an optional artifact, validated when its model is known.

    Returns the data as the model dumps it when it validates, the raw object (with a problem
    noted) when it does not, and None when the file is absent or unreadable.
    """
    path = folder / name
    if not path.is_file():
        return None
    try:
        data = read_json_object(path)
    except UokInputError as exc:
        problems.append(exc.message)
        return None
    model = ARTIFACT_MODELS.get(name)
    if model is None:
        return data
    try:
        checked = validate(path, data, model)
    except UokInputError as exc:
        problems.append(exc.message)
        return data
    dumped: dict[str, Any] = json.loads(checked.model_dump_json(by_alias=True, warnings=False))
    return dumped


def _load_model(folder: Path, name: str, model: Any, problems: list[str]) -> Any:
    path = folder / name
    if not path.is_file():
        return None
    try:
        return load_artifact(path, model)
    except UokInputError as exc:
        problems.append(exc.message)
        return None


def _block(summary: Summary, name: str) -> dict[str, Any] | None:
    """A block another concern adds to summary.json (absent from older summaries)."""
    return _as_dict(getattr(summary, name, None))


def _as_dict(item: Any) -> dict[str, Any] | None:
    if hasattr(item, "model_dump"):
        dumped: dict[str, Any] = item.model_dump(by_alias=True)
        return dumped
    return item if isinstance(item, dict) else None


def shard_loads_from_manifests(summary: Summary, tests: Sequence[TestFacts]) -> list[ShardLoad]:
    """Each shard's load in a merged run, from the shard manifests the merge kept."""
    raw = getattr(summary, "shards", None)
    manifests = [m for m in (_as_dict(item) for item in raw or []) if m]
    if len(manifests) < 2:
        return []
    seconds = {t.nodeid: t.duration_s for t in tests}
    loads = []
    for manifest in manifests:
        index = _int(manifest.get("index"))
        if index is None:
            continue
        nodeids = manifest.get("nodeids")
        estimated = _number(manifest.get("estimated_s"))
        if isinstance(nodeids, list):
            actual = sum(seconds.get(str(n), 0.0) for n in nodeids)
            count = len(nodeids)
        else:
            actual = estimated or 0.0
            count = _int(manifest.get("count")) or 0
        loads.append(ShardLoad(index, count, actual, estimated))
    return sorted(loads, key=lambda load: load.index)


def shard_loads_from_siblings(
    folder: Path, summary: Summary, own_tests: Sequence[TestFacts]
) -> list[ShardLoad]:
    """Each shard's load when the other shards' folders sit next to this one (one per shard)."""
    total = summary.shard.total
    if total <= 1:
        return []
    loads: dict[int, ShardLoad] = {}
    for path in sorted(folder.parent.glob(f"*/{SUMMARY}")):
        try:
            data = read_json_object(path)
        except UokInputError:
            continue
        shard = data.get("shard") if isinstance(data.get("shard"), dict) else None
        tests = data.get("tests")
        if not shard or shard.get("total") != total or not isinstance(tests, list):
            continue
        index = _int(shard.get("index"))
        if index is None or index in loads:
            continue
        seconds = sum(_number(t.get("duration_s")) or 0.0 for t in tests if isinstance(t, dict))
        manifest = data.get("manifest") if isinstance(data.get("manifest"), dict) else {}
        estimated = _number((manifest or {}).get("estimated_s"))
        loads[index] = ShardLoad(index, len(tests), seconds, estimated)
    own = summary.shard.index
    own_manifest = _as_dict(getattr(summary, "manifest", None)) or {}
    own_seconds = sum(t.duration_s for t in own_tests)
    loads[own] = ShardLoad(own, len(own_tests), own_seconds, _number(own_manifest.get("estimated_s")))
    return [loads[i] for i in sorted(loads)]


def load_run(
    folder: Path, summary: Summary | None = None, tests: Sequence[TestFacts] | None = None
) -> RunView:
    """Read an artifact folder; UokInputError when it has no usable summary.json.

    ``summary`` is the run's summary when the caller holds the very object that was just
    written (the session does): reading 100k tests back would cost seconds for nothing.
    ``tests`` are its entries when they are not in the model (default: ``summary.tests``).
    """
    if not folder.is_dir():
        raise UokInputError(f"{folder} is not a folder of pytest-uok artifacts (it does not exist).")
    if summary is None and not (folder / SUMMARY).is_file():
        raise UokInputError(
            f"{folder} has no {SUMMARY}: point at the artifact folder of a run "
            "(the --uok-out folder, .uok by default, or one shard's subfolder)."
        )
    if summary is None:
        summary = load_artifact(folder / SUMMARY, Summary)
    problems: list[str] = []
    entries = summary.tests if tests is None else tests
    view = RunView(summary=summary, folder=folder, tests=entries, problems=problems)
    view.digest = _load_model(folder, FAILURE_DIGEST, FailureDigest, problems)
    view.replay = _load_model(folder, REPLAY_BUNDLE, ReplayBundle, problems)
    verdict = _read_optional(folder, VERDICT, problems) or _block(summary, "verdict")
    if verdict:
        view.verdict = verdict_from(verdict, _read_optional(folder, GATE_BREAKERS, problems))
    triage = _read_optional(folder, TRIAGE_DIFF, problems) or _block(summary, "triage_diff")
    view.triage = triage_from(triage) if triage else None
    audit = _read_optional(folder, WAIVER_AUDIT, problems)
    if audit and isinstance(audit.get("entries"), list):
        view.policy_entries = [e for e in audit["entries"] if isinstance(e, dict)]
    view.shards = shard_loads_from_manifests(summary, entries) or shard_loads_from_siblings(
        folder, summary, entries
    )
    return view
