"""Scenario artifact folders with golden verdicts, for ``pytest-uok gate --self-test``."""
