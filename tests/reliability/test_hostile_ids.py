"""Hostile node ids: shell metacharacters, newlines, odd unicode and very long names.

Every command pytest-uok writes into an artifact must reach the shell as exactly the words it
names: no command substitution, no second command, no word splitting.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.core.commands import Launcher
from tests.conftest import shell

HOSTILE_IDS = [
    "semi; touch PWNED",
    "sub $(touch PWNED)",
    "tick `touch PWNED`",
    "quote ' \" end",
    "pipe | amp & redirect > PWNED",
    "glob * ? ~ {a,b}",
    "newline\ntouch PWNED",
    "rtl \u202e zero\u200bwidth emoji \U0001f600 combining e\u0301",
    "long-" + "x" * 3000,
]

PROJECT = f"""
import pytest

IDS = {HOSTILE_IDS!r}

@pytest.mark.parametrize("value", IDS, ids=IDS)
def test_hostile(value):
    assert value == ""
"""
RAW_IDS = ("-o", "disable_test_id_escaping_and_forfeit_all_rights_to_community_support=true")

#: Stand-ins for the launchers that print the words they were given, one per NUL.
PRINT_ARGS = "python() { printf '%s\\0' python \"$@\"; }; pytest() { printf '%s\\0' pytest \"$@\"; }; "


def commands_in(found: dict[str, Any]) -> list[str]:
    """Every command written into summary.json, replay_bundle.json and failure_digest.json."""
    summary, bundle, digest = found["summary.json"], found["replay_bundle.json"], found["failure_digest.json"]
    commands = [summary["replay_bundle"]["one_command_replay"], bundle["one_command_replay"]]
    for suite in bundle["failed_suites"]:
        commands += [suite["suite_replay"], *suite["targeted_replay"]]
    for failure in digest["failures"]:
        commands += list(failure["remediation_pointer"].values())
    return [c for c in commands if c]


def check_commands_are_words(found: dict[str, Any], nodeids: list[str], cwd: Path) -> None:
    """Each command, run by bash, passes exactly its words; a hostile id is one whole word."""
    commands = commands_in(found)
    targeted = [c for c in commands if "::" in c]
    assert len(targeted) >= 2 * len(nodeids)
    for command in commands:
        proc = subprocess.run(
            ["bash", "-c", PRINT_ARGS + command], cwd=cwd, capture_output=True, timeout=30, check=False
        )
        assert proc.returncode == 0, f"bash rejected {command!r}: {proc.stderr.decode(errors='replace')}"
        words = proc.stdout.decode("utf-8").split("\0")[:-1]
        assert words == shlex.split(command), f"bash split {command!r} into {words}"
        assert not (cwd / "PWNED").exists(), f"running {command!r} executed an injected command"
    seen = {shlex.split(c)[-1] for c in targeted}
    assert set(nodeids) <= seen, f"node ids not passed whole: {set(nodeids) - seen}"


def _run(pytester: pytest.Pytester) -> tuple[pytest.RunResult, dict[str, Any], list[str]]:
    from tests.reliability.faults import check_folder_whole

    pytester.makepyfile(test_ids=PROJECT)
    result = pytester.runpytest(*RAW_IDS)
    assert result.ret == 1
    found = check_folder_whole(pytester.path / ".uok")
    nodeids = found["summary.json"]["failed_names"]
    assert len(nodeids) == len(HOSTILE_IDS)
    return result, found, nodeids


def test_commands_in_artifacts_pass_hostile_ids_as_single_words(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    _, found, nodeids = _run(pytester)
    assert any("\n" in n for n in nodeids)
    assert any(len(n) > 3000 for n in nodeids)
    check_commands_are_words(found, nodeids, tmp_path)


def test_the_replay_command_reruns_exactly_the_hostile_failures(pytester: pytest.Pytester) -> None:
    _, found, _nodeids = _run(pytester)
    pytester.makepyfile(test_other="def test_other(): pass")
    proc = shell(
        found["summary.json"]["replay_bundle"]["one_command_replay"] + " -p no:hypothesispytest",
        pytester.path,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{len(HOSTILE_IDS)} failed in" in proc.stdout
    assert "passed" not in proc.stdout.splitlines()[-1]
    assert not (pytester.path / "PWNED").exists()


def test_words_check_catches_unquoted_commands(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Launcher, "command", lambda self, *args: " ".join([*self.argv0, *self.kept, *args]))
    _, found, nodeids = _run(pytester)
    with pytest.raises(AssertionError):
        check_commands_are_words(found, nodeids, tmp_path)
