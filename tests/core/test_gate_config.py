"""The gates' sections of the policy file: validated, with errors naming file, table and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gates.session import load_config


def policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite_classification.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_policy_file_means_default_gates(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert config.gates == {}
    assert config.commands == []


def test_gate_tables_and_command_gates_are_read(tmp_path: Path) -> None:
    path = policy(
        tmp_path,
        """
[suite.unit]
files = ["tests"]

[gates.pass_rate]
min_rate = 0.9
suites = {unit = 1.0}

[gates.duration_budget]
blocking = true
default_test_s = 2.5

[[command_gate]]
id = "lint"
command = "ruff check ."
timeout = 30
requires = ["collection"]
""",
    )
    config = load_config(path)
    assert config.gates["pass_rate"].options == {"min_rate": 0.9, "suites": {"unit": 1.0}}
    assert config.gates["duration_budget"].common.blocking is True
    assert config.gates["duration_budget"].options["default_test_s"] == 2.5
    [lint] = config.commands
    assert (lint.id, lint.command, lint.timeout, lint.blocking, lint.requires) == (
        "lint",
        "ruff check .",
        30,
        True,
        ["collection"],
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[gates.pass_rate]\nmin_rate = 'high'\n", r"table \[gates.pass_rate\], field 'min_rate'"),
        ("[gates.pass_rate]\nmin_rate = 2\n", r"field 'min_rate': Input should be less than or equal to 1"),
        ("[gates.flaky]\naction = 'explode'\n", r"table \[gates.flaky\], field 'action'"),
        ("[gates.collection]\nthreshold = 1\n", r"field 'threshold': Extra inputs are not permitted"),
        ("[gates.test_results]\nblocking = 'yes'\n", r"field 'blocking'"),
        (
            "[[command_gate]]\nid = 'x'\n",
            r"table \[\[command_gate\]\] #1 \(id 'x'\), field 'command': Field required",
        ),
        ("[[command_gate]]\nid = 'x'\ncommand = 'true'\ntimeout = -1\n", r"field 'timeout'"),
        ("[[command_gate]]\nid = 'flaky'\ncommand = 'true'\n", r"field 'id': the id 'flaky' is already used"),
        ("gates = 3\n", r"'gates' must be a table"),
        ("[gates\n", r"is not valid TOML"),
    ],
)
def test_bad_entries_name_the_file_table_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = policy(tmp_path, text)
    with pytest.raises(UokInputError, match=message) as info:
        load_config(path)
    assert str(path) in info.value.message


def test_a_requires_cycle_is_rejected_when_the_config_is_loaded(tmp_path: Path) -> None:
    path = policy(
        tmp_path,
        """
[gates.collection]
requires = ["lint"]

[[command_gate]]
id = "lint"
command = "true"
requires = ["collection"]
""",
    )
    with pytest.raises(
        UokInputError, match=r"cycle: (collection -> lint -> collection|lint -> collection -> lint)"
    ):
        load_config(path)
