"""Which part this process plays in a run: alone, the xdist controller, or an xdist worker."""

from __future__ import annotations

import pytest


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    """Whether this process hands the tests to xdist workers, which send their reports back here.

    The same test xdist makes before it starts its workers (``-n N``, ``--dist``, ``--tx``);
    ``--collect-only`` collects here, in one process.
    """
    option = config.option
    if is_xdist_worker(config) or getattr(option, "collectonly", False):
        return False
    return getattr(option, "dist", "no") != "no" and bool(getattr(option, "tx", None))
