"""The JSON Schema files shipped in the package, generated from the artifact models.

Reading a shipped schema needs no model: sessions read the summary's before any model is loaded.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

#: Where the generated schema files live inside the installed package.
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def generated() -> dict[str, str]:
    """Every schema file's name and text, freshly generated from the models."""
    from pytest_uok.core.models import ARTIFACT_MODELS

    out: dict[str, str] = {}
    for model in ARTIFACT_MODELS.values():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"{model.SCHEMA_ID}.json"
        out[f"{model.SCHEMA_ID}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def drifted(folder: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files in ``folder`` that are missing or differ from the models."""
    stale = []
    for name, text in generated().items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def write_all(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


@cache
def shipped(schema_id: str) -> dict[str, Any]:
    """The shipped JSON Schema for ``schema_id`` (e.g. ``uok.summary.v1``)."""
    data: dict[str, Any] = json.loads((SCHEMA_DIR / f"{schema_id}.json").read_text("utf-8"))
    return data


def schema_for_file(name: str) -> str:
    """The schema id of an artifact file name, e.g. ``summary.json`` -> ``uok.summary.v1``."""
    from pytest_uok.core.models import ARTIFACT_MODELS

    return ARTIFACT_MODELS[name].SCHEMA_ID
