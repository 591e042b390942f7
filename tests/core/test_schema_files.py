"""The shipped JSON Schema files are exactly what the models generate."""

from __future__ import annotations

from pathlib import Path

from pytest_uok.cli import main
from pytest_uok.core import schema_files
from pytest_uok.core.models import ARTIFACT_MODELS


def test_shipped_schemas_match_the_models() -> None:
    assert schema_files.drifted() == [], (
        "schema files drifted from the models; run: pytest-uok schema --write pytest_uok/schemas"
    )


def test_every_model_has_a_distinct_versioned_schema_id() -> None:
    ids = [m.SCHEMA_ID for m in ARTIFACT_MODELS.values()]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("uok.") and i.rsplit(".", 1)[1].startswith("v") for i in ids)


def test_schema_requires_the_schema_field() -> None:
    for model in ARTIFACT_MODELS.values():
        schema = schema_files.shipped(model.SCHEMA_ID)
        assert "schema" in schema["required"]
        assert schema["properties"]["schema"]["const"] == model.SCHEMA_ID


def test_cli_check_notices_a_drifted_file(tmp_path: Path, capsys: object) -> None:
    assert main(["schema", "--write", str(tmp_path)]) == 0
    assert main(["schema", "--check", "--write", str(tmp_path)]) == 0
    victim = tmp_path / "uok.summary.v1.json"
    victim.write_text(victim.read_text() + " ")
    assert main(["schema", "--check", "--write", str(tmp_path)]) == 1


def test_cli_prints_one_schema_and_rejects_unknown_names(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["schema", "uok.summary.v1"]) == 0
    assert '"uok.summary.v1"' in capsys.readouterr().out
    assert main(["schema", "uok.nothing.v9"]) == 4
    assert "unknown schema" in capsys.readouterr().err
