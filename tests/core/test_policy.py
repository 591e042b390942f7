"""The policy file: strict validation with one error per problem, matching, states and edits."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.classify import SuiteMatcher, glob_regex, propose_suite, stale_entries, unsorted_entries
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.policy import (
    MAX_LISTED_PROBLEMS,
    MAX_SHOWN,
    TAXONOMY,
    Policy,
    PolicySettings,
    ProfileSpec,
    QuarantineEntry,
    SuiteSpec,
    WaiverEntry,
    load_policy,
    parse_policy,
)
from pytest_uok.core.policy_edit import add_quarantine, add_suite_files, remove_quarantine
from pytest_uok.core.quarantine import Protections, date_state, suggest_category, target_regex
from pytest_uok.core.waivers import build_audit

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
TODAY = date(2026, 11, 22)

WAIVER = """
[[waiver]]
id = "W-1"
target = "tests/unit/test_a.py::test_one"
owner = "@team"
reason = "known bug"
issue = "https://example.org/1"
created = {created}
expires = {expires}
"""

QUARANTINE = """
[[quarantine]]
test = "tests/a.py::test_x"
category = "{category}"
owner = "me"
issue = "https://example.org/2"
reason = "flaky"
added = {added}
expires = {expires}
"""


def problems(text: str, **kw: int) -> str:
    with pytest.raises(UokInputError) as info:
        parse_policy(text, "policy.toml", **kw)
    return info.value.message


def test_unknown_keys_are_named_with_their_table() -> None:
    message = problems('[settings]\nwaiver_max_dayz = 3\n[suite.unit]\nfiles = []\ncolour = "red"\n')
    assert "policy file policy.toml has 2 problems" in message
    assert "[settings], field 'waiver_max_dayz': unknown key" in message
    assert "[suite.unit], field 'colour': unknown key" in message


def test_bad_dates_name_the_entry_and_field() -> None:
    text = WAIVER.format(created='"2026-02-30"', expires="2026-03-01T10:00:00")
    message = problems(text)
    assert "[[waiver]] entry 1 (id = 'W-1'), field 'created': '2026-02-30' is not a real date" in message
    assert "field 'expires': a date without a time is expected" in message


def test_unknown_category_lists_the_taxonomy() -> None:
    message = problems(
        QUARANTINE.format(category="FLAKE-SOMETIMES", added="2026-11-01", expires="2026-11-30")
    )
    assert message.startswith("policy file policy.toml: [[quarantine]] entry 1 (test = 'tests/a.py::test_x')")
    assert (
        "field 'category': unknown category 'FLAKE-SOMETIMES'; use one of " + ", ".join(TAXONOMY) in message
    )


def test_missing_waiver_fields_are_each_reported() -> None:
    message = problems('[[waiver]]\nid = "W-9"\ntarget = "gate:coverage"\n')
    for name in ("owner", "reason", "issue", "created", "expires"):
        assert f"[[waiver]] entry 1 (id = 'W-9'), field '{name}': required field missing" in message


def test_duplicates_and_a_file_in_two_suites() -> None:
    text = """
