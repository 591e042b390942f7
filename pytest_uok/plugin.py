"""The pytest entry point (``uok``): options, hooks, and one plugin object per concern that is on.

The concerns that are off are not even imported, and none of the ones a plain session needs
loads an artifact model before the session ends (see core/runinfo): what a session imports
early stays in memory for the whole run, walked by every full garbage collection.

What loads late is imported as ``import pytest_uok.x as x``, never ``from pytest_uok import x``:
pytester's in-process sessions forget the modules they imported but not the packages' attributes
naming them, and ``from package import module`` would take the forgotten, stale module.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_uok import history, hookspecs, options, shard
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gc_pause import thaw_heap
from pytest_uok.core.settings import Settings
from pytest_uok.failure_facts import FailureFactsPlugin
from pytest_uok.observe import ObservePlugin
from pytest_uok.policy_setup import configure_policy
from pytest_uok.recording import RecordingPlugin
from pytest_uok.stash import RECORDING, SETTINGS
from pytest_uok.termination import SigtermInterrupt
from pytest_uok.xdist_role import is_xdist_worker

if TYPE_CHECKING:
    from pytest_uok.triage import TriageOptions

#: Every plugin object of ours is registered under a name with this prefix (unregistered at
#: unconfigure); the entry point itself is ``uok``.
PLUGIN_PREFIX = "uok-"


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    settings = options.resolve(config)
    base_out = settings.out_dir
    shard_options = shard.resolve(config)
    if shard_options.spec is not None:
        settings = dataclasses.replace(
            settings, out_dir=shard.shard_folder(settings.out_dir, shard_options.spec)
        )
    config.stash[SETTINGS] = settings
    pm = config.pluginmanager
    if settings.rerun_from is not None:
        from pytest_uok.core.readback import load_failed_selection
        from pytest_uok.rerun import RerunFromPlugin

        try:
            selection = load_failed_selection(_as_typed(config, settings.rerun_from))
        except UokInputError as exc:
            raise pytest.UsageError(f"pytest-uok: --uok-rerun-from: {exc.message}") from None
        pm.register(RerunFromPlugin(config, selection), "uok-rerun")
    if is_xdist_worker(config):
        pm.register(FailureFactsPlugin(), "uok-failure-facts")
    else:
        recording = RecordingPlugin(config, settings)
        config.stash[RECORDING] = recording
        pm.register(recording, "uok-recording")
        if settings.gate:
            from pytest_uok.gating import make_gating_plugin  # the gates load only when gating

            pm.register(make_gating_plugin(config, settings), "uok-gating")
        if settings.artifacts:
            sigterm = SigtermInterrupt()
            if pm.register(sigterm, "uok-sigterm"):
                sigterm.install()
        pm.register(ObservePlugin(config, settings, recording), "uok-observe")
        kept = _configure_history(config, settings, base_out, shard_options)
        _configure_triage(config, settings, kept)
    configure_policy(config)
    _configure_new_tests(config, base_out)
    if shard_options.active:
        pm.register(shard.ShardPlugin(config, shard_options, settings.rerun_from), shard.PLUGIN_NAME)


def _configure_history(
    config: pytest.Config, settings: Settings, base_out: Path, shard_options: shard.ShardOptions
) -> history.HistoryPlugin | None:
    opts = history.resolve(config, base_out)
    if not settings.artifacts or not opts.max_runs:
        return None
    selection = history.selection_of(config, shard_options.spec, shard_options.by)
    plugin = history.HistoryPlugin(config, opts, selection)
    config.pluginmanager.register(plugin, history.PLUGIN_NAME)
    return plugin


def _triage_options(config: pytest.Config) -> TriageOptions | None:
    """The diff settings, None (and nothing of the triage imported) when no baseline is asked for."""
    value, _ = options.raw_value(config, "uok_diff_from")
    if not value:
        return None
    import pytest_uok.triage as triage

    opts = triage.resolve(config)
    return None if opts.diff_from is None and not opts.last else opts


def _configure_triage(config: pytest.Config, settings: Settings, kept: history.HistoryPlugin | None) -> None:
    opts = _triage_options(config)
    if opts is None:
        return
    import pytest_uok.triage as triage

    if not settings.artifacts:
        raise pytest.UsageError(
            f"pytest-uok: {opts.source} writes triage_diff.json, so it cannot be combined with "
            "--uok-no-artifacts (uok_no_artifacts); drop one of them."
        )
    baseline = None
    if opts.diff_from is not None:
        baseline = triage.load_explicit_baseline(config, opts, _as_typed(config, opts.diff_from))
    elif kept is None:
        raise pytest.UsageError(
            f"pytest-uok: {opts.source} last compares with the last run in the history, but the "
            "history is off (uok_history_runs = 0); keep some runs or name a baseline."
        )
    plugin = triage.TriagePlugin(config, opts, baseline, kept)
    config.pluginmanager.register(plugin, triage.PLUGIN_NAME)


def _configure_new_tests(config: pytest.Config, base_out: Path) -> None:
    """Early flake detection, on every process: workers decide which of their items are new."""
    retries, _ = options.raw_value(config, "uok_new_test_retries")
    if not retries:
        return
    import pytest_uok.newtests as newtests

    known_from = history.resolve(config, base_out).path
    opts = _triage_options(config)
    plugin = newtests.NewTestsPlugin(config, retries, known_from, opts.diff_from if opts else None)
    config.pluginmanager.register(plugin, newtests.PLUGIN_NAME)


def _as_typed(config: pytest.Config, path: Path) -> Path:
    """``path`` relative to the invocation folder when inside it, so messages show what was typed."""
    base = config.invocation_params.dir
    if Path.cwd() != base:
        return path
    try:
        return path.relative_to(base)
    except ValueError:
        return path


def pytest_unconfigure(config: pytest.Config) -> None:
    pm = config.pluginmanager
    for name, plugin in list(pm.list_name_plugin()):
        if name.startswith(PLUGIN_PREFIX) and plugin is not None:
            pm.unregister(plugin)
    # The run's records and entries (one per test) are freed now, rather than walked once more
    # by the collection that ends the interpreter.
    recording = config.stash.get(RECORDING, None)
    if recording is not None:
        del config.stash[RECORDING]
        if recording.heap_frozen:
            thaw_heap()
