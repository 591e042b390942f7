"""The core never imports pytest: it must be usable from the CLI without pytest running."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest_uok.core

CORE = Path(pytest_uok.core.__file__).parent


def test_no_core_module_mentions_pytest_in_an_import() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root in ("pytest", "_pytest", "pluggy", "xdist"):
                    offenders.append(f"{path.relative_to(CORE)}: import {name}")
    assert offenders == []


def test_importing_every_core_module_loads_no_pytest() -> None:
    modules = sorted(
        "pytest_uok.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest'))\n"
        "print(bad)\n"
        "raise SystemExit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
