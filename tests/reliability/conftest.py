"""Fixtures of the reliability tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _child_sessions_may_cache_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    # Child sessions import pytest, pydantic and xdist afresh; without a bytecode cache each
    # start costs seconds on a busy machine.
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
