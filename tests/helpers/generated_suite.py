"""A generated project of many tests with a known set of failures of every kind."""

from __future__ import annotations

from pathlib import Path

#: Parametrize ids that a shell would misread if they were not quoted.
AWKWARD = ["a b", "$(touch PWNED)", "`touch PWNED`", "x;touch PWNED", "q'uote", 'd"q', "ü-ñ", "*", "a|b&c"]

#: Failure kinds cycled through the failing tests, with the outcome each produces.
KINDS = {"assert": "failed", "raise": "failed", "setup": "error", "teardown": "error"}

CONFTEST = """
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup failed")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown failed")
"""


def write_suite(root: Path, tests: int = 2000, files: int = 20, every: int = 100) -> dict[str, str]:
    """Write the project; returns the expected failing node ids and their outcomes."""
    root.joinpath("conftest.py").write_text(CONFTEST)
    expected: dict[str, str] = {}
    per_file = tests // files
    kinds = list(KINDS)
    counter = 0
    for f in range(files):
        lines = ["import pytest", ""]
        name = f"test_gen_{f:03d}.py"
        n = 0
        while n < per_file:
            if n == 0 and per_file >= len(AWKWARD):
                ids = ", ".join(repr(a) for a in AWKWARD)
                lines += [f"@pytest.mark.parametrize('v', [{ids}])", f"def test_p{n}(v):"]
                fail = AWKWARD[f % len(AWKWARD)]
                lines += [f"    assert v != {fail!r}", ""]
                escaped = fail.encode("unicode_escape").decode("ascii")
                expected[f"{name}::test_p{n}[{escaped}]"] = "failed"
                counter += len(AWKWARD)
                n += len(AWKWARD)
                continue
            counter += 1
            if counter % every == 0:
                kind = kinds[(counter // every) % len(kinds)]
                nodeid = f"{name}::test_{n}"
                expected[nodeid] = KINDS[kind]
                if kind == "assert":
                    lines += [f"def test_{n}():", f"    assert {n} == {n + 1}", ""]
                elif kind == "raise":
                    lines += [f"def test_{n}():", f"    raise ValueError('bad {n}')", ""]
                elif kind == "setup":
                    lines += [f"def test_{n}(broken_setup):", "    pass", ""]
                else:
                    lines += [f"def test_{n}(broken_teardown):", "    pass", ""]
            else:
                lines += [f"def test_{n}():", f"    assert {n} == {n}", ""]
            n += 1
        root.joinpath(name).write_text("\n".join(lines))
    return expected
