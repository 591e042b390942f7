"""An example of a team's own gate, added through the ``pytest_uok_gates`` hook."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uok.core.gates import FAIL, PASS, BlockerFact, GateResult, RunFacts, gate


@gate("minimum_tests", requires=["collection"])
def minimum_tests(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """Catch a selection that silently ran (almost) nothing, e.g. after a bad -k or a broken conftest."""
    minimum = int(options.get("minimum", 3))
    ran = [t for t in facts.summary.tests if t.outcome not in ("skipped",)]
    if len(ran) >= minimum:
        return GateResult(PASS, f"{len(ran)} tests ran (minimum {minimum})")
    return GateResult(
        FAIL,
        f"only {len(ran)} tests ran; at least {minimum} expected",
        evidence=[facts.shown("summary.json")],
        blockers=[BlockerFact("failed_gate", f"{len(ran)} < {minimum}")],
    )


def pytest_uok_gates(config: pytest.Config) -> list[Any]:
    return [minimum_tests]
