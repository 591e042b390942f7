"""Reading artifacts back (for rerun, diff, merge and gating), validated, with errors a user can fix."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gc_pause import paused_gc
from pytest_uok.core.models.common import ArtifactModelBase
from pytest_uok.core.models.replay import ReplayBundle
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.sanitize import printable
from pytest_uok.core.summary_file import summary_header

M = TypeVar("M", bound=ArtifactModelBase)

#: How many validation problems one error message lists before saying "and N more".
MAX_LISTED_PROBLEMS = 3


#: Longest field name shown in an error: keys of a crafted file can be megabytes long.
MAX_KEY_SHOWN = 80


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if not isinstance(part, int):
            part = printable(str(part), MAX_KEY_SHOWN)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe_validation_error(path: Path, exc: ValidationError, what: str) -> str:
    problems = exc.errors(include_url=False)
    listed = "; ".join(f"field '{_location(p['loc'])}': {p['msg']}" for p in problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    tail = f"; and {more} more problem{'s' if more > 1 else ''}" if more > 0 else ""
    return (
        f"{path} is not a valid {what}: {listed}{tail}. It may be corrupt or written by an "
        f"incompatible version of pytest-uok; regenerate it with a fresh run."
    )


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, or a UokInputError naming the file and why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UokInputError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise UokInputError(f"{path} is a folder, not a JSON file.") from None
    except OSError as exc:
        raise UokInputError(f"{path} cannot be read: {exc.strerror or exc}.") from None


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or a UokInputError naming the file and the problem."""
    return parse_json_object(path, read_bytes(path))


def parse_json_object(path: Path, raw: bytes) -> dict[str, Any]:
    """The JSON object in ``raw`` (read from ``path``), or a UokInputError naming the problem."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UokInputError(f"{path} is not UTF-8 text (byte {exc.start}).") from None
    except json.JSONDecodeError as exc:
        raise UokInputError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
            "It may have been cut short; regenerate it with a fresh run."
        ) from None
    except RecursionError:
        raise UokInputError(f"{path} is nested too deeply to be a pytest-uok artifact.") from None
    if not isinstance(data, dict):
        raise UokInputError(
            f"{path} holds a JSON {type(data).__name__}, not an object: not a pytest-uok artifact."
        )
    return data


def schema_of(path: Path, data: dict[str, Any], accepted: list[str]) -> str:
    found = data.get("schema")
    if found in accepted:
        return str(found)
    expected = " or ".join(repr(a) for a in accepted)
    if found is None:
        raise UokInputError(
            f"{path} has no field 'schema': it is not a pytest-uok artifact (expected {expected})."
        )
    shown = printable(str(found), MAX_KEY_SHOWN)
    raise UokInputError(f"{path} has field 'schema' = {shown!r}, but {expected} is needed here.")


def validate(path: Path, data: dict[str, Any], model: type[M]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UokInputError(describe_validation_error(path, exc, model.SCHEMA_ID)) from None
    except RecursionError:
        raise UokInputError(f"{path} is nested too deeply to be a pytest-uok artifact.") from None


def load_artifact(path: Path, model: type[M]) -> M:
    return parse_artifact(path, read_bytes(path), model)


def parse_artifact(path: Path, raw: bytes, model: type[M]) -> M:
    """The artifact in ``raw`` (read from ``path``) as ``model``, or a UokInputError saying why not."""
    with paused_gc():
        try:
            # Straight from the bytes: a valid summary of 10,000 tests in a third of the time.
            return model.model_validate_json(raw)
        except (ValueError, RecursionError):
            pass  # the path below names the file and the field
        data = parse_json_object(path, raw)
        schema_of(path, data, [model.SCHEMA_ID])
        return validate(path, data, model)


@dataclass(frozen=True)
class FailedSelection:
    """The tests a rerun should select, and where that list came from."""

    source: Path
    nodeids: list[str]
    run_id: str


def resolve_input(path: Path, names: tuple[str, ...] = ("summary.json", "replay_bundle.json")) -> Path:
    """A file, or the first artifact among ``names`` inside a folder."""
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        listed = " or ".join(names)
        raise UokInputError(f"{path} is a folder without {listed} in it.")
    return path


def load_failed_selection(path: Path) -> FailedSelection:
    """The failed and errored node ids of a summary.json or replay_bundle.json (or its folder)."""
    file = resolve_input(path)
    raw = read_bytes(file)
    model: type[Summary] | type[ReplayBundle] = Summary
    if b'"schema": "uok.summary.v1"' not in raw:
        # Which of the two it claims to be, said (or refused) the slow way: an error names it.
        data = parse_json_object(file, raw)
        schema = schema_of(file, data, [Summary.SCHEMA_ID, ReplayBundle.SCHEMA_ID])
        model = Summary if schema == Summary.SCHEMA_ID else ReplayBundle
    loaded: Summary | ReplayBundle | None = None
    header = summary_header(raw) if model is Summary else None
    if header is not None:
        # The failed names are in the header: 100k entries are neither parsed nor validated to
        # find 200 of them (a file that fails this way is read again whole, for its error).
        with contextlib.suppress(ValueError, RecursionError):
            loaded = Summary.model_validate_json(header)
    if loaded is None:
        loaded = parse_artifact(file, raw, model)
    if isinstance(loaded, Summary):
        nodeids = list(loaded.failed_names)
        nodeids += [c.nodeid for c in loaded.collection_errors if c.nodeid]
        return FailedSelection(file, _unique(nodeids), loaded.run_id)
    return FailedSelection(file, _unique(loaded.failed_names), loaded.run_id)


def load_baseline(path: Path) -> tuple[Path, Summary]:
    """The summary.json of a baseline run, named directly or by its artifact folder, validated."""
    if path.is_dir() and not (path / "summary.json").is_file():
        shards = sorted(p.name for p in path.glob("shard-*-of-*") if (p / "summary.json").is_file())
        if shards:
            raise UokInputError(
                f"{path} holds the shards of a sharded run ({', '.join(shards[:3])}"
                f"{', ...' if len(shards) > 3 else ''}) but no summary.json of its own: merge them "
                f"with pytest-uok merge {path} -o merged/ and compare with merged/, or name one "
                "shard's folder."
            )
    file = resolve_input(path, ("summary.json",))
    return file, load_artifact(file, Summary)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
