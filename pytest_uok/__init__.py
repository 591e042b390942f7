"""pytest-uok: quality gates, flaky-test control, sharding and replayable artifacts for pytest."""

from __future__ import annotations

__version__ = "0.1.0"
