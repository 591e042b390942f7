"""The gates' part of the policy file: ``[gates.ID]`` tables and ``[[command_gate]]`` entries, validated.

The policy loader keeps these sections raw; this module reads and validates them, so every
problem is reported with the file, the table and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.policy import read_policy_document
from pytest_uok.core.readback import _location

#: The keys every ``[gates.ID]`` table may carry, whatever the gate.
COMMON_KEYS = frozenset({"enabled", "blocking", "requires", "timeout", "breaker_threshold", "breaker_open_s"})
GATE_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CommonGateSettings(_Strict):
    """Settings every gate understands."""

    enabled: bool | None = None
    blocking: bool | None = None
    requires: list[str] | None = None
    timeout: float | None = Field(default=None, gt=0)
    breaker_threshold: int = Field(default=3, ge=1)
    breaker_open_s: float = Field(default=300.0, gt=0)


class CommandGateSpec(_Strict):
    """One ``[[command_gate]]`` entry: a command whose exit status is the gate's result."""

    id: str = Field(pattern=GATE_ID_PATTERN)
    command: str | list[str] = Field(min_length=1)
    timeout: float = Field(default=300.0, gt=0)
    blocking: bool = True
    requires: list[str] = Field(default_factory=list)
    enabled: bool = True
    cwd: str | None = None


@dataclass
class GateSettings:
    """One gate's validated configuration: the common settings and its own options."""

    common: CommonGateSettings = field(default_factory=CommonGateSettings)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class GatesConfig:
    """Everything the policy file says about gates (empty when it says nothing or does not exist)."""

    path: Path | None = None
    gates: dict[str, GateSettings] = field(default_factory=dict)
    commands: list[CommandGateSpec] = field(default_factory=list)

    def settings(self, gate_id: str) -> GateSettings:
        return self.gates.get(gate_id) or GateSettings()


def _problem(path: Path | None, table: str, exc: ValidationError) -> UokInputError:
    first = exc.errors(include_url=False)[0]
    where = _location(tuple(first["loc"]))
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return UokInputError(
        f"{path or 'the policy file'}, table {table}, field '{where}': {first['msg']}{tail}. "
        "Fix the entry (see docs/gates.md for the gates' settings) and run again."
    )


def parse_gates_config(
    document: Mapping[str, Any],
    path: Path | None,
    option_models: Mapping[str, type[BaseModel]],
) -> GatesConfig:
    """Validate the ``gates`` and ``command_gate`` sections of a parsed policy document."""
    config = GatesConfig(path=path)
    gates_raw = document.get("gates", {})
    if not isinstance(gates_raw, Mapping):
        raise UokInputError(
            f"{path or 'the policy file'}: 'gates' must be a table of [gates.ID] tables, "
            f"got {type(gates_raw).__name__}."
        )
    for gate_id, table in gates_raw.items():
        name = f"[gates.{gate_id}]"
        if not isinstance(table, Mapping):
            raise UokInputError(f"{path or 'the policy file'}: {name} must be a table, got {table!r}.")
        common_raw = {k: v for k, v in table.items() if k in COMMON_KEYS}
        rest = {k: v for k, v in table.items() if k not in COMMON_KEYS}
        try:
            common = CommonGateSettings.model_validate(common_raw)
            model = option_models.get(gate_id)
            options = model.model_validate(rest).model_dump() if model is not None else dict(rest)
        except ValidationError as exc:
            raise _problem(path, name, exc) from None
        config.gates[str(gate_id)] = GateSettings(common, options)
    commands_raw = document.get("command_gate", [])
    if not isinstance(commands_raw, list):
        raise UokInputError(
            f"{path or 'the policy file'}: 'command_gate' must be an array of tables "
            "([[command_gate]] entries)."
        )
    seen: set[str] = set()
    for index, entry in enumerate(commands_raw):
        name = f"[[command_gate]] #{index + 1}"
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            name += f" (id {entry['id']!r})"
        try:
            spec = CommandGateSpec.model_validate(entry)
        except ValidationError as exc:
            raise _problem(path, name, exc) from None
        if spec.id in seen or spec.id in option_models:
            raise UokInputError(
                f"{path or 'the policy file'}, table {name}, field 'id': the id {spec.id!r} is already "
                "used by another gate. Give each command gate its own id."
            )
        if isinstance(spec.command, list) and not all(spec.command):
            raise UokInputError(
                f"{path or 'the policy file'}, table {name}, field 'command': empty argument in the list."
            )
        seen.add(spec.id)
        config.commands.append(spec)
    return config


def load_gates_config(path: Path | None, option_models: Mapping[str, type[BaseModel]]) -> GatesConfig:
    """Read ``path`` (the policy file) and validate its gates sections; empty config if it is absent."""
    if path is None:
        return GatesConfig()
    document = read_policy_document(path)
    if document is None:
        return GatesConfig()
    return parse_gates_config(document, path, option_models)
