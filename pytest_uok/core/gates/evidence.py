"""The evidence_bundle gate: every required artifact exists and validates; index.json lists them all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pytest_uok.core.artifacts import dump
from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gates import validated
from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import (
    FAIL,
    PASS,
    BlockerFact,
    GateArtifactError,
    GateExecutionError,
    GateResult,
)
from pytest_uok.core.gc_pause import paused_gc
from pytest_uok.core.models import ARTIFACT_MODELS
from pytest_uok.core.models.events import EventEnvelope
from pytest_uok.core.models.verdict import EvidenceIndex, IndexedArtifact
from pytest_uok.core.readback import parse_json_object, schema_of, validate
from pytest_uok.core.wording import listing, plural

INDEX = "index.json"
#: Files of the folder that are not evidence of the run itself.
NOT_INDEXED = frozenset({INDEX, "gate_breakers.json"})
DEFAULT_REQUIRED = [
    "summary.json",
    "replay_bundle.json",
    "failure_digest.json",
    "environment.json",
    "events.jsonl",
]


#: What a merge of shards must hold: each shard's environment.json stays in its shard folder.
MERGED_REQUIRED = [name for name in DEFAULT_REQUIRED if name != "environment.json"]


class EvidenceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    required: list[str] | None = Field(default=None, description="default: DEFAULT_REQUIRED")


def required_artifacts(facts: RunFacts, configured: list[str] | None) -> list[str]:
    """The configured list, else the default for an ordinary run or for a merge of shards."""
    if configured is not None:
        return configured
    try:
        merged = bool(facts.summary_raw.get("shards"))
    except GateArtifactError:
        merged = False
    return list(MERGED_REQUIRED if merged else DEFAULT_REQUIRED)


def _check_events(path: Path, data: bytes) -> tuple[str | None, str]:
    schema = None
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            EventEnvelope.model_validate(obj)
        except (ValueError, TypeError) as exc:
            first = str(exc).splitlines()[0]
            return schema, f"{path}:{number} is not a valid {EventEnvelope.SCHEMA_ID} event: {first}"
        schema = str(obj.get("schema"))
    return schema, ""


def _check(path: Path, data: bytes) -> tuple[str | None, str]:
    """The artifact's schema id and, when it does not validate, why."""
    if path.suffix == ".jsonl":
        return _check_events(path, data)
    model = ARTIFACT_MODELS.get(path.name)
    if model is not None:
        try:
            # The usual case, a valid artifact, validated straight from its bytes (its schema
            # field then holds the model's id).
            with paused_gc():
                model.model_validate_json(data)
            return model.SCHEMA_ID, ""
        except (ValueError, RecursionError):
            pass  # the path below says why
    try:
        obj = parse_json_object(path, data)
    except UokInputError as exc:
        return None, exc.message
    found = obj.get("schema")
    schema = found if isinstance(found, str) else None
    if model is None:
        return schema, "" if schema else f"{path} has no 'schema' field"
    try:
        schema_of(path, obj, [model.SCHEMA_ID])
        validate(path, obj, model)
    except UokInputError as exc:
        return schema, exc.message
    return schema, ""


def build_index(folder: Path, run_id: str, required: list[str]) -> EvidenceIndex:
    entries: list[IndexedArtifact] = []
    present = (
        sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and p.suffix in (".json", ".jsonl")
            and not p.name.startswith(".")
            and p.name not in NOT_INDEXED
        )
        if folder.is_dir()
        else []
    )
    for path in present:
        size, digest = validated.file_digest(path)
        found = validated.known(path, digest)
        if found is None:
            # Read whole only to be checked: a summary this process wrote or checked already
            # (34 MB for 100k tests) is only hashed, in chunks.
            data = path.read_bytes()
            size, digest = len(data), validated.digest_of(data)
            found = _check(path, data)
            validated.remember(path, digest, found)
        schema, problem = found
        entries.append(
            IndexedArtifact(
                name=path.name,
                schema=schema,
                bytes=size,
                sha256=digest,
                valid=not problem,
                problem=problem,
            )
        )
    names = {e.name for e in entries}
    return EvidenceIndex(run_id=run_id, artifacts=entries, missing=[r for r in required if r not in names])


def write_index(folder: Path, run_id: str, required: list[str] | None = None) -> EvidenceIndex:
    index = build_index(folder, run_id, DEFAULT_REQUIRED if required is None else required)
    atomic_write_text(folder / INDEX, dump(index))
    return index


def evidence_bundle(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """Every required artifact exists and validates against its schema; writes index.json."""
    opts = EvidenceOptions.model_validate(options)
    try:
        run_id = facts.summary.run_id
    except GateArtifactError:
        run_id = "unknown"  # the index still says what is missing or broken
    try:
        index = write_index(facts.out_dir, run_id, required_artifacts(facts, opts.required))
    except OSError as exc:
        raise GateExecutionError(f"could not write {facts.out_dir / INDEX}: {exc.strerror or exc}") from None
    invalid = [a for a in index.artifacts if not a.valid]
    blockers = [BlockerFact("missing_artifact", "not written", name) for name in index.missing]
    blockers += [BlockerFact("invalid_artifact", a.problem[:300], a.name) for a in invalid]
    evidence = [facts.shown(INDEX)]
    if blockers:
        parts = []
        if index.missing:
            parts.append(f"missing: {listing(index.missing)}")
        if invalid:
            parts.append(f"invalid: {listing([a.name for a in invalid])}")
        return GateResult(FAIL, "; ".join(parts), evidence, None, blockers)
    return GateResult(PASS, f"{plural(len(index.artifacts), 'artifact')} indexed and valid", evidence)
