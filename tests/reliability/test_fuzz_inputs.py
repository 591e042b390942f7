"""Fuzzing every input pytest-uok reads: each one loads, or fails with a usage error naming the
file, never with a traceback.

Inputs covered: summary.json / replay_bundle.json for ``--uok-rerun-from`` (mutated valid
documents, random JSON, random bytes, cut-off files, deep nesting) and TOML text: the
``uok_*`` keys of ``[tool.pytest.ini_options]``, and the policy file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pytest_uok import options
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.policy import load_policy
from pytest_uok.core.readback import FailedSelection, load_failed_selection

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import tomlkit

#: The longest error message a fuzzed input may produce.
MAX_MESSAGE = 3000

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)

VALID_TEST = {"nodeid": "t.py::a", "file": "t.py", "outcome": "failed", "duration_s": 0.1, "attempts": []}
VALID_SUMMARY: dict[str, Any] = {
    "schema": "uok.summary.v1",
    "run_id": "r",
    "started_at": "2026-01-01T00:00:00Z",
    "finished_at": None,
    "duration_s": 0,
    "exit_status": 1,
    "interrupted": False,
    "complete": True,
    "rootdir": "/",
    "invocation": [],
    "git_sha": None,
    "counts": {"failed": 1},
    "outcomes": {"failed": 1},
    "failed_names": ["t.py::a"],
    "replay_bundle": {"one_command_replay": None},
    "tests": [VALID_TEST],
}
VALID_BUNDLE: dict[str, Any] = {
    "schema": "uok.replay_bundle.v1",
    "run_id": "r",
    "one_command_replay": None,
    "failed_names": ["t.py::a"],
    "environment": {},
    "failed_suites": [],
}


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid summary or replay bundle with one field replaced, removed or added."""
    document = json.loads(json.dumps(draw(st.sampled_from([VALID_SUMMARY, VALID_BUNDLE]))))
    target = document
    if draw(st.booleans()):
        target = document["tests"][0] if "tests" in document else document
    key = draw(st.sampled_from([*target.keys(), "unknown_field"]))
    action = draw(st.sampled_from(["replace", "remove"]))
    if action == "remove":
        target.pop(key, None)
    else:
        target[key] = draw(json_values)
    return document


def _deep(depth: int, opener: str) -> str:
    """JSON nested ``depth`` levels deep, in lists or in objects."""
    if opener == "[":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


documents = st.one_of(
    mutated().map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=200),
    st.builds(lambda n: json.dumps(VALID_SUMMARY).encode()[:n], st.integers(0, 600)),
    st.builds(lambda n, o: _deep(n, o).encode(), st.integers(1, 50_000), st.sampled_from("[{")),
)


def loads_or_usage_error(load: Callable[[], Any]) -> tuple[Any, str | None]:
    """What ``load`` returned, or the message of the usage error it raised; anything else raises."""
    try:
        return load(), None
    except UokInputError as exc:
        return None, exc.message
    except pytest.UsageError as exc:
        return None, str(exc)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@given(data=documents)
def test_every_rerun_input_loads_or_is_a_usage_error(scratch: Path, data: bytes) -> None:
    path = scratch / "summary.json"
    path.write_bytes(data)
    selection, message = loads_or_usage_error(lambda: load_failed_selection(path))
    if message is not None:
        assert str(path) in message
        assert len(message) < MAX_MESSAGE
        return
    assert isinstance(selection, FailedSelection)
    assert all(isinstance(n, str) for n in selection.nodeids)


# -- TOML ----------------------------------------------------------------------------------

toml_scalars = (
    st.text(max_size=30)
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True)
    | st.booleans()
    | st.datetimes(timezones=st.just(timezone.utc)).filter(lambda d: d.year > 1)
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)


def toml_text(document: dict[str, Any]) -> str:
    """TOML for ``document``; examples tomlkit cannot write, or tomllib cannot read, are dropped."""
    try:
        text = tomlkit.dumps(document)
        tomllib.loads(text)
    except Exception:
        assume(False)
    return text


UOK_KEYS = [opt.ini for opt in options.OPTIONS if not opt.flag_only]


# pytest itself deprecates non-string values for string ini keys; that is its warning to give.
@pytest.mark.filterwarnings("ignore:Passing a value that is not a string")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=25)
@given(values=st.dictionaries(st.sampled_from(UOK_KEYS), toml_values, min_size=1))
def test_every_ini_table_loads_or_is_a_usage_error(pytester: pytest.Pytester, values: dict[str, Any]) -> None:
    text = toml_text({"tool": {"pytest": {"ini_options": values}}})
    pytester.path.joinpath("pyproject.toml").write_text(text, encoding="utf-8")
    try:
        _, message = loads_or_usage_error(lambda: options.resolve(pytester.parseconfig()))
    finally:
        pytester.path.joinpath("pyproject.toml").unlink()
    assert message is None or len(message) < MAX_MESSAGE


ENTRY_KEYS = ["id", "target", "owner", "reason", "issue", "created", "expires", "category", "files", "nodeid"]
POLICY_TABLES = ["suite", "profile", "quarantine", "waiver", "settings", "gates", "command_gate", "other"]


policy_documents = st.dictionaries(
    st.sampled_from(POLICY_TABLES),
    toml_values
    | st.dictionaries(st.text(min_size=1, max_size=8), toml_values, max_size=3)
    | st.lists(st.dictionaries(st.sampled_from(ENTRY_KEYS), toml_values, max_size=7), max_size=3),
    max_size=4,
)


#: Found by a long fuzzing run: 42 problems, whose message once ran past MAX_MESSAGE.
MANY_PROBLEMS: dict[str, Any] = {
    "settings": [],
    "quarantine": [{}, {"id": [], "target": {}, "owner": ""}, dict.fromkeys(ENTRY_KEYS[:7], "")],
    "command_gate": "",
    "waiver": [{}, {}],
}
LONG_VALUES: dict[str, Any] = {
    "quarantine": [{key: "x" * 5000 for key in ENTRY_KEYS}] * 3,
    "suite": {"y" * 5000: {"z" * 5000: 1}},
}


@given(document=policy_documents)
@example(document=MANY_PROBLEMS)
@example(document=LONG_VALUES)
def test_every_policy_file_loads_or_is_a_usage_error(scratch: Path, document: dict[str, Any]) -> None:
    path = scratch / "policy.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    _, message = loads_or_usage_error(lambda: load_policy(path))
    assert message is None or len(message) < MAX_MESSAGE


@pytest.mark.parametrize(
    "text",
    ['[suite.unit]\nfiles = ["' + "x" * 2_000_000 + '"]\n', "a = " + "[" * 5000 + "]" * 5000 + "\n"],
    ids=["huge", "deep"],
)
def test_a_huge_or_deep_policy_file_loads_or_is_a_usage_error(scratch: Path, text: str) -> None:
    path = scratch / "policy.toml"
    path.write_text(text)
    _, message = loads_or_usage_error(lambda: load_policy(path))
    assert message is None or len(message) < MAX_MESSAGE
