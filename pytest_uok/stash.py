"""The typed keys under which pytest-uok keeps its state in ``config.stash``."""

from __future__ import annotations

import pytest

from pytest_uok.core.settings import Settings
from pytest_uok.recording import RecordingPlugin

#: The session's resolved settings (every process, workers included).
SETTINGS = pytest.StashKey[Settings]()
#: The controller's recording plugin: its ``recorder``, ``info`` and ``shard`` (absent on workers).
RECORDING = pytest.StashKey[RecordingPlugin]()
