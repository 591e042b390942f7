"""Faults inside pytest-uok itself never change a session's result, and never pass unnoticed.

A fault in the recorder or in a ``pytest_uok_*`` hook is reported on the terminal as a
pytest-uok internal error, summary.json says ``complete: false`` and lists it, and the exit
code is pytest's own: a green run stays green, a red run stays red.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uok.recording import RecordingPlugin
from tests.reliability.faults import check_folder_whole

PROJECTS = {
    "green": "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
    "red": "def test_one():\n    pass\n\ndef test_two():\n    assert 1 == 2\n",
}
#: Faults put into the session through its conftest.py.
FAULTS = {
    "summary-hook": """
def pytest_uok_summary(config, summary):
    raise RuntimeError("a summary hook broke")
""",
    "report-attribute": """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    report.uok_attempt = "not a number"
""",
    "environment-hook": """
def pytest_uok_environment(config):
    return 42  # not a mapping
""",
}


def check_fault_reported(result: pytest.RunResult, folder: Any, expected_ret: int) -> None:
    out = result.stdout.str()
    assert result.ret == expected_ret, f"exit {result.ret}, pytest's own result was {expected_ret}:\n{out}"
    assert "INTERNALERROR" not in out
    assert "uok internal error:" in out, "the plugin's fault was not reported"
    summary = check_folder_whole(folder)["summary.json"]
    assert summary["complete"] is False
    assert summary["internal_errors"]
    assert summary["exit_status"] == expected_ret


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("project", PROJECTS)
def test_a_plugin_fault_is_reported_and_keeps_the_result(
    pytester: pytest.Pytester, project: str, fault: str
) -> None:
    pytester.makepyfile(test_it=PROJECTS[project])
    pytester.makeconftest(FAULTS[fault])
    check_fault_reported(pytester.runpytest(), pytester.path / ".uok", 0 if project == "green" else 1)


def test_a_fault_when_the_run_starts_is_reported(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(rootdir: str) -> Any:
        raise RuntimeError("git exploded")

    monkeypatch.setattr("pytest_uok.recording.git_state", broken)
    pytester.makepyfile(test_it=PROJECTS["red"])
    result = pytester.runpytest()
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*uok internal error: starting the run record failed*git exploded*"])
    assert "INTERNALERROR" not in result.stdout.str()


def test_fault_check_catches_an_unguarded_recorder(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reraise(self: RecordingPlugin, what: str, exc: BaseException) -> None:
        raise exc

    monkeypatch.setattr(RecordingPlugin, "internal_error", reraise)
    pytester.makepyfile(test_it=PROJECTS["green"])
    pytester.makeconftest(FAULTS["report-attribute"])
    with pytest.raises(AssertionError, match="pytest's own result was 0"):
        check_fault_reported(pytester.runpytest(), pytester.path / ".uok", 0)


def test_a_broken_digest_hook_is_reported_and_the_failure_still_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_it=PROJECTS["red"])
    pytester.makeconftest(
        "def pytest_uok_digest_fields(config, nodeid, facts):\n    raise RuntimeError('a digest hook broke')\n"
    )
    check_fault_reported(pytester.runpytest(), pytester.path / ".uok", 1)
    digest = check_folder_whole(pytester.path / ".uok")["failure_digest.json"]
    assert [f["nodeid"] for f in digest["failures"]] == ["test_it.py::test_two"]