[suite.unit]
files = ["tests/unit/", "tests/unit", "tests/shared.py"]
[suite.e2e]
files = ["./tests/shared.py"]
"""
    message = problems(text)
    assert "[suite.unit], field 'files': duplicate entry 'tests/unit'; remove one" in message
    assert "[suite.e2e], field 'files': './tests/shared.py' is already in [suite.unit]" in message


def test_duplicate_waiver_ids_and_quarantined_tests() -> None:
    text = WAIVER.format(created="2026-11-01", expires="2026-11-10") * 2
    assert "field 'id': duplicate waiver id" in problems(text)


def test_a_waiver_longer_than_allowed() -> None:
    text = WAIVER.format(created="2026-11-01", expires="2026-12-15")
    message = problems(text)
    assert message == (
        "policy file policy.toml: [[waiver]] entry 1 (id = 'W-1'), field 'expires': the waiver lasts 44 "
        "days, more than the 30 allowed (uok_waiver_max_days); set expires to 2026-12-01 or earlier."
    )
    parse_policy(text, "policy.toml", waiver_max_days=60)
    assert "more than the 10 allowed" in problems(
        "[settings]\nwaiver_max_days = 10\n" + WAIVER.format(created="2026-11-01", expires="2026-11-20")
    )


def test_expiry_before_the_start_is_named() -> None:
    message = problems(WAIVER.format(created="2026-11-10", expires="2026-11-01"))
    assert (
        "[[waiver]] entry 1 (id = 'W-1'), field 'expires': 2026-11-01 is before created (2026-11-10)"
        in message
    )
    text = QUARANTINE.format(category="FLAKE-NET", added="2026-11-10", expires="2026-11-09")
    assert "field 'expires': 2026-11-09 is before added (2026-11-10)" in problems(text)


def test_a_file_full_of_problems_lists_the_first_and_counts_the_rest() -> None:
    text = "".join(f'[[waiver]]\nid = "W-{i}"\n' for i in range(10))
    message = problems(text)
    lines = message.splitlines()
    assert lines[0] == "policy file policy.toml has 60 problems:"
    assert len(lines) == 1 + MAX_LISTED_PROBLEMS + 1
    assert lines[-1] == f"  - and {60 - MAX_LISTED_PROBLEMS} more; fix these and run again"


def test_long_or_hostile_values_are_shown_bounded_and_printable() -> None:
    long = "x" * 10_000
    text = f'[suite.unit]\n"{long}" = 1\n[[quarantine]]\ntest = "{long}"\ncategory = "FLAKE-\\u001b[2J"\n'
    message = problems(text)
    assert len(message) < 2000
    assert f"field '{'x' * (MAX_SHOWN - 3)}...': unknown key" in message
    assert f"(test = '{'x' * (MAX_SHOWN - 3)}...')" in message
    assert "unknown category 'FLAKE-\\x1b[2J'" in message
    assert "\x1b" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("settings = 1\n", "[settings]: must be a table, got a number"),
        ('[suite]\nunit = "tests/"\n', "[suite.unit]: must be a table, got the string 'tests/'"),
        (
            '[suite.unit]\nfiles = "tests/"\n',
            "[suite.unit], field 'files': must be a list, got the string 'tests/'",
        ),
        ("waiver = [true]\n", "[[waiver]] entry 1: must be a table, got a boolean"),
    ],
)
def test_wrong_types_are_said_in_toml_words(text: str, expected: str) -> None:
    assert problems(text) == f"policy file policy.toml: {expected}."


def test_profiles_name_existing_suites() -> None:
    message = problems('[suite.unit]\nfiles = []\n[profile.quick]\nsuites = ["unit", "smoke"]\n')
    assert "[profile.quick], field 'suites': unknown suite 'smoke' (suites: unit)" in message


def test_invalid_toml_says_where() -> None:
    assert "is not valid TOML: " in problems("[suite.unit\n")
    assert "(at line 1, column 12)" in problems("[suite.unit\n")


def test_missing_file_is_none(tmp_path: Path) -> None:
    assert load_policy(tmp_path / "nope.toml") is None


def test_gate_tables_are_kept_raw() -> None:
    text = '[gates.coverage]\nminimum = 80\nanything = "goes"\n[[command_gate]]\nid = "lint"\nrun = "ruff"\n'
    policy = parse_policy(text, "p.toml")
    assert policy.gates == {"coverage": {"minimum": 80, "anything": "goes"}}
    assert policy.command_gate == [{"id": "lint", "run": "ruff"}]


def _docs_example() -> str:
    match = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert match, "docs/policy.md has no ```toml example"
    return match.group(1)


def test_the_documented_example_loads() -> None:
    policy = parse_policy(_docs_example(), "docs/policy.md")
    assert {"unit", "vcr", "e2e"} <= set(policy.suite)
    assert policy.quarantine
    assert policy.waiver
    assert policy.profile
    assert not unsorted_entries(policy)
    example = _docs_example()
    for model in DOCUMENTED_TABLES.values():
        for name in model.model_fields:
            assert re.search(rf"^{name} = ", example, re.M), f"the example never sets {name}"


#: The heading of each table's section in docs/policy.md, and the model that validates the table.
DOCUMENTED_TABLES = {
    "### `[settings]`": PolicySettings,
    "### `[suite.NAME]`": SuiteSpec,
    "### `[profile.NAME]`": ProfileSpec,
    "### `[[quarantine]]`": QuarantineEntry,
    "### `[[waiver]]`": WaiverEntry,
}


def test_every_field_of_every_table_is_documented_in_its_section() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = {h: text.split(h, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0] for h in DOCUMENTED_TABLES}
    for heading, model in DOCUMENTED_TABLES.items():
        assert heading in text, heading
        for name in model.model_fields:
            assert f"| `{name}` |" in sections[heading], f"{heading}: field {name} is not documented"
    for name in Policy.model_fields:
        if name != "source":
            assert f"[{name}" in text or f"[[{name}" in text, f"top-level table {name} is not documented"
    for category, meaning in TAXONOMY.items():
        assert f"| `{category}` | {meaning} |" in text


# -- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("tests/unit/**/*.py", "tests/unit/test_a.py", True),
        ("tests/unit/**/*.py", "tests/unit/deep/er/test_a.py", True),
        ("tests/unit/*.py", "tests/unit/deep/test_a.py", False),
        ("tests/test_?.py", "tests/test_a.py", True),
        ("tests/test_[ab].py", "tests/test_c.py", False),
    ],
)
def test_glob_patterns(pattern: str, path: str, hit: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is hit


def test_folders_files_and_patterns_classify() -> None:
    policy = parse_policy(
        '[suite.unit]\nfiles = ["tests/unit"]\n[suite.e2e]\nfiles = ["tests/**/test_*_e2e.py"]\n', "p"
    )
    m = SuiteMatcher(policy)
    assert m.suites_for("tests/unit/test_a.py") == ["unit"]
    assert m.suites_for("tests/unitary/test_a.py") == []
    assert m.suites_for("tests/unit/test_x_e2e.py") == ["unit", "e2e"]


def test_stale_and_unsorted(tmp_path: Path) -> None:
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_a.py").write_text("")
    policy = parse_policy(
        '[suite.unit]\nfiles = ["tests/unit/test_a.py", "tests/gone.py", "tests/unit/*.py", '
        '"tests/no/*.py"]\n',
        "p",
    )
    assert stale_entries(policy, tmp_path) == ["suite.unit: tests/gone.py", "suite.unit: tests/no/*.py"]
    assert unsorted_entries(policy) == ["suite.unit: tests/gone.py (should come before tests/unit/test_a.py)"]


def test_target_patterns_match_node_ids() -> None:
    assert target_regex("tests/a.py::test_x").match("tests/a.py::test_x")
    assert target_regex("tests/a.py::test_x").match("tests/a.py::test_x[1-2]")
    assert not target_regex("tests/a.py::test_x").match("tests/a.py::test_xy")
    assert target_regex("tests/a.py").match("tests/a.py::TestC::test_y")
    assert target_regex("tests/*::test_net_*").match("tests/b.py::test_net_dns")
    assert target_regex("tests/a.py::test_p[a?]").match("tests/a.py::test_p[a?]")


@given(
    created=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    length=st.integers(0, 60),
    today=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 3, 1)),
)
def test_date_states_partition_time(created: date, length: int, today: date) -> None:
    expires = created + timedelta(days=length)
    state = date_state(created, expires, today, 7)
    if today < created:
        assert state == "invalid"
    elif today > expires:
        assert state == "expired"
    else:
        assert state == ("expiring" if (expires - today).days <= 7 else "valid")


@pytest.mark.parametrize(
    ("exc_type", "message", "category"),
    [
        ("TimeoutError", "", "FLAKE-TIMING"),
        ("ConnectionRefusedError", "[Errno 111]", "FLAKE-NET"),
        ("OSError", "[Errno 24] Too many open files", "FLAKE-RES"),
        ("AssertionError", "got HTTP 503 Service Unavailable", "FLAKE-EXT"),
        ("KeyError", "'HOME'", "FLAKE-LOGIC"),
        ("PermissionError", "", "FLAKE-ENV"),
        ("Failed", "Timeout >1.0s", "FLAKE-TIMING"),
    ],
)
def test_suggested_categories(exc_type: str, message: str, category: str) -> None:
    assert suggest_category(exc_type, message)[0] == category


def test_audit_states_and_stale() -> None:
    text = (
        WAIVER.format(created="2026-11-20", expires="2026-12-20")
        + WAIVER.replace("W-1", "W-2").format(created="2026-11-01", expires="2026-11-21")
        + WAIVER.replace("W-1", "W-3").format(created="2026-11-20", expires="2026-11-25")
        + WAIVER.replace("W-1", "W-4").format(created="2026-11-23", expires="2026-11-30")
        + WAIVER.replace("W-1", "W-5")
        .replace("test_one", "test_two")
        .format(created="2026-11-20", expires="2026-12-20")
    )
    policy = parse_policy(text, "p")
    audit = build_audit(policy, TODAY, "run", {"tests/unit/test_a.py::test_two": "passed"})
    states = {e.id: e.state for e in audit.entries}
    assert states == {"W-1": "valid", "W-2": "expired", "W-3": "expiring", "W-4": "invalid", "W-5": "stale"}
    assert audit.counts == {"valid": 1, "expired": 1, "expiring": 1, "invalid": 1, "stale": 1}
    assert Protections(policy, TODAY).waiver_cover("tests/unit/test_a.py::test_one").id == "W-1"  # type: ignore[union-attr]


def test_proposals_use_markers_then_paths() -> None:
    assert propose_suite("tests/test_checkout.py", {"e2e"}, ["unit", "e2e"]) == "e2e"
    assert propose_suite("tests/vcr/test_api.py", set(), ["unit", "vcr", "e2e"]) == "vcr"
    assert propose_suite("tests/test_plain.py", set(), ["unit", "vcr"]) == "unit"


# -- edits keep everything else byte for byte ---------------------------------------------------

EDITED = """# The team's policy. Reviewed in every pull request.

