"""The core never imports pytest: it must be usable from the CLI without pytest running.

Two checks, each shown to catch a planted import: no ``import`` statement anywhere in the
core names pytest (read from the source, so imports inside functions count too), and a fresh
interpreter that imports every core module has loaded no pytest module (so an indirect import
through a third-party package counts too).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest_uok.core

CORE = Path(pytest_uok.core.__file__).parent

#: Top-level packages the core must not import; only pytest's own are looked for at runtime,
#: since pluggy and xdist may be loaded by other libraries without pytest.
FORBIDDEN = ("pytest", "_pytest", "pluggy", "xdist")
FORBIDDEN_AT_RUNTIME = ("pytest", "_pytest")


def pytest_imports_in(folder: Path) -> list[str]:
    """``file: import name`` for every import statement below ``folder`` naming a forbidden package."""
    offenders = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            offenders += [
                f"{path.relative_to(folder)}: import {n}" for n in names if n.split(".")[0] in FORBIDDEN
            ]
    return offenders


def modules(package: str, folder: Path) -> list[str]:
    """Every module of ``package`` (whose files are in ``folder``), by dotted name."""
    return sorted(
        ".".join([package, *p.relative_to(folder).with_suffix("").parts])
        for p in folder.rglob("*.py")
        if p.name != "__init__.py"
    )


def pytest_modules_loaded(names: list[str], path: Path | None = None) -> list[str]:
    """The pytest modules a fresh interpreter has loaded after importing ``names``."""
    code = (
        "import importlib, json, sys\n"
        + (f"sys.path.insert(0, {str(path)!r})\n" if path else "")
        + f"for m in {names!r}: importlib.import_module(m)\n"
        + f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_AT_RUNTIME!r})))\n"
    )
    # -I: no user site, no PYTHON* variables, no current folder on sys.path: only what the import does.
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = json.loads(proc.stdout)
    return loaded


def test_no_core_module_mentions_pytest_in_an_import() -> None:
    assert pytest_imports_in(CORE) == []


def test_importing_every_core_module_loads_no_pytest() -> None:
    names = modules("pytest_uok.core", CORE)
    assert len(names) > 30  # the walk found the core, not an empty folder
    assert pytest_modules_loaded(names) == []


def test_both_checks_catch_a_planted_import(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    (package / "deep").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "deep" / "__init__.py").write_text("")
    (package / "clean.py").write_text("import json\nfrom . import deep\n")
    (package / "deep" / "hidden.py").write_text("def later():\n    from _pytest import nodes\n")
    (package / "deep" / "direct.py").write_text("import pytest\n")
    assert pytest_imports_in(package) == [
        "deep/direct.py: import pytest",
        "deep/hidden.py: import _pytest",
    ]
    assert pytest_modules_loaded(["planted.clean"], tmp_path) == []
    loaded = pytest_modules_loaded(["planted.clean", "planted.deep.direct"], tmp_path)
    assert "pytest" in loaded
