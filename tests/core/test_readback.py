"""Reading artifacts back: every bad input is one clear sentence naming the file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.readback import load_failed_selection

MINIMAL_SUMMARY = {
    "schema": "uok.summary.v1",
    "run_id": "r1",
    "started_at": "2026-11-22T00:00:00Z",
    "finished_at": None,
    "duration_s": 0,
    "exit_status": 1,
    "interrupted": False,
    "complete": True,
    "internal_errors": [],
    "rootdir": "/x",
    "invocation": [],
    "git_sha": None,
    "counts": {},
    "outcomes": {},
    "failed_names": ["a.py::t", "a.py::t", "b.py::u"],
    "collection_errors": [{"nodeid": "c.py", "message": "ImportError"}],
    "replay_bundle": {"one_command_replay": None},
    "tests": [],
}


def write(tmp_path: Path, data: object, name: str = "summary.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_selection_from_summary_and_folder(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL_SUMMARY)
    for source in (tmp_path / "summary.json", tmp_path):
        selection = load_failed_selection(source)
        assert selection.nodeids == ["a.py::t", "b.py::u", "c.py"]
        assert selection.run_id == "r1"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", r"summary.json is not valid JSON: .* line 1, column 2"),
        ("[1, 2]", r"holds a JSON list, not an object"),
        ('{"a": 1}', r"has no field 'schema'"),
        ('{"schema": "uok.verdict.v1"}', r"has field 'schema' = 'uok.verdict.v1'"),
        (
            json.dumps({**MINIMAL_SUMMARY, "failed_names": "a.py::t"}),
            r"not a valid uok.summary.v1: field 'failed_names': Input should be a valid list",
        ),
        (
            json.dumps({**MINIMAL_SUMMARY, "surprise": 1}),
            r"field 'surprise': Extra inputs are not permitted",
        ),
        ("\xff\xfe", r"not (UTF-8 text|valid JSON)"),
        ("[" * 100_000, r"(nested too deeply|not valid JSON)"),
    ],
)
def test_bad_inputs(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "summary.json"
    path.write_bytes(content.encode("latin-1") if content.startswith("\xff") else content.encode())
    with pytest.raises(UokInputError, match=expected) as info:
        load_failed_selection(path)
    assert str(path) in info.value.message
    assert "\n" not in info.value.message


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(UokInputError, match="does not exist"):
        load_failed_selection(tmp_path / "nope.json")
    with pytest.raises(UokInputError, match=r"is a folder without summary\.json or replay_bundle\.json"):
        load_failed_selection(tmp_path)


def test_a_summary_in_the_written_layout_is_read_by_its_header(tmp_path: Path) -> None:
    entry = {"nodeid": "a.py::t", "file": "a.py", "outcome": "failed", "duration_s": 0.1}
    full = {**MINIMAL_SUMMARY, "tests": [entry], "flaky": []}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(full, indent=1) + "\n")
    assert load_failed_selection(path).nodeids == ["a.py::t", "b.py::u", "c.py"]
    # The entries are not what a rerun reads: one it could not use does not stop it...
    text = path.read_text()
    path.write_text(text.replace('"outcome": "failed"', '"outcome": 7'))
    assert load_failed_selection(path).nodeids == ["a.py::t", "b.py::u", "c.py"]
    # ...but a file cut short, or a header that does not validate, is an error naming the field.
    path.write_text(text[: text.index('"duration_s": 0.1')])
    with pytest.raises(UokInputError, match=r"summary.json is not valid JSON"):
        load_failed_selection(path)
    path.write_text(text.replace('"run_id": "r1"', '"run_id": 1'))
    with pytest.raises(UokInputError, match=r"not a valid uok.summary.v1: field 'run_id'"):
        load_failed_selection(path)