[settings]
waiver_max_days = 30  # org rule

[suite.unit]
description = "fast"
files = [
  "tests/unit/",  # everything in here
  "tests/z_last.py",
]

[[quarantine]]
# flaky since the CDN move
test = "tests/e2e/test_cdn.py::test_fetch"
category = "FLAKE-NET"
owner = "@web"
issue = "https://example.org/7"
reason = "CDN timeouts"
added = 2026-11-01
expires = 2026-12-01

[[waiver]]
id = "W-1"
target = "gate:coverage"
owner = "@qa"
reason = "migration"
issue = "https://example.org/8"
created = 2026-11-10
expires = 2026-12-01
"""


def test_adding_a_quarantine_changes_nothing_else() -> None:
    fields = {
        "test": "tests/unit/test_a.py::test_b",
        "category": "FLAKE-TIMING",
        "owner": "@me",
        "issue": "https://example.org/9",
        "reason": "sleeps",
        "added": TODAY,
        "expires": TODAY + timedelta(days=14),
    }
    out = add_quarantine(EDITED, "p", fields)
    head, tail = EDITED.split("[[waiver]]")
    assert out.startswith(head)
    assert out.endswith("[[waiver]]" + tail)
    inserted = out[len(head) : -len("[[waiver]]" + tail)]
    assert inserted == (
        '[[quarantine]]\ntest = "tests/unit/test_a.py::test_b"\ncategory = "FLAKE-TIMING"\nowner = "@me"\n'
        'issue = "https://example.org/9"\nreason = "sleeps"\nadded = 2026-11-22\nexpires = 2026-12-06\n\n'
    )
    assert parse_policy(out, "p").quarantine[-1].test == "tests/unit/test_a.py::test_b"
    assert remove_quarantine(out, "p", "tests/unit/test_a.py::test_b") == EDITED


def test_adding_files_keeps_comments_and_order() -> None:
    out = add_suite_files(EDITED, "p", {"unit": ["tests/v_mid.py"]})
    assert out == EDITED.replace('  "tests/z_last.py",\n', '  "tests/v_mid.py",\n  "tests/z_last.py",\n')
    out = add_suite_files(EDITED, "p", {"e2e": ["tests/e2e/test_b.py", "tests/e2e/test_a.py"]})
    block = '[suite.e2e]\nfiles = [\n    "tests/e2e/test_a.py",\n    "tests/e2e/test_b.py",\n]\n\n'
    assert out == EDITED.replace("[[quarantine]]", block + "[[quarantine]]")
    assert parse_policy(out, "p").suite["e2e"].files == ["tests/e2e/test_a.py", "tests/e2e/test_b.py"]


_SEGMENT = st.text(alphabet="abcxyz_-.", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))


@given(folder=st.lists(_SEGMENT, min_size=1, max_size=3), rest=st.lists(_SEGMENT, min_size=1, max_size=3))
def test_a_folder_entry_covers_exactly_what_lies_beneath(folder: list[str], rest: list[str]) -> None:
    entry = "/".join(folder)
    policy = parse_policy(f'[suite.unit]\nfiles = ["{entry}/"]\n', "p")
    matcher = SuiteMatcher(policy)
    assert matcher.suites_for("/".join(folder + rest)) == ["unit"]
    assert matcher.suites_for(entry + "x/" + "/".join(rest)) == []
    # The same folder as a ** pattern agrees.
    pattern = SuiteMatcher(parse_policy(f'[suite.unit]\nfiles = ["{entry}/**"]\n', "p"))
    assert pattern.suites_for("/".join(folder + rest)) == ["unit"]
