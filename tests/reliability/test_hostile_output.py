"""Hostile output: megabytes of captured text, bytes that are not UTF-8, lone surrogates.

Artifacts stay valid UTF-8 JSON of bounded size, and the failure digest keeps an entry for
every failure, whatever the tests printed or raised.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import check_counts_agree
from tests.reliability.faults import check_folder_whole

PROJECT = r"""
import os, sys
import pytest

def test_megabytes():
    sys.stdout.write("A" * 3_000_000)
    sys.stderr.write("B" * 1_000_000)
    assert False, "big"

def test_not_utf8():
    os.write(1, b"fd level \xff\xfe\x80 \xc3\x28 end\n")
    os.write(2, b"\xed\xa0\x80 encoded surrogate\n")
    assert False

def test_surrogate_message():
    raise ValueError("lone \udcff surrogate \ud800 and controls \x1b[31m\x00 \x07")

@pytest.mark.parametrize("v", [1], ids=["id-\udcff-\x1b[2J"])
def test_surrogate_id(v):
    print("\udcff", end="")
    assert 0

def test_passes_loudly():
    print("C" * 2_000_000)
"""
RAW_IDS = ("-o", "disable_test_id_escaping_and_forfeit_all_rights_to_community_support=true")
EXCERPT_CHARS = 4096
#: The truncation marker the excerpt adds at most, beyond its limit.
MARKER_ROOM = 64


def check_hostile_output(result: pytest.RunResult, found: dict[str, Any]) -> None:
    assert result.ret == 1
    assert "INTERNALERROR" not in result.stdout.str()
    summary = found["summary.json"]
    assert summary["complete"] is True, summary["internal_errors"]
    check_counts_agree(result, summary)
    failures = found["failure_digest.json"]["failures"]
    assert len(failures) == 4 == len(summary["failed_names"])
    for failure in failures:
        for key in ("longrepr", "stdout", "stderr", "log"):
            assert len(failure["excerpts"][key]) <= EXCERPT_CHARS + MARKER_ROOM, key
    assert any(f["excerpts"]["truncated"] for f in failures)


def _run(pytester: pytest.Pytester) -> tuple[pytest.RunResult, dict[str, Any]]:
    pytester.makepyfile(test_output=PROJECT)
    # pytest's own cache cannot store such an id: it is not part of what is checked here.
    result = pytester.runpytest("--show-capture=no", "-p", "no:cacheprovider", *RAW_IDS)
    folder = pytester.path / ".uok"
    sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert sizes["summary.json"] < 100_000, sizes
    return result, check_folder_whole(folder)


def test_megabytes_and_broken_text_leave_bounded_valid_artifacts(pytester: pytest.Pytester) -> None:
    result, found = _run(pytester)
    check_hostile_output(result, found)
    by_name = {f["nodeid"].split("::")[-1]: f for f in found["failure_digest.json"]["failures"]}
    assert "\ufffd" in by_name["test_surrogate_message"]["excerpts"]["longrepr"]
    assert "\x1b" not in str(found["failure_digest.json"])


def _plain_dump(model: Any) -> str:
    return str(model.model_dump_json(by_alias=True, indent=1)) + "\n"


@pytest.mark.parametrize(
    ("target", "broken"),
    [
        pytest.param("pytest_uok.core.artifacts.dump", _plain_dump, id="no-surrogate-fallback"),
        pytest.param(
            "pytest_uok.core.redact.Redactor.excerpt",
            lambda self, text, max_chars=None: (text, False),
            id="unbounded",
        ),
    ],
)
def test_output_check_catches_broken_writers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, target: str, broken: Any
) -> None:
    monkeypatch.setattr(target, broken)
    try:
        result, found = _run(pytester)
    except AssertionError:
        return  # caught while collecting the artifacts already
    with pytest.raises(AssertionError):
        check_hostile_output(result, found)
