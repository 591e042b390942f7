"""Helpers shared by the test suite: running pytest-uok sessions and checking their artifacts."""
