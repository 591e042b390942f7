"""``--uok-shard I/N``: run one shard of the suite, balanced by the durations store, and record it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_uok import options
from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.durations import (
    DEFAULT_MAX_AGE_DAYS,
    PYTEST_SPLIT_FILE,
    LoadedDurations,
    load_durations,
    render,
    store_durations,
    updated,
)
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.estimates import file_key
from pytest_uok.core.records import TestRecord
from pytest_uok.core.shard_spec import ShardSpec, ci_shard_conflicts, shard_from_ci
from pytest_uok.core.sharding import digest_ids, file_shard, module_plan, partition, weigh
from pytest_uok.stash import RECORDING

if TYPE_CHECKING:
    # Loaded when a shard is actually split: a session that is not sharded loads no model early.
    from pytest_uok.core.models.shard import ShardManifest

#: The name the plugin object is registered under.
PLUGIN_NAME = "uok-shard"
#: Key in xdist's workeroutput carrying a worker's manifest to the controller.
WORKER_MANIFEST = "uok_shard_manifest"
_SOURCES = {"cli": "--uok-shard", "ini": "ini key uok_shard"}


@dataclass(frozen=True)
class ShardOptions:
    """The sharding settings of a session, after precedence was applied."""

    spec: ShardSpec | None
    by: str
    store: Path
    store_given: bool
    record: bool
    max_age_days: int

    @property
    def active(self) -> bool:
        return self.spec is not None or self.record


def resolve(config: pytest.Config) -> ShardOptions:
    spec_value, where = options.raw_value(config, "uok_shard")
    spec: ShardSpec | None = spec_value
    if spec is not None:
        source = _SOURCES.get(where, where.replace("env:", "environment variable "))
        spec = ShardSpec(spec.index, spec.total, source)
    else:
        spec = shard_from_ci(os.environ)
    by, _ = options.raw_value(config, "uok_shard_by")
    store_value, store_where = options.raw_value(config, "uok_durations")
    record, _ = options.raw_value(config, "uok_store_durations")
    max_age, _ = options.raw_value(config, "uok_durations_max_age")
    store = Path(store_value) if store_value else Path(".uok") / "durations.json"
    if not store.is_absolute():
        base = config.invocation_params.dir if store_where == "cli" else config.rootpath
        store = base / store
    return ShardOptions(
        spec=spec,
        by=by or "test",
        store=store,
        store_given=store_value is not None,
        record=bool(record),
        max_age_days=max_age or DEFAULT_MAX_AGE_DAYS,
    )


def shard_folder(out_dir: Path, spec: ShardSpec) -> Path:
    """Each shard writes its artifacts into a folder of its own inside the artifact folder."""
    return out_dir / f"shard-{spec.index}-of-{spec.total}"


def _shown(config: pytest.Config, path: Path) -> str:
    rel = os.path.relpath(path, config.invocation_params.dir)
    return str(path) if rel.startswith("..") else rel


class ShardPlugin:
    """Deselects the other shards' tests, records this shard's manifest, and stores durations."""

    def __init__(self, config: pytest.Config, opts: ShardOptions, rerun_from: Path | None) -> None:
        self.config = config
        self.opts = opts
        self.spec = opts.spec
        self.worker = hasattr(config, "workerinput")
        fallback = None if opts.store_given else config.rootpath / PYTEST_SPLIT_FILE
        self.loaded: LoadedDurations = load_durations(opts.store, fallback)
        self._durations: dict[str, float] | None = None
        self._plan: dict[str, int] | None = None
        self.manifest: ShardManifest | None = None
        self.selected = 0
        self.estimated = 0
        self.ignored_files = 0
        self.stored: str | None = None
        self.owned: set[str] | None = None
        self.ci_notes = ci_shard_conflicts(os.environ) if self.spec is None else []
        if self.spec is not None and rerun_from is not None:
            try:
                from pytest_uok.core.shard_select import owned_failures

                self.owned = owned_failures(rerun_from, self.spec)
            except UokInputError as exc:
                raise pytest.UsageError(
                    f"pytest-uok: --uok-shard with --uok-rerun-from: {exc.message}"
                ) from None
        # Deciding files before import needs durations that name files; a rerun selects by id.
        self.pre_import = (
            self.spec is not None and opts.by == "module" and bool(self.loaded.known) and self.owned is None
        )
        if self.spec is not None and self.spec.status_file and not self.worker:
            # Bazel: touching the status file says this runner understood the sharding variables.
            with contextlib.suppress(OSError):
                Path(self.spec.status_file).touch()
        recording = config.stash.get(RECORDING, None)
        if recording is not None and self.spec is not None:
            from pytest_uok.core.models.common import ShardContext

            recording.shard = ShardContext(
                kind=opts.by,  # type: ignore[arg-type]
                index=self.spec.index,
                total=self.spec.total,
                source=self.spec.source,
            )

    # -- the assignment -----------------------------------------------------------------

    @property
    def durations(self) -> dict[str, float]:
        if self._durations is None:
            durations = self.loaded.seconds()
            self.config.hook.pytest_uok_shard_durations(config=self.config, durations=durations)
            self._durations = durations
        return self._durations

    def _file_shard(self, rel: str) -> int:
        assert self.spec is not None
        if self._plan is None:
            self._plan = module_plan(self.durations, self.spec.total)
        return file_shard(rel, self.spec.total, self._plan)

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        if not self.pre_import or collection_path.suffix != ".py":
            return None
        if collection_path.name in ("conftest.py", "__init__.py") or not collection_path.is_file():
            return None
        try:
            rel = collection_path.relative_to(config.rootpath).as_posix()
        except ValueError:
            return None
        assert self.spec is not None
        if self._file_shard(rel) != self.spec.index:
            self.ignored_files += 1
            return True
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        # Later than trylast: every other selection (-k, -m, suites, reruns, other plugins'
        # trylast hooks) has happened when the remaining items are split.
        result = yield
        self._split(config, items)
        return result

    def _split(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        spec = self.spec
        if spec is None:
            return
        ids = [item.nodeid for item in items]
        universe: list[str] | None = sorted(set(ids))
        if self.owned is not None:
            owned = self.owned
            mine = {n for n in ids if n in owned or file_key(n) in owned}
        elif self.pre_import:
            mine = {n for n in ids if self._file_shard(file_key(n)) == spec.index}
            universe = None  # the other shards' files were never imported here
        else:
            mine = set(partition(ids, self.durations, spec.total, self.opts.by).of(spec.index))
        keep = [item for item in items if item.nodeid in mine]
        drop = [item for item in items if item.nodeid not in mine]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        self.manifest = self._manifest(sorted(mine), len(drop), universe)
        if self.worker:
            workeroutput: dict[str, Any] = getattr(config, "workeroutput", {})
            workeroutput[WORKER_MANIFEST] = self.manifest.model_dump(mode="json")
        self._publish()

    def _manifest(self, mine: list[str], deselected: int, universe: list[str] | None) -> ShardManifest:
        from pytest_uok.core.models.shard import ShardManifest

        assert self.spec is not None
        weights, unknown = weigh(mine, self.durations)
        self.selected = len(mine)
        self.estimated = len(unknown)
        return ShardManifest(
            kind=self.opts.by,  # type: ignore[arg-type]
            index=self.spec.index,
            total=self.spec.total,
            source=self.spec.source,
            count=len(mine),
            digest=digest_ids(mine),
            nodeids=mine,
            estimated_s=round(sum(weights.values()), 3),
            shard_deselected=deselected,
            universe_count=None if universe is None else len(universe),
            universe_digest=None if universe is None else digest_ids(universe),
            pre_import=self.pre_import,
        )

    def _publish(self) -> None:
        recording = self.config.stash.get(RECORDING, None)
        if recording is not None and recording.info is not None:
            recording.info.manifest = self.manifest

    # -- xdist: the controller learns the shard from its workers --------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.manifest is not None or self.spec is None:
            return
        self.manifest = self._manifest(sorted(set(ids)), 0, None)
        self._publish()
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(self._collected_line())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(WORKER_MANIFEST)
        if data and self.manifest is not None and self.manifest.universe_count is None:
            from pytest_uok.core.models.shard import ShardManifest

            worker = ShardManifest.model_validate(data)
            self.manifest = self.manifest.model_copy(
                update={
                    "shard_deselected": worker.shard_deselected,
                    "universe_count": worker.universe_count,
                    "universe_digest": worker.universe_digest,
                    "pre_import": worker.pre_import,
                }
            )
            self._publish()

    # -- terminal -----------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = []
        known = self.loaded.known
        store = _shown(config, self.loaded.path) if self.loaded.path else _shown(config, self.opts.store)
        if self.spec is not None:
            how = f"by {self.opts.by}" + (", files split before import" if self.pre_import else "")
            lines.append(f"uok: shard {self.spec.label()} (from {self.spec.source}), {how}")
            lines.append(
                f"uok: durations: {store} ({known} tests known)"
                if known
                else f"uok: durations: none yet ({store} does not exist; tests weigh the same)"
            )
        for note in self.ci_notes:
            lines.append(f"uok: not sharding: {note}")
        if self.loaded.problem:
            lines.append(f"uok: durations store {store}: {self.loaded.problem}")
        return lines

    def _collected_line(self) -> str:
        assert self.spec is not None
        assert self.manifest is not None
        m = self.manifest
        if m.count == 0:
            return self._empty_message()
        head = f"uok: shard {self.spec.label()}: {m.count} tests"
        if not self.durations:
            return f"{head} (no durations recorded yet: balanced by test count)"
        guessed = f", {self.estimated} of them without a recorded duration" if self.estimated else ""
        skipped = f" ({self.ignored_files} files of other shards not imported)" if self.ignored_files else ""
        return f"{head}, estimated {_seconds(m.estimated_s)}{guessed}{skipped}"

    def _empty_message(self) -> str:
        assert self.spec is not None
        assert self.manifest is not None
        m = self.manifest
        if self.owned is not None:
            return (
                f"uok: shard {self.spec.label()} is empty: none of the failures to rerun belong to this shard"
            )
        if m.universe_count:
            why = (
                f"the {m.universe_count} selected tests were split into {self.spec.total} shards "
                "and none fell to this one"
            )
        elif self.pre_import:
            why = "none of the test files assigned to this shard were collected"
        elif m.universe_count == 0:
            why = "no tests were selected at all"
        else:
            why = f"none of the selected tests fell to this one of {self.spec.total} shards"
        return (
            f"uok: shard {self.spec.label()} is empty: {why}. pytest will exit with code 5 "
            "(no tests collected): nothing failed and nothing ran here."
        )

    def pytest_report_collectionfinish(self, config: pytest.Config) -> str | None:
        if self.worker or self.spec is None or self.manifest is None:
            return None
        return self._collected_line()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tr = terminalreporter
        if self.spec is not None and self.manifest is not None and self.manifest.count == 0:
            tr.write_line(self._empty_message(), yellow=True)
        if self.stored:
            tr.write_line(self.stored)

    # -- after the run ------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        recording = self.config.stash.get(RECORDING, None)
        if self.worker or recording is None:
            return
        measured = {
            nodeid: rec.attempts[-1].duration_s if isinstance(rec, TestRecord) else rec
            for nodeid, rec in recording.recorder.tests()
            if not isinstance(rec, TestRecord) or rec.attempts[-1].outcome is not None
        }
        if self.spec is not None and recording.settings.artifacts and measured:
            # The shard's own measurements travel with its artifacts, for `pytest-uok merge`.
            now = datetime.now(timezone.utc)
            text = render(updated({}, measured, now.date()), flat=False, now=now)
            try:
                atomic_write_text(recording.out_dir / "durations.json", text)
            except OSError as exc:
                recording.write_errors.append(f"could not write the shard's durations.json: {exc}")
        if self.spec is not None and self.opts.record:
            # The store every shard read must not change under the shards still to come: shards
            # keep their durations in their own folder, and `pytest-uok merge --store` updates it.
            self.stored = (
                f"uok: durations of {len(measured)} tests kept in "
                f"{_shown(self.config, recording.out_dir / 'durations.json')}; "
                "`pytest-uok merge --store` writes the shards' durations into the store"
            )
        elif self.opts.record and measured and int(exitstatus) != int(pytest.ExitCode.INTERRUPTED):
            try:
                count = store_durations(self.opts.store, measured, self.opts.max_age_days)
            except (OSError, TimeoutError) as exc:
                self.stored = f"uok: could not update the durations store {self.opts.store}: {exc}"
            else:
                self.stored = (
                    f"uok: durations of {len(measured)} tests stored in "
                    f"{_shown(self.config, self.opts.store)} ({count} entries)"
                )


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 1 else f"{value:.3f} s"
