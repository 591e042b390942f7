"""A plain session loads the artifact models (pydantic) and the metrics library only at its end.

What a session imports early stays for the whole run, and every full garbage collection walks
it again: in a suite of 10,000 tests that is a few percent of the run (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import UokRun

RunUok = Callable[..., UokRun]

#: A test that looks at what its own process has imported while the tests run.
PROBE = """
import sys

EARLY = ("pydantic.main", "pytest_uok.core.models", "pytest_uok.core.policy", "prometheus_client")


def test_nothing_heavy_is_loaded_yet():
    loaded = sorted(m for m in sys.modules if m.startswith(EARLY))
    assert loaded == []


def test_fails():
    assert 1 == 2
"""


def test_a_plain_session_loads_no_model_before_its_end(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_probe=PROBE)
    run = run_uok(subprocess=True)  # a process of its own: this one has loaded everything
    assert run.outcomes() == {
        "test_probe.py::test_nothing_heavy_is_loaded_yet": "passed",
        "test_probe.py::test_fails": "failed",
    }
    assert run.summary["complete"] is True
    assert [f["nodeid"] for f in run.digest["failures"]] == ["test_probe.py::test_fails"]


def test_the_check_sees_a_model_loaded_early(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeconftest("import pytest_uok.core.models.summary\n")
    pytester.makepyfile(test_probe=PROBE)
    run = run_uok(subprocess=True)
    assert run.outcomes()["test_probe.py::test_nothing_heavy_is_loaded_yet"] == "failed"
