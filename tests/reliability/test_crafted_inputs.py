"""Crafted inputs: a summary.json written to attack ``--uok-rerun-from``, huge or deeply nested.

A rerun selects among the tests the session collects anyway: it never adds paths, never runs a
test outside the recorded failures, never executes text from the file, and a file it cannot
use is a one-paragraph usage error, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.rerun import RerunFromPlugin

REAL = """
import pathlib

def test_fails():
    assert 0

def test_other():
    pathlib.Path("OTHER_RAN").touch()
"""
OUTSIDE = """
import pathlib
pathlib.Path(__file__).with_name("OUTSIDE_IMPORTED").touch()

def test_o():
    pathlib.Path(__file__).with_name("OUTSIDE_RAN").touch()
"""
HOSTILE_IDS = [
    "tests/x.py::t; rm -rf ~",
    "../outside/test_o.py::test_o",
    "test_real.py::test_$(touch PWNED)",
    "test_real.py::t\x1b[2J\x1b]0;owned\x07",
]
MARKERS = ("OTHER_RAN", "PWNED", "OUTSIDE_IMPORTED", "OUTSIDE_RAN")


def summary_with(failed: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "schema": "uok.summary.v1",
        "run_id": "crafted",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": None,
        "duration_s": 0,
        "exit_status": 1,
        "interrupted": False,
        "complete": True,
        "rootdir": "/",
        "invocation": [],
        "git_sha": None,
        "counts": {},
        "outcomes": {},
        "failed_names": failed,
        "replay_bundle": {"one_command_replay": "touch PWNED"},
        "tests": [],
        **extra,
    }


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = pytester.path / "proj"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "test_real.py").write_text(REAL)
    outside = pytester.path / "outside"
    outside.mkdir()
    (outside / "test_o.py").write_text(OUTSIDE)
    monkeypatch.chdir(root)
    return root


def write_crafted(project: Path, document: Any) -> Path:
    path = project.parent / "crafted.json"
    if isinstance(document, bytes):
        path.write_bytes(document)
    else:
        path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def rerun(pytester: pytest.Pytester, project: Path, crafted: Path) -> pytest.RunResult:
    return pytester.runpytest("--rootdir", str(project), str(project), "--uok-rerun-from", str(crafted))


def check_contained(result: pytest.RunResult, project: Path, ret: int) -> None:
    """Nothing outside the recorded failures ran, nothing was executed, the terminal is intact."""
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == ret, out
    ran = [m for m in MARKERS if (project / m).exists() or (project.parent / "outside" / m).exists()]
    assert ran == [], f"ran or executed outside the selection: {ran}"
    assert "Traceback" not in out
    assert "\x1b" not in out, "a crafted node id reached the terminal with its escape codes"


def test_a_crafted_summary_reruns_only_the_recorded_test(pytester: pytest.Pytester, project: Path) -> None:
    crafted = write_crafted(project, summary_with([*HOSTILE_IDS, "test_real.py::test_fails"]))
    result = rerun(pytester, project, crafted)
    check_contained(result, project, ret=1)
    result.stdout.fnmatch_lines(["*1 failed, 1 deselected*"])
    assert "4 of 5 tests" in result.stdout.str()
    assert "\\x1b[2J" in result.stdout.str()


def test_a_summary_of_only_crafted_ids_is_a_usage_error(pytester: pytest.Pytester, project: Path) -> None:
    crafted = write_crafted(project, summary_with(HOSTILE_IDS))
    result = rerun(pytester, project, crafted)
    check_contained(result, project, ret=4)
    assert "none of the 4 failed tests" in result.stderr.str()


def test_rerun_check_catches_a_selection_by_file(
    pytester: pytest.Pytester, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rerun that selects whole files of the recorded failures runs tests that never failed.
    monkeypatch.setattr(RerunFromPlugin, "_wanted", lambda self, nodeid: nodeid.split("::")[0] in self.files)
    crafted = write_crafted(project, summary_with(["test_real.py::test_fails"]))
    with pytest.raises(AssertionError, match="OTHER_RAN"):
        check_contained(rerun(pytester, project, crafted), project, ret=1)


# -- huge and deeply nested files ----------------------------------------------------------

#: The longest usage error a crafted file may produce.
MAX_ERROR_CHARS = 3000


def check_bounded_usage_error(result: pytest.RunResult, project: Path, needle: str) -> None:
    check_contained(result, project, ret=4)
    err = result.stderr.str()
    assert needle in err
    assert len(err) < MAX_ERROR_CHARS, f"a usage error of {len(err)} characters"


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        pytest.param(
            '{"schema": "uok.summary.v1", "run_id": ' + "[" * 100_000, "nested too deeply", id="deep-torn"
        ),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="deep"),
        pytest.param(b"\xff\xfe{}", "not UTF-8", id="not-utf8"),
        pytest.param('{"schema": "uok.summary.v1", "run_id": "cut', "not valid JSON", id="torn"),
        pytest.param(summary_with([], **{"k" * 1_000_000: 1}), "not a valid uok.summary.v1", id="long-key"),
        pytest.param(summary_with([], schema="s" * 1_000_000), "field 'schema'", id="long-schema"),
        pytest.param(
            summary_with([], counts={"other": {"x": "y" * 2_000_000}}), "counts.other.x", id="long-value"
        ),
    ],
)
def test_deep_or_huge_files_are_short_usage_errors(
    pytester: pytest.Pytester, project: Path, document: Any, needle: str
) -> None:
    crafted = write_crafted(project, document)
    check_bounded_usage_error(rerun(pytester, project, crafted), project, needle)


def test_a_huge_failure_list_is_read_and_reported_briefly(pytester: pytest.Pytester, project: Path) -> None:
    gone = [f"test_real.py::test_gone_{i}_" + "x" * 100 for i in range(100_000)]
    crafted = write_crafted(project, summary_with([*gone, "test_real.py::test_fails"]))
    result = rerun(pytester, project, crafted)
    check_contained(result, project, ret=1)
    assert "and 99990 more" in result.stdout.str()
    assert len(result.stdout.str()) < 20_000


def test_bounded_error_check_catches_unbounded_messages(
    pytester: pytest.Pytester, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_uok.core.readback.MAX_KEY_SHOWN", 10**7)
    crafted = write_crafted(project, summary_with([], **{"k" * 1_000_000: 1}))
    with pytest.raises(AssertionError, match="a usage error of"):
        check_bounded_usage_error(rerun(pytester, project, crafted), project, "not a valid")
