"""Editing the policy file through tomlkit, so every comment, blank line and order is kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Table

from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.policy import NEW_FILE_HEADER, Policy, normalize_entry, parse_policy, read_policy_text


def _parse(text: str, source: Path | str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise UokInputError(f"policy file {source} is not valid TOML: {exc}.") from None


def add_quarantine(text: str, source: Path | str, fields: Mapping[str, Any]) -> str:
    """The policy text with one more ``[[quarantine]]`` entry after the existing ones."""
    doc = _parse(text, source)
    existing = doc.get("quarantine")
    for entry in existing or []:
        if entry.get("test") == fields["test"]:
            raise UokInputError(
                f"policy file {source}: {fields['test']!r} is already quarantined; edit that entry instead."
            )
    table = tomlkit.table()
    for key, value in fields.items():
        table.add(key, tomlkit.date(value.isoformat()) if isinstance(value, date) else value)
    if existing is None:
        aot = tomlkit.aot()
        aot.append(table)
        if text and not text.endswith("\n\n"):
            doc.add(tomlkit.nl())
        doc.add("quarantine", aot)
    elif isinstance(existing, AoT):
        if len(existing) and existing[-1].as_string().endswith("\n\n"):
            table.add(tomlkit.nl())
        existing.append(table)
    else:
        raise UokInputError(f"policy file {source}: 'quarantine' must be a list of [[quarantine]] tables.")
    return tomlkit.dumps(doc)


def remove_quarantine(text: str, source: Path | str, test: str) -> str:
    """The policy text without the ``[[quarantine]]`` entry of ``test``."""
    doc = _parse(text, source)
    existing = doc.get("quarantine")
    if isinstance(existing, AoT):
        for i, entry in enumerate(existing):
            if entry.get("test") == test:
                del existing[i]
                if not len(existing):
                    del doc["quarantine"]
                return tomlkit.dumps(doc)
    raise UokInputError(f"policy file {source}: no [[quarantine]] entry has test = {test!r}.")


def add_suite_files(text: str, source: Path | str, additions: Mapping[str, Sequence[str]]) -> str:
    """The policy text with files added to suites, each at its alphabetical place."""
    doc = _parse(text, source)
    suites = doc.get("suite")
    if suites is None:
        suites = tomlkit.table(is_super_table=True)
        doc.add("suite", suites)
    for name in sorted(additions):
        files = sorted({normalize_entry(f) for f in additions[name]})
        suite = suites.get(name)
        if suite is None:
            suite = tomlkit.table()
            array = tomlkit.array()
            array.multiline(True)
            array.extend(files)
            suite.add("files", array)
            suite.add(tomlkit.nl())
            suites.add(name, suite)
            continue
        if not isinstance(suite, Table):
            raise UokInputError(f"policy file {source}: [suite.{name}] must be a table.")
        found = suite.get("files")
        if found is None:
            found = tomlkit.array()
            found.multiline(True)
            suite.add("files", found)
        array = found
        if not isinstance(array, Array):
            raise UokInputError(f"policy file {source}: [suite.{name}] files must be a list.")
        present = {normalize_entry(str(v)) for v in array}
        new = [f for f in files if f not in present]
        if not new:
            continue
        if "\n" not in array.as_string():
            # tomlkit packs items inserted into a one-line array; rewrite just that line.
            merged = [str(v) for v in array]
            for file in new:
                place = next((i for i, v in enumerate(merged) if v > file), len(merged))
                merged.insert(place, file)
            fresh = tomlkit.array()
            fresh.extend(merged)
            fresh.multiline(len(merged) > 3)
            suite["files"] = fresh
            continue
        for file in new:
            place = next((i for i, v in enumerate(array) if str(v) > file), len(array))
            array.insert(place, file)
    return tomlkit.dumps(doc)


def remove_suite_entries(text: str, source: Path | str, stale: Sequence[tuple[str, str]]) -> str:
    """The policy text without the given (suite, entry) file entries."""
    doc = _parse(text, source)
    suites = doc.get("suite")
    for name, entry in stale:
        array = suites.get(name, {}).get("files") if suites is not None else None
        if not isinstance(array, Array):
            continue
        for i, value in enumerate(array):
            if str(value) == entry:
                del array[i]
                break
    return tomlkit.dumps(doc)


def read_for_edit(path: Path) -> tuple[str, Policy]:
    """The policy file's text, or a new file's header when there is none yet, and its policy."""
    text = read_policy_text(path) if path.exists() else NEW_FILE_HEADER
    return text, parse_policy(text, path)


def write_policy(path: Path, text: str) -> None:
    """Check the edited text is still a valid policy, then replace the file atomically."""
    parse_policy(text, path)
    atomic_write_text(path, text)
