"""The typed keys under which pytest-uok keeps its state in ``config.stash``."""

from __future__ import annotations

import pytest

from pytest_uok.core.settings import Settings

SETTINGS = pytest.StashKey[Settings]()
