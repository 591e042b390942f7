"""Crashes and signals: a dying test, a segfault, a crashed xdist worker, SIGINT, SIGTERM, SIGKILL.

Whatever stops a session, the artifact folder holds only whole files: a summary.json that is
valid JSON and says whether the run completed, and events.jsonl lines flushed as they happened.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest

from tests.conftest import check_counts_agree
from tests.reliability.faults import QUIET, Stopped, check_folder_whole, kinds, sabotage, stop_session

#: Two tests that finish, then one that never does; checkpoints on every report.
DYING_PROJECT = """
import os, pathlib, time

def test_first():
    pass

def test_second():
    pass

def test_dies():
    pathlib.Path("started").touch()
    {how}
"""
CHECKPOINT_ALWAYS = (*QUIET, "-o", "uok_checkpoint_seconds=0.000001")
DIES = "test_dies.py::test_dies"
FINISHED = ("test_dies.py::test_first", "test_dies.py::test_second")


def check_killed_run(folder: Any) -> None:
    """A run that died mid-way: whole files, complete: false, the finished tests kept, no lie."""
    found = check_folder_whole(folder)
    summary = found["summary.json"]
    assert summary["complete"] is False
    assert summary["finished_at"] is None
    outcomes = {t["nodeid"]: t["outcome"] for t in summary["tests"]}
    for nodeid in FINISHED:
        assert outcomes.get(nodeid) == "passed", f"{nodeid} missing from the checkpoint: {outcomes}"
    assert DIES not in outcomes, "a test that never finished is recorded with an outcome"
    assert kinds(found["events.jsonl"])[0] == "session_start"
    assert "session_finish" not in kinds(found["events.jsonl"])


@pytest.mark.parametrize(
    ("how", "ret"),
    [
        pytest.param("os._exit(7)", 7, id="os._exit"),
        pytest.param("import faulthandler; faulthandler._sigsegv()", -signal.SIGSEGV, id="segfault"),
    ],
)
def test_a_test_that_kills_its_process_leaves_whole_artifacts(
    pytester: pytest.Pytester, how: str, ret: int
) -> None:
    pytester.makepyfile(test_dies=DYING_PROJECT.format(how=how))
    result = pytester.runpytest_subprocess(*CHECKPOINT_ALWAYS, timeout=120)
    assert result.ret == ret
    check_killed_run(pytester.path / ".uok")


def test_sigkill_mid_run_leaves_whole_artifacts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dies=DYING_PROJECT.format(how="time.sleep(120)"))
    stopped = stop_session(pytester, *CHECKPOINT_ALWAYS, sig=signal.SIGKILL)
    assert stopped.ret == -signal.SIGKILL
    check_killed_run(stopped.folder)


def test_sigkill_check_catches_a_non_atomic_writer(pytester: pytest.Pytester) -> None:
    # The broken writer truncates summary.json in place and is killed half-way through a
    # checkpoint: the check must see the torn file that atomic writes rule out.
    pytester.makepyfile(test_dies=DYING_PROJECT.format(how="time.sleep(120)"))
    sabotage(
        pytester,
        """
        import pathlib, time
        import pytest_uok.core.artifacts as _uok_artifacts
        import pytest_uok.core.summary_file as _uok_summary_file

        def _torn_write_text(path, text):
            with open(path, "w", encoding="utf-8") as fh:
                if path.name == "summary.json" and "test_second" in text:
                    fh.write(text[: len(text) // 2])
                    fh.flush()
                    pathlib.Path("started").touch()
                    time.sleep(120)
                fh.write(text)

        def _torn_write_chunks(path, chunks):  # summary.json is written in pieces
            _torn_write_text(path, b"".join(chunks).decode("utf-8"))

        _uok_artifacts.atomic_write_text = _torn_write_text
        _uok_summary_file.atomic_write_chunks = _torn_write_chunks
        """,
    )
    stopped = stop_session(pytester, *CHECKPOINT_ALWAYS, sig=signal.SIGKILL)
    with pytest.raises(AssertionError, match=r"summary\.json is not whole UTF-8 JSON"):
        check_killed_run(stopped.folder)


# -- interrupts ----------------------------------------------------------------------------

HANGING_PROJECT = """
import pathlib, time

def test_first():
    pass

def test_hangs():
    pathlib.Path("started").touch()
    time.sleep(120)

def test_never_reached():
    pass
"""


def check_interrupted(stopped: Stopped) -> None:
    """An interrupted run ends like Ctrl-C: exit 2 and complete artifacts saying so."""
    assert stopped.ret == 2, f"exit {stopped.ret}, expected 2 (interrupted):\n{stopped.output}"
    assert "Traceback" not in stopped.output.split("KeyboardInterrupt")[0]
    found = check_folder_whole(stopped.folder)
    summary = found["summary.json"]
    assert summary["interrupted"] is True
    assert summary["complete"] is False
    assert summary["exit_status"] == 2
    outcomes = {t["nodeid"]: t["outcome"] for t in summary["tests"]}
    assert outcomes == {"test_hang.py::test_first": "passed"}, outcomes
    for name in ("replay_bundle.json", "failure_digest.json", "environment.json"):
        assert name in found
    finish = [e for e in found["events.jsonl"] if e["kind"] == "session_finish"]
    assert finish
    assert finish[-1]["data"]["interrupted"] is True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_hung_test_interrupted_by_a_signal_writes_the_artifacts(
    pytester: pytest.Pytester, sig: int
) -> None:
    pytester.makepyfile(test_hang=HANGING_PROJECT)
    stopped = stop_session(pytester, sig=sig)
    check_interrupted(stopped)
    if sig == signal.SIGTERM:
        assert "uok: SIGTERM received" in stopped.output


def test_sigterm_check_catches_a_missing_handler(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hang=HANGING_PROJECT)
    sabotage(
        pytester,
        """
        import signal
        import pytest

        @pytest.hookimpl(trylast=True)
        def pytest_configure(config):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        """,
    )
    stopped = stop_session(pytester, sig=signal.SIGTERM)
    with pytest.raises(AssertionError, match="expected 2"):
        check_interrupted(stopped)


def test_the_sigterm_handler_is_restored_and_never_replaces_another(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok(): pass")
    before = signal.getsignal(signal.SIGTERM)
    assert pytester.runpytest().ret == 0
    assert signal.getsignal(signal.SIGTERM) is before

    def theirs(signum: int, frame: object) -> None:
        raise AssertionError("never called here")

    previous = signal.signal(signal.SIGTERM, theirs)
    try:
        pytester.makeconftest(
            """
            import signal
            def pytest_sessionstart(session):
                session.config._uok_seen = signal.getsignal(signal.SIGTERM)
            def pytest_sessionfinish(session):
                assert session.config._uok_seen.__name__ == "theirs"
            """
        )
        assert pytester.runpytest().ret == 0
        assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- a crashed xdist worker ----------------------------------------------------------------

CRASHING_PROJECT = """
import os

def test_first():
    pass

def test_crash():
    os._exit(3)

def test_fails():
    assert 1 == 2

def test_last():
    pass
"""

#: Emulates, without xdist, the report xdist's controller makes for a crashed worker's test.
EMULATED_CRASH = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if item.name != "test_crash":
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    fspath = item.nodeid.split("::")[0]
    report = pytest.TestReport(
        nodeid=item.nodeid,
        location=(fspath, None, fspath),
        keywords={},
        outcome="failed",
        longrepr=f"worker 'gw0' crashed while running {item.nodeid!r}",
        when="???",
    )
    item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"""


def check_crash_kept(result: pytest.RunResult, folder: Any) -> None:
    """The crashed test is a failure classified ``crash``; every other result is kept."""
    assert result.ret == 1
    found = check_folder_whole(folder)
    summary = found["summary.json"]
    assert summary["complete"] is True
    check_counts_agree(result, summary)
    outcomes = {t["nodeid"]: t["outcome"] for t in summary["tests"]}
    assert outcomes == {
        "test_crashing.py::test_first": "passed",
        "test_crashing.py::test_crash": "failed",
        "test_crashing.py::test_fails": "failed",
        "test_crashing.py::test_last": "passed",
    }
    classes = {f["nodeid"]: f["root_cause_class"] for f in found["failure_digest.json"]["failures"]}
    assert classes == {
        "test_crashing.py::test_crash": "crash",
        "test_crashing.py::test_fails": "assertion_failure",
    }


def test_a_crashed_xdist_worker_is_a_crash_and_other_results_are_kept(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_crashing=CRASHING_PROJECT)
    result = pytester.runpytest_subprocess(*QUIET, "-n", "2", timeout=300)
    assert "crashed while running" in result.stdout.str()
    check_crash_kept(result, pytester.path / ".uok")


def test_crash_check_passes_on_the_emulated_crash_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_crashing=CRASHING_PROJECT.replace("os._exit(3)", "pass"))
    pytester.makeconftest(EMULATED_CRASH)
    check_crash_kept(pytester.runpytest(), pytester.path / ".uok")


def test_crash_check_catches_a_crash_recorded_with_phase_question_marks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Unfixed, the recorder copied xdist's when="???" into the phase: summary.json then no
    # longer matched its own schema.
    monkeypatch.setattr("pytest_uok.core.records.PHASES", frozenset({"setup", "call", "teardown", "???"}))
    pytester.makepyfile(test_crashing=CRASHING_PROJECT.replace("os._exit(3)", "pass"))
    pytester.makeconftest(EMULATED_CRASH)
    with pytest.raises(AssertionError, match="does not match"):
        check_crash_kept(pytester.runpytest(), pytester.path / ".uok")
