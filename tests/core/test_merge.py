"""How shards' exit statuses combine into the merged run's."""

from __future__ import annotations

import pytest

from pytest_uok.core.merge import _exit_status


@pytest.mark.parametrize(
    ("statuses", "merged"),
    [
        ([0, 0, 0], 0),
        ([0, 5, 0], 0),
        ([5, 5], 5),
        ([0, 1, 5], 1),
        ([1, 2], 2),
        ([0, 6], 6),
        ([6, 1], 1),
        ([0, None], None),
    ],
)
def test_the_worst_shard_decides(statuses: list[int | None], merged: int | None) -> None:
    assert _exit_status(statuses) == merged
