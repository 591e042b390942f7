"""``--uok-rerun-from``: select exactly the tests that failed in an earlier run."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from pytest_uok.core.readback import FailedSelection
from pytest_uok.core.sanitize import printable
from pytest_uok.core.wording import listing

#: How many missing node ids the warning lists by name.
MAX_LISTED_MISSING = 10


class RerunFromPlugin:
    """Collects only the files of the earlier failures and deselects everything else."""

    def __init__(self, config: pytest.Config, selection: FailedSelection) -> None:
        self.config = config
        self.selection = selection
        self.wanted = set(selection.nodeids)
        self.files = {n.split("::", 1)[0] for n in selection.nodeids}
        self.selected = 0
        self.missing: list[str] = []
        self.source = self._shown(selection.source)

    def _shown(self, path: Path) -> str:
        rel = os.path.relpath(path, self.config.invocation_params.dir)
        return str(path) if rel.startswith("..") else rel

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        # Skip importing files that had no failure at all, as --lf does: a rerun of a few
        # failures should not pay for collecting the whole suite.
        if collection_path.suffix != ".py" or collection_path.name in (
            "conftest.py",
            "__init__.py",
        ):
            return None
        try:
            rel = collection_path.relative_to(config.rootpath).as_posix()
        except ValueError:
            return True  # outside the rootdir: never part of the earlier run's selection
        if rel in self.files:
            return None
        return True if collection_path.is_file() else None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            (keep if self._wanted(item.nodeid) else drop).append(item)
        found = {item.nodeid for item in keep}
        found_files = {item.nodeid.split("::", 1)[0] for item in keep}
        self.missing = [n for n in self.selection.nodeids if n not in found and n not in found_files]
        self.selected = len(keep)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        if self.missing:
            # The ids come from a file that may be crafted: escape what could drive a terminal.
            listed = listing([printable(n) for n in self.missing], MAX_LISTED_MISSING)
            warnings.warn(
                pytest.PytestWarning(
                    f"uok: {len(self.missing)} of {len(self.wanted)} tests in {self.source} "
                    f"no longer exist and were not rerun: {listed}"
                ),
                stacklevel=1,
            )
        if self.wanted and not keep and not hasattr(config, "workerinput"):
            raise pytest.UsageError(
                f"pytest-uok: none of the {len(self.wanted)} failed tests recorded in "
                f"{self.source} exist any more (renamed or removed?), so there is nothing to "
                "rerun. Run the suite in full instead."
            )

    def _wanted(self, nodeid: str) -> bool:
        if nodeid in self.wanted:
            return True
        # A file recorded with a collection error reruns as a whole.
        return nodeid.split("::", 1)[0] in self.wanted

    def pytest_report_header(self, config: pytest.Config) -> str:
        if not self.wanted:
            return f"uok: rerun from {self.source}: it records no failures, nothing to rerun"
        run = self.selection.run_id
        return f"uok: rerun from {self.source}: {len(self.wanted)} failed tests of run {run}"

    def pytest_report_collectionfinish(self, config: pytest.Config) -> str | None:
        if hasattr(config, "workerinput"):
            return None
        if not self.wanted:
            return "uok: nothing to rerun: the earlier run had no failures"
        return f"uok: rerunning {self.selected} of {len(self.wanted)} earlier failures"
