"""The typed keys under which pytest-uok keeps its state in ``config.stash``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the keys are typed only; importing these here would load every concern
    from pytest_uok.core.attempts import AttemptState
    from pytest_uok.core.quarantine import Cover
    from pytest_uok.core.settings import Settings
    from pytest_uok.recording import RecordingPlugin

#: The session's resolved settings (every process, workers included).
SETTINGS: pytest.StashKey[Settings] = pytest.StashKey()
#: The controller's recording plugin: its ``recorder``, ``info`` and ``shard`` (absent on workers).
RECORDING: pytest.StashKey[RecordingPlugin] = pytest.StashKey()

#: The suite an item belongs to (None when its file is unclassified).
ITEM_SUITE: pytest.StashKey[str | None] = pytest.StashKey()
#: The quarantine entry covering an item, judged on the day of the run.
ITEM_QUARANTINE: pytest.StashKey[Cover | None] = pytest.StashKey()
#: The waiver covering an item (a protecting one first).
ITEM_WAIVER: pytest.StashKey[Cover | None] = pytest.StashKey()
#: The attempt an item is on while --uok-reruns / --uok-attempt-to-fix run it again.
ITEM_ATTEMPT: pytest.StashKey[AttemptState] = pytest.StashKey()
#: A test no baseline or history knows: how many times early flake detection may retry it.
ITEM_NEW_TEST: pytest.StashKey[int] = pytest.StashKey()
