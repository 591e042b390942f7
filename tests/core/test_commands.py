"""Replay commands: which options survive, and quoting that makes any node id safe."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.commands import Launcher, kept_options, launcher_argv0


@pytest.mark.parametrize(
    ("args", "positional", "expected"),
    [
        (["-v", "tests"], ["tests"], []),
        (["-p", "no:cacheprovider", "-q"], [], ["-p", "no:cacheprovider"]),
        (["-pxdist", "-n", "2"], [], ["-p", "xdist"]),
        (["-o", "xfail_strict=true", "--tb", "short"], [], ["--override-ini=xfail_strict=true"]),
        (["--import-mode", "importlib", "tests"], ["tests"], ["--import-mode=importlib"]),
        (["--rootdir=.", "-c", "ci.ini"], [], ["--rootdir=.", "--config-file=ci.ini"]),
        (["-sv", "-k", "slow", "tests"], ["tests"], ["-s"]),
        (["--junitxml", "out.xml", "-W", "error"], [], ["--pythonwarnings=error"]),
        (["--maxfail", "tests/a.py"], ["tests/a.py"], []),
        (["--strict-markers", "--runxfail", "-x"], [], ["--strict-markers", "--runxfail"]),
        (["--uok-policy", "p.toml", "--uok-out", "o"], [], ["--uok-policy=p.toml"]),
    ],
)
def test_kept_options(args: list[str], positional: list[str], expected: list[str]) -> None:
    assert kept_options(args, positional) == expected


def test_launcher_from_console_script_or_module() -> None:
    assert launcher_argv0("/venv/bin/pytest") == ("pytest",)
    assert launcher_argv0("/lib/python3.11/site-packages/pytest/__main__.py") == (
        "python",
        "-m",
        "pytest",
    )


def test_node_ids_are_made_relative_to_the_invocation_folder() -> None:
    launcher = Launcher(("pytest",), (), "/repo", "/repo/sub")
    assert launcher.node_arg("tests/a.py::t") == "../tests/a.py::t"
    same = Launcher(("pytest",), (), "/repo", "/repo")
    assert same.node_arg("tests/a.py::t[x y]") == "tests/a.py::t[x y]"


@given(st.text(min_size=1).filter(lambda s: "\x00" not in s))
def test_any_node_id_survives_a_shell_round_trip(param: str) -> None:
    nodeid = f"tests/test_a.py::test_x[{param}]"
    launcher = Launcher(("python", "-m", "pytest"), ("-p", "no:randomly"), "/r", "/r")
    words = shlex.split(launcher.test_command([nodeid]))
    assert words == ["python", "-m", "pytest", "-p", "no:randomly", nodeid]
