"""Small test projects written into pytester folders, shared by the plugin tests."""

from __future__ import annotations

#: One of every kind of result pytest knows, with awkward parametrize ids.
MIXED = """
import pytest

def test_ok():
    pass

def test_fail():
    assert 1 == 2, "one is not two"

def test_exception():
    raise KeyError("missing")

@pytest.fixture
def broken():
    raise RuntimeError("setup boom")

def test_setup_error(broken):
    pass

@pytest.fixture
def bad_teardown():
    yield
    raise ValueError("teardown boom")

def test_teardown_error(bad_teardown):
    pass

@pytest.mark.parametrize("x", ["a b", "$(touch pwned)", "q'uote;x", "back`tick`", "ü"])
def test_param(x):
    assert x == "a b"

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert 0

@pytest.mark.xfail(reason="fixed?")
def test_xpass():
    pass

def test_skip():
    pytest.skip("not here")
"""

#: The node ids of MIXED that fail or error, and their outcomes.
MIXED_FAILURES = {
    "test_mixed.py::test_fail": "failed",
    "test_mixed.py::test_exception": "failed",
    "test_mixed.py::test_setup_error": "error",
    "test_mixed.py::test_teardown_error": "error",
    "test_mixed.py::test_param[$(touch pwned)]": "failed",
    "test_mixed.py::test_param[q'uote;x]": "failed",
    "test_mixed.py::test_param[back`tick`]": "failed",
    "test_mixed.py::test_param[\\xfc]": "failed",
}

SUBTESTS = """
def test_many_subtests(subtests):
    for i in range(300):
        with subtests.test(msg="case", i=i):
            assert i % 100 != 7

def test_clean_subtests(subtests):
    for i in range(5):
        with subtests.test(i=i):
            pass
"""
