"""The built-in gates, in evaluation order, with the options each accepts in ``[gates.ID]``.

Another concern adds its built-in gate with ``register_builtin`` (and its options model).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from pytest_uok.core.gates.builtin_policy import suite_classification, waiver_lifecycle
from pytest_uok.core.gates.builtin_run import (
    DurationOptions,
    FlakyOptions,
    NoOptions,
    PassRateOptions,
    collection,
    duration_budget,
    flaky,
    pass_rate,
    test_results,
)
from pytest_uok.core.gates.builtin_triage import RegressionOptions, regression
from pytest_uok.core.gates.command import CommandGate
from pytest_uok.core.gates.config import GatesConfig
from pytest_uok.core.gates.evidence import EvidenceOptions, evidence_bundle
from pytest_uok.core.gates.result import FunctionGate, Gate


def _builtin(gate_id: str, func: object, blocking: bool = True, requires: Sequence[str] = ()) -> FunctionGate:
    return FunctionGate(gate_id, func, tuple(requires), blocking, "builtin")  # type: ignore[arg-type]


#: The gate that judges the tests' own results (pytest's exit code 1 is its verdict).
TEST_RESULTS = "test_results"

#: Built-in gates in the order they are evaluated (``requires`` may move a gate later).
BUILTIN_GATES: list[FunctionGate] = [
    _builtin("evidence_bundle", evidence_bundle),
    _builtin("collection", collection),
    _builtin(TEST_RESULTS, test_results),
    _builtin("suite_classification", suite_classification),
    _builtin("waiver_lifecycle", waiver_lifecycle),
    _builtin("flaky", flaky),
    _builtin("pass_rate", pass_rate),
    _builtin("regression", regression),
    _builtin("duration_budget", duration_budget, blocking=False),
]

#: Options each built-in gate accepts in its ``[gates.ID]`` table, besides the common keys.
OPTION_MODELS: dict[str, type[BaseModel]] = {
    "evidence_bundle": EvidenceOptions,
    "collection": NoOptions,
    TEST_RESULTS: NoOptions,
    "suite_classification": NoOptions,
    "waiver_lifecycle": NoOptions,
    "flaky": FlakyOptions,
    "pass_rate": PassRateOptions,
    "regression": RegressionOptions,
    "duration_budget": DurationOptions,
}


def register_builtin(gate: FunctionGate, options: type[BaseModel] | None = None) -> None:
    """Add a built-in gate (once); ``options`` validates its ``[gates.ID]`` table."""
    if any(g.id == gate.id for g in BUILTIN_GATES):
        return
    gate.kind = "builtin"
    BUILTIN_GATES.append(gate)
    OPTION_MODELS[gate.id] = options or NoOptions


def all_gates(config: GatesConfig, custom: Sequence[Gate] = ()) -> list[Gate]:
    """Built-in, command and custom gates; a custom gate may replace a built-in of the same id."""
    custom_ids = {g.id for g in custom}
    gates: list[Gate] = [g for g in BUILTIN_GATES if g.id not in custom_ids]
    gates += [CommandGate(spec) for spec in config.commands if spec.enabled]
    gates += list(custom)
    return gates
