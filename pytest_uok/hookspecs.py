"""The hooks pytest-uok offers to ``conftest.py`` files and plugins, all named ``pytest_uok_*``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_uok_environment(config: pytest.Config) -> dict[str, str] | None:
    """Return extra environment facts to record in environment.json (merged over all plugins)."""


@pytest.hookspec
def pytest_uok_digest_fields(config: pytest.Config, nodeid: str, facts: dict[str, Any]) -> None:
    """Add JSON-able fields to the failure facts of ``nodeid`` (runs where the failure happened)."""


@pytest.hookspec
def pytest_uok_summary(config: pytest.Config, summary: Any) -> None:
    """Adjust the summary model (a ``pytest_uok.core.models.Summary``) just before it is written."""


@pytest.hookspec
def pytest_uok_gates(config: pytest.Config) -> list[Any] | None:
    """Return extra gates (``pytest_uok.core.gates.Gate`` objects, e.g. made with ``@gate``) to evaluate."""


@pytest.hookspec(firstresult=True)
def pytest_uok_suite(config: pytest.Config, item: pytest.Item, suites: list[str]) -> str | None:
    """Return the suite of ``item``; ``suites`` are those whose policy entries match its file."""


@pytest.hookspec(firstresult=True)
def pytest_uok_quarantine(config: pytest.Config, item: pytest.Item, entry: Any) -> Any:
    """Return the quarantine of ``item``: a ``QuarantineEntry`` (or a dict of its fields), or False.

    ``entry`` is the policy file's matching ``QuarantineEntry`` or None; return None to defer.
    """
