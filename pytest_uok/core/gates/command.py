"""Command gates: a ``[[command_gate]]`` entry's command, run with a timeout, its exit status the result."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.gates.config import CommandGateSpec
from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import (
    FAIL,
    PASS,
    SKIP,
    GateArtifactError,
    GateExecutionError,
    GateResult,
    GateTimeout,
)
from pytest_uok.core.models.verdict import GateKind

#: Characters of a failing command's output quoted in the gate's detail.
TAIL_CHARS = 400
#: Extra seconds the runner waits beyond the command's own timeout before calling it hung.
GRACE_S = 10.0


class CommandGate:
    """A gate that runs a command from the policy file in the run's rootdir."""

    kind: GateKind = "command"

    def __init__(self, spec: CommandGateSpec) -> None:
        self.spec = spec
        self.id = spec.id
        self.requires: Sequence[str] = tuple(spec.requires)
        self.blocking = spec.blocking
        self.timeout_s = spec.timeout + GRACE_S

    @property
    def argv(self) -> list[str]:
        command = self.spec.command
        return shlex.split(command) if isinstance(command, str) else list(command)

    def display(self) -> str:
        command = self.spec.command
        return command if isinstance(command, str) else shlex.join(command)

    def _cwd(self, facts: RunFacts) -> Path:
        try:
            root = Path(facts.summary.rootdir)
        except GateArtifactError:
            root = Path.cwd()
        if self.spec.cwd:
            return root / self.spec.cwd
        return root

    def evaluate(self, facts: RunFacts, options: dict[str, Any]) -> GateResult:
        argv = self.argv
        cwd = self._cwd(facts)
        exe = argv[0]
        located = shutil.which(exe, path=os.environ.get("PATH")) if os.sep not in exe else exe
        if located is None or (os.sep in exe and not (cwd / exe).exists() and not Path(exe).exists()):
            return GateResult(
                SKIP,
                f"executable {exe!r} not found on PATH; command gate not run",
                reproduce_command=self.display(),
            )
        env = dict(os.environ)
        env["UOK_ARTIFACTS"] = str(facts.out_dir.resolve())
        try:
            done = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=self.spec.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise GateTimeout(f"command did not finish within {self.spec.timeout:g} s") from None
        except FileNotFoundError:
            return GateResult(
                SKIP, f"executable {exe!r} not found; command gate not run", reproduce_command=self.display()
            )
        except OSError as exc:
            raise GateExecutionError(f"could not start {exe!r}: {exc.strerror or exc}") from None
        output = (done.stdout or "") + (done.stderr or "")
        log = facts.out_dir / "gates" / f"{self.id}.log"
        evidence: list[str] = []
        try:
            atomic_write_text(log, f"$ {self.display()}\n# exit {done.returncode}\n{output}")
            evidence.append(str(log))
        except OSError:
            pass  # the detail still carries the output's tail
        if done.returncode == 0:
            return GateResult(PASS, f"`{self.display()}` exited 0", evidence, self.display())
        tail = output.strip()[-TAIL_CHARS:]
        return GateResult(
            FAIL,
            f"`{self.display()}` exited {done.returncode}" + (f": {tail}" if tail else ""),
            evidence,
            self.display(),
        )
