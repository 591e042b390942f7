"""What a plain session carries while its tests run: as little of the plugin as it can.

It loads the artifact models (pydantic) and the metrics library only at its end: what a session
imports early stays for the whole run, and every full garbage collection walks it again. And
of the hooks pytest calls for every report, only the recording's runs on a single process.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import UokRun

RunUok = Callable[..., UokRun]

#: A test that looks at what its own process has imported while the tests run.
PROBE = """
import sys

EARLY = ("pydantic.main", "pytest_uok.core.models", "pytest_uok.core.policy", "prometheus_client")


def test_nothing_heavy_is_loaded_yet():
    loaded = sorted(m for m in sys.modules if m.startswith(EARLY))
    assert loaded == []


def test_fails():
    assert 1 == 2
"""


def test_a_plain_session_loads_no_model_before_its_end(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makepyfile(test_probe=PROBE)
    run = run_uok(subprocess=True)  # a process of its own: this one has loaded everything
    assert run.outcomes() == {
        "test_probe.py::test_nothing_heavy_is_loaded_yet": "passed",
        "test_probe.py::test_fails": "failed",
    }
    assert run.summary["complete"] is True
    assert [f["nodeid"] for f in run.digest["failures"]] == ["test_probe.py::test_fails"]


def test_the_check_sees_a_model_loaded_early(pytester: pytest.Pytester, run_uok: RunUok) -> None:
    pytester.makeconftest("import pytest_uok.core.models.summary\n")
    pytester.makepyfile(test_probe=PROBE)
    run = run_uok(subprocess=True)
    assert run.outcomes()["test_probe.py::test_nothing_heavy_is_loaded_yet"] == "failed"


#: From inside a test: which of the plugin's hooks pytest calls for every report.
HOOKS_PROBE = """
PER_REPORT = ("pytest_runtest_makereport", "pytest_runtest_logreport", "pytest_report_teststatus")


def test_hooks(request):
    pm = request.config.pluginmanager
    ours = {}
    for name in PER_REPORT:
        plugins = [pm.get_name(impl.plugin) or "" for impl in getattr(pm.hook, name).get_hookimpls()]
        ours[name] = sorted(p for p in plugins if p.startswith("uok-"))
    assert ours == {
        "pytest_runtest_makereport": [],
        "pytest_runtest_logreport": ["uok-recording"],
        "pytest_report_teststatus": [],
    }
"""


def test_a_single_process_runs_one_hook_of_the_plugin_per_report(
    pytester: pytest.Pytester, run_uok: RunUok
) -> None:
    pytester.makepyfile(test_probe=HOOKS_PROBE)
    run = run_uok()
    assert run.outcomes() == {"test_probe.py::test_hooks": "passed"}
