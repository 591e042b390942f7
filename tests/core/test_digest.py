"""Failure classification."""

from __future__ import annotations

import pytest

from pytest_uok.core.digest import classify, scenario_ids


@pytest.mark.parametrize(
    ("phase", "exc", "message", "longrepr", "expected"),
    [
        ("call", "AssertionError", "assert 1 == 2", "", "assertion_failure"),
        ("call", "ValueError", "bad", "", "exception"),
        ("setup", "RuntimeError", "boom", "", "setup_error"),
        ("teardown", "RuntimeError", "boom", "", "teardown_error"),
        ("call", "TimeoutError", "", "", "timeout"),
        ("call", "Failed", "Timeout >1.0s", "", "timeout"),
        ("???", None, "", "worker 'gw0' crashed while running 'a.py::t'", "crash"),
        ("call", None, "", "[XPASS(strict)] reason", "xpass_strict"),
    ],
)
def test_classify(phase: str, exc: str | None, message: str, longrepr: str, expected: str) -> None:
    assert classify(phase, exc, message, longrepr) == expected


def test_subtest_failure_without_exception() -> None:
    assert classify("call", None, "", "contains 2 failed subtests", failed_subtests=2) == "subtest_failure"


def test_scenario_ids() -> None:
    assert scenario_ids("a.py::t[x-1]", ["[i] (i=1)"]) == ["x-1", "[i] (i=1)"]
    assert scenario_ids("a.py::t", []) == []
