"""Replay commands: the options of the original invocation that matter, and quoted node ids."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

#: Options kept in replays because they change what runs or how, by whether they take a value.
KEEP_WITH_VALUE_LONG = frozenset(
    {
        "--override-ini",
        "--config-file",
        "--rootdir",
        "--import-mode",
        "--confcutdir",
        "--pythonwarnings",
        "--capture",
        "--uok-policy",
        "--uok-reruns",
        "--randomly-seed",
        "--asyncio-mode",
        "--ds",
        "--dc",
    }
)
KEEP_FLAGS_LONG = frozenset(
    {
        "--noconftest",
        "--strict-markers",
        "--strict-config",
        "--strict",
        "--runxfail",
        "--pyargs",
        "--disable-plugin-autoload",
        "--no-cov",
    }
)
#: Short options: those taking a value (kept or not), and flags that are kept.
SHORT_WITH_VALUE = frozenset("kmpocWrn")
KEEP_SHORT_WITH_VALUE = frozenset("pocW")
KEEP_SHORT_FLAGS = frozenset("s")
SHORT_LONG_NAMES = {"o": "--override-ini", "c": "--config-file", "W": "--pythonwarnings"}


@dataclass(frozen=True)
class Launcher:
    """How pytest was started and from where, so a replay starts it the same way."""

    argv0: tuple[str, ...]
    kept: tuple[str, ...]
    rootdir: str
    invocation_dir: str

    def command(self, *args: str) -> str:
        return shlex.join([*self.argv0, *self.kept, *args])

    def node_arg(self, nodeid: str) -> str:
        """A node id as an argument valid from the invocation folder."""
        if self.invocation_dir == self.rootdir or not nodeid:
            return nodeid
        path, sep, rest = nodeid.partition("::")
        absolute = os.path.join(self.rootdir, path)
        return os.path.relpath(absolute, self.invocation_dir) + sep + rest

    def test_command(self, nodeids: Sequence[str]) -> str:
        return self.command(*(self.node_arg(n) for n in nodeids))

    def rerun_command(self, summary_path: str) -> str:
        return self.command("--uok-rerun-from", summary_path)


def launcher_argv0(sys_argv0: str) -> tuple[str, ...]:
    """``pytest`` when started by its console script, ``python -m pytest`` otherwise."""
    base = os.path.basename(sys_argv0)
    if base.startswith(("pytest", "py.test")) and not base.endswith(".py"):
        return ("pytest",)
    return ("python", "-m", "pytest")


def kept_options(args: Sequence[str], positional: Sequence[str]) -> list[str]:
    """The options of ``args`` a replay must repeat, in a canonical spelling.

    ``positional`` are the test selection arguments pytest parsed from ``args``; they tell an
    unknown option's value apart from a path that follows a flag.
    """
    pos = set(positional)
    out: list[str] = []
    i = 0
    n = len(args)
    while i < n:
        tok = args[i]
        i += 1
        if tok == "--":
            break
        if tok.startswith("--"):
            name, eq, value = tok.partition("=")
            if name in KEEP_WITH_VALUE_LONG:
                if not eq and i < n:
                    value = args[i]
                    i += 1
                out.append(f"{name}={value}")
            elif name in KEEP_FLAGS_LONG:
                out.append(name)
            elif not eq and i < n and not args[i].startswith("-") and args[i] not in pos:
                i += 1  # an option we drop, with its value
            continue
        if tok.startswith("-") and len(tok) > 1:
            j = 1
            while j < len(tok):
                letter = tok[j]
                if letter in SHORT_WITH_VALUE:
                    value = tok[j + 1 :]
                    if not value and i < n:
                        value = args[i]
                        i += 1
                    if letter in KEEP_SHORT_WITH_VALUE:
                        if letter == "p":
                            out.extend(["-p", value])
                        else:
                            out.append(f"{SHORT_LONG_NAMES[letter]}={value}")
                    break
                if letter in KEEP_SHORT_FLAGS:
                    out.append(f"-{letter}")
                j += 1
    return out
