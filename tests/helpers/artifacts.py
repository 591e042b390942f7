"""Validation of artifacts against the shipped JSON Schemas, and their invariants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from pytest_uok.core import schema_files

#: Files in the artifact folder that are not JSON artifacts with a schema.
NOT_SCHEMA_FILES = {".gitignore"}


def validate_document(document: dict[str, Any], source: str) -> None:
    schema_id = document.get("schema")
    assert isinstance(schema_id, str), f"{source} has no schema field"
    schema = schema_files.shipped(schema_id)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"{source} does not match {schema_id}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


def load_and_validate(path: Path) -> Any:
    """Parse one artifact and validate it (every line of a .jsonl file); returns the parsed data."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        for i, line in enumerate(lines):
            validate_document(line, f"{path}:{i + 1}")
        return lines
    document = json.loads(text)
    validate_document(document, str(path))
    return document


def validate_folder(folder: Path) -> dict[str, Any]:
    """Every schema-carrying artifact in ``folder`` (recursively), parsed and validated."""
    found: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name in NOT_SCHEMA_FILES:
            continue
        if path.suffix not in (".json", ".jsonl") or path.name.startswith("."):
            continue
        found[str(path.relative_to(folder))] = load_and_validate(path)
    return found
