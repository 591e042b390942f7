"""The typed keys under which pytest-uok keeps its state in ``config.stash``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_uok.core.settings import Settings

if TYPE_CHECKING:
    pass

#: The session's resolved settings (every process, workers included).
SETTINGS = pytest.StashKey[Settings]()
#: The controller's recording plugin: its ``recorder``, ``info`` and ``shard`` (absent on workers).
RECORDING = pytest.StashKey["RecordingPlugin"]()
