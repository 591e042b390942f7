"""``--uok-new-test-retries``: early flake detection, retrying the tests no baseline or history knows.

Every process that collects (a single process, each xdist worker) marks the new items; the
rerun plugin then runs each of them several times, more for fast ones. The controller
reports the new tests that failed an attempt and passed another as flaky-new.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.core.attempts import FAST_S, SLOW_RETRIES, SLOW_S
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.history import known_tests, read_history
from pytest_uok.core.models.summary import EarlyFlake, Summary
from pytest_uok.core.outcomes import FAILING_OUTCOMES
from pytest_uok.core.readback import read_json_object, resolve_input
from pytest_uok.core.sanitize import printable
from pytest_uok.stash import ITEM_NEW_TEST, RECORDING

PLUGIN_NAME = "uok-new-tests"
#: Key in xdist's workeroutput carrying a worker's decision to the controller.
_WORKER_KEY = "uok_new_tests"
#: Exploring is skipped when more than this share of the selected tests is new: a new or
#: renamed suite would run many times over, and the flakiness found would be noise.
MOST_NEW = 0.5


def baseline_ids(path: Path) -> set[str]:
    """The node ids of a baseline summary.json (already validated by the controller), or none."""
    try:
        data = read_json_object(resolve_input(path, ("summary.json",)))
    except UokInputError:
        return set()
    tests = data.get("tests")
    if not isinstance(tests, list):
        return set()
    return {str(t["nodeid"]) for t in tests if isinstance(t, dict) and "nodeid" in t}


class NewTestsPlugin:
    """Marks new items for retries and reports the flaky-new tests."""

    def __init__(self, config: pytest.Config, retries: int, history: Path, baseline: Path | None) -> None:
        self.config = config
        self.retries = retries
        self.history = history
        self.baseline = baseline
        self.new = 0
        self.selected = 0
        self.skipped: str | None = None
        self.flaky_new: list[str] = []
        self.block: EarlyFlake | None = None

    @cached_property
    def known(self) -> set[str]:
        history, _problem = read_history(self.history)
        known = known_tests(history)
        if self.baseline is not None:
            known |= baseline_ids(self.baseline)
        return known

    # -- collection (single process and xdist workers) ---------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        known = self.known
        new = [item for item in items if item.nodeid not in known]
        self.new, self.selected = len(new), len(items)
        if not new:
            return
        if not known:
            self.skipped = "no baseline or history knows any test yet"
        elif len(new) > len(items) * MOST_NEW:
            self.skipped = f"{len(new)} of {len(items)} tests are new, more than half"
        else:
            for item in new:
                item.stash[ITEM_NEW_TEST] = self.retries
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WORKER_KEY] = {"new": self.new, "selected": self.selected, "skipped": self.skipped}

    # -- controller ---------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if isinstance(data, dict) and not self.selected:
            self.new, self.selected = int(data.get("new", 0)), int(data.get("selected", 0))
            skipped = data.get("skipped")
            self.skipped = str(skipped) if skipped else None

    def pytest_uok_summary(self, config: pytest.Config, summary: Summary) -> None:
        known = self.known
        recording = self.config.stash.get(RECORDING, None)
        tests = recording.entries() if recording is not None else summary.tests
        new = [t for t in tests if t.nodeid not in known]
        self.flaky_new = [t.nodeid for t in new if t.outcome == "flaky"]
        self.block = EarlyFlake(
            retries=self.retries,
            new_tests=len(new),
            retried=sum(1 for t in new if len(t.attempts) > 1),
            flaky_new=self.flaky_new,
            skipped=self.skipped,
        )
        summary.early_flake = self.block

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        block = self.block
        if block is None or not block.new_tests:
            return
        tr = terminalreporter
        tr.section("uok early flake detection", sep="-", yellow=bool(block.flaky_new))
        if block.skipped:
            tr.write_line(f"{block.new_tests} new tests not retried: {block.skipped}")
        else:
            slow = min(self.retries, SLOW_RETRIES)
            tr.write_line(
                f"{block.new_tests} new tests, {block.retried} retried (up to {self.retries} times when a "
                f"run takes at most {FAST_S:g} s, {slow} up to {SLOW_S:g} s)"
            )
        for nodeid in block.flaky_new:
            tr.write_line(f"FLAKY-NEW {printable(nodeid, 1000)}: {self._attempts(nodeid)}", yellow=True)
        if block.flaky_new:
            tr.write_line("fix them before they are merged, or quarantine them (see the flaky tests above)")

    def _attempts(self, nodeid: str) -> str:
        recording = self.config.stash.get(RECORDING, None)
        rec = recording.recorder.records.get(nodeid) if recording is not None else None
        if rec is None:
            return "failed an attempt and passed another"
        failed = sum(1 for a in rec.attempts if a.outcome in FAILING_OUTCOMES)
        return f"failed {failed} of {len(rec.attempts)} attempts"
