"""Shared tools of the reliability tests: sessions stopped by signals, sabotage, artifact checks.

Every fault family pairs a *check* (a function raising AssertionError) with a scenario. The
check runs once against the real code and once against a deliberately broken variant (a
"sabotage": a non-atomic writer, an unlocked append, a handler removed), and must catch the
broken one; that is how each test shows it would fail on the unfixed code path.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.artifacts import validate_document

#: Plugins a child session does not need: hypothesis' summary hook imports all of hypothesis
#: when a session is interrupted.
QUIET = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

#: Names of the artifacts that are single JSON documents.
JSON_ARTIFACTS = ("summary.json", "replay_bundle.json", "failure_digest.json", "environment.json")


@dataclass
class Stopped:
    """A session that was stopped from outside: its exit code, output and artifact folder."""

    ret: int
    output: str
    folder: Path


def start_session(pytester: pytest.Pytester, *args: str) -> subprocess.Popen[bytes]:
    """A pytest session in a child process of its own, in ``pytester``'s project."""
    return pytester.popen(  # type: ignore[no-any-return]
        [sys.executable, "-m", "pytest", *QUIET, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until ``path`` exists (the session reached the point of interest)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"session ended (exit {proc.returncode}) before {path.name} appeared:\n{out}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{path.name} did not appear within {timeout}s")
        time.sleep(0.05)


def stop_session(
    pytester: pytest.Pytester, *args: str, sig: int, marker: str = "started", out: str = ".uok"
) -> Stopped:
    """Run a session until it creates ``marker``, send it ``sig``, and collect what is left."""
    proc = start_session(pytester, *args)
    wait_for(pytester.path / marker, proc)
    proc.send_signal(sig)
    try:
        output, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        pytest.fail(f"session did not end after signal {signal.Signals(sig).name}")
    return Stopped(proc.returncode, output.decode(errors="replace"), pytester.path / out)


def sabotage(pytester: pytest.Pytester, code: str) -> None:
    """Make the project's conftest.py patch pytest-uok (in the session's own process)."""
    path = pytester.path / "conftest.py"
    before = path.read_text() if path.exists() else ""
    path.write_text(before + "\n" + textwrap.dedent(code))


def read_json(path: Path) -> Any:
    """Parse ``path``, turning a torn or undecodable file into an AssertionError."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AssertionError(f"{path.name} is not whole UTF-8 JSON: {exc}") from None


def check_folder_whole(folder: Path) -> dict[str, Any]:
    """Every artifact in ``folder`` is whole, valid JSON matching its schema; returns them parsed.

    events.jsonl is append-only: every line must be a whole event except possibly a last line
    cut by a kill, which readers skip.
    """
    assert folder.is_dir(), f"no artifact folder at {folder}"
    found: dict[str, Any] = {}
    for name in JSON_ARTIFACTS:
        path = folder / name
        if path.exists():
            found[name] = document = read_json(path)
            try:
                validate_document(document, name)
            except AssertionError:
                raise
    events_path = folder / "events.jsonl"
    if events_path.exists():
        lines = events_path.read_bytes().decode("utf-8").split("\n")
        assert lines[-1] == "", "events.jsonl does not end with a whole line"
        events = []
        for i, line in enumerate(lines[:-1]):
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AssertionError(f"events.jsonl line {i + 1} is torn or interleaved: {exc}") from None
            validate_document(event, f"events.jsonl:{i + 1}")
            events.append(event)
        found["events.jsonl"] = events
    return found


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in events]
