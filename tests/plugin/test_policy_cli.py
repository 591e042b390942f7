"""The policy commands: classify, quarantine add/remove and audit, editing without losing a byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from pytest_uok.cli import main
from pytest_uok.core.policy import NEW_FILE_HEADER, parse_policy
from tests.conftest import UokRun

POLICY = "tests/suite_classification.toml"

ORIGINAL = """# Suites of the shop. Keep entries sorted; CI checks it.

[settings]
waiver_max_days = 30   # org-wide rule

[suite.unit]
description = "fast"
files = [
  "tests/unit/",  # the whole folder
]

[suite.e2e]
files = [
  "tests/e2e/test_checkout.py",
  "tests/e2e/test_gone.py",  # deleted last week
]

# Quarantined tests: owners review weekly.
[[quarantine]]
test = "tests/e2e/test_checkout.py::test_pay"
category = "FLAKE-NET"
owner = "@payments"
issue = "https://example.org/1"
reason = "gateway resets"
added = {added}
expires = {expires}

[[waiver]]
id = "W-7"
target = "coverage"
owner = "@qa"
reason = "legacy code removal"
issue = "https://example.org/2"
created = {added}
expires = {soon}
"""


@pytest.fixture
def shop(pytester: pytest.Pytester) -> pytest.Pytester:
    today = date.today()
    text = ORIGINAL.format(
        added=today - timedelta(days=2), expires=today + timedelta(days=20), soon=today + timedelta(days=3)
    )
    pytester.makepyfile(
        **{
            "tests/unit/test_a": "def test_a():\n    pass\n",
            "tests/e2e/test_checkout": "def test_pay():\n    pass\n",
            "tests/test_browser_flow": "import pytest\n\n@pytest.mark.e2e\ndef test_flow():\n    pass\n",
            "tests/test_plain": "def test_plain():\n    pass\n",
        }
    )
    pytester.makeini("[pytest]\nmarkers =\n    e2e: browser tests\n")
    (pytester.path / POLICY).write_text(text, encoding="utf-8")
    return pytester


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., pytest.RunResult]:
    """Run ``pytest-uok`` in this process (in pytester's folder), as a RunResult."""

    def run(*args: str) -> pytest.RunResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return pytest.RunResult(code, out.splitlines(), err.splitlines(), 0.0)

    return run


def test_quarantine_add_keeps_every_other_byte(
    shop: pytest.Pytester, cli: Callable[..., pytest.RunResult]
) -> None:
    before = (shop.path / POLICY).read_text()
    result = cli(
        "quarantine", "add", "tests/unit/test_a.py::test_a", "--category", "FLAKE-TIMING",
        "--owner", "@core", "--issue", "https://example.org/3", "--days", "14",
    )  # fmt: skip
    assert result.ret == 0, result.stderr.str()
    today = date.today()
    result.stdout.fnmatch_lines(
        [f"quarantined tests/unit/test_a.py::test_a (FLAKE-TIMING) until {today + timedelta(days=14)} in *"]
    )
    after = (shop.path / POLICY).read_text()
    head, tail = before.split("[[waiver]]")
    assert after.startswith(head)
    assert after.endswith("[[waiver]]" + tail)
    assert after[len(head) : -len("[[waiver]]" + tail)] == (
        '[[quarantine]]\ntest = "tests/unit/test_a.py::test_a"\ncategory = "FLAKE-TIMING"\n'
        'owner = "@core"\nissue = "https://example.org/3"\nreason = "flaky; see the issue"\n'
        f"added = {today}\nexpires = {today + timedelta(days=14)}\n\n"
    )
    result = cli("quarantine", "remove", "tests/unit/test_a.py::test_a")
    assert result.ret == 0
    assert (shop.path / POLICY).read_text() == before


def entry(test: str, expires: date) -> str:
    return (
        f'[[quarantine]]\ntest = "{test}"\ncategory = "FLAKE-NET"\nowner = "@o"\nissue = "https://example.org/5"\n'
        f'reason = "flaky; see the issue"\nadded = {date.today()}\nexpires = {expires}\n'
    )


def test_quarantine_add_creates_the_file_or_appends_the_first_entry(
    pytester: pytest.Pytester, cli: Callable[..., pytest.RunResult]
) -> None:
    args = ("--category", "FLAKE-NET", "--owner", "@o", "--issue", "https://example.org/5")
    today = date.today()
    assert cli("quarantine", "add", "t.py::x", *args).ret == 0
    assert (pytester.path / POLICY).read_text() == NEW_FILE_HEADER + entry("t.py::x", today + timedelta(30))
    before = (
        "# team policy\n[settings]\nquarantine_days = 10  # short\n\n[[waiver]]\n"
        'id = "W-1"  # the only one\ntarget = "lint"\nowner = "@o"\nreason = "r"\nissue = "i"\n'
        f"created = {today}\nexpires = {today + timedelta(days=5)}\n"
    )
    (pytester.path / "p.toml").write_text(before)
    result = cli("quarantine", "add", "t.py::y", *args, "--policy", "p.toml")
    assert result.ret == 0, result.stderr.str()
    # No [[quarantine]] yet: the entry goes after everything, lasting the file's quarantine_days.
    after = (pytester.path / "p.toml").read_text()
    assert after == before + "\n" + entry("t.py::y", today + timedelta(days=10))


def test_quarantine_add_refuses_bad_input(
    shop: pytest.Pytester, cli: Callable[..., pytest.RunResult]
) -> None:
    before = (shop.path / POLICY).read_text()
    result = cli(
        "quarantine", "add", "tests/e2e/test_checkout.py::test_pay", "--category", "FLAKE-NET",
        "--owner", "@x", "--issue", "https://example.org/4",
    )  # fmt: skip
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*'tests/e2e/test_checkout.py::test_pay' is already quarantined*"])
    result = cli("quarantine", "add", "t.py::x", "--category", "FLAKE-MAYBE", "--owner", "o", "--issue", "i")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*invalid choice: 'FLAKE-MAYBE'*"])
    assert (shop.path / POLICY).read_text() == before
    result = cli(
        "quarantine",
        "add",
        "t.py::x",
        "--category",
        "FLAKE-NET",
        "--owner",
        "o",
        "--issue",
        "i",
        "--days",
        "0",
    )
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*--days must be between 1 and 365, got 0*"])
    assert (shop.path / POLICY).read_text() == before


def test_classify_without_a_policy_creates_one(
    pytester: pytest.Pytester, cli: Callable[..., pytest.RunResult]
) -> None:
    pytester.makepyfile(
        **{
            "tests/e2e/test_login": "def test_login():\n    pass\n",
            "tests/test_b": "def test_b():\n    pass\n",
        }
    )
    result = cli("classify", "--write")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    text = (pytester.path / POLICY).read_text()
    assert text.startswith(NEW_FILE_HEADER)
    policy = parse_policy(text, POLICY)
    assert {name: s.files for name, s in policy.suite.items()} == {
        "e2e": ["tests/e2e/test_login.py"],
        "unit": ["tests/test_b.py"],
    }
    assert cli("classify").ret == 0


def test_classify_proposes_and_writes(
    shop: pytest.Pytester, cli: Callable[..., pytest.RunResult], run_uok: Callable[..., UokRun]
) -> None:
    before = (shop.path / POLICY).read_text()
    result = cli("classify")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "tests/test_browser_flow.py -> e2e",
            "tests/test_plain.py -> unit",
            "stale: suite.e2e: tests/e2e/test_gone.py names no existing file",
            "2 unclassified file(s), 1 stale entry; fix them with: pytest-uok classify --write",
        ]
    )
    assert (shop.path / POLICY).read_text() == before
    assert not (shop.path / ".uok").exists()
    result = cli("classify", "--write")
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["added 2 file(s) to *, removed 1 stale entry"])
    after = (shop.path / POLICY).read_text()
    expected = (
        before.replace('  "tests/e2e/test_gone.py",  # deleted last week\n', "")
        .replace(
            '  "tests/e2e/test_checkout.py",\n',
            '  "tests/e2e/test_checkout.py",\n  "tests/test_browser_flow.py",\n',
        )
        .replace(
            '  "tests/unit/",  # the whole folder\n',
            '  "tests/test_plain.py",\n  "tests/unit/",  # the whole folder\n',
        )
    )
    assert after == expected
    assert cli("classify").ret == 0
    run = run_uok()
    classification = run.summary["classification"]
    assert classification["unclassified"] == []
    assert classification["stale"] == []
    assert classification["unsorted"] == []


def test_audit_prints_states_and_fails_on_expired(
    shop: pytest.Pytester, cli: Callable[..., pytest.RunResult], run_uok: Callable[..., UokRun]
) -> None:
    result = cli("audit")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "tests/suite_classification.toml as of *: 2 entries",
            "EXPIRING  waiver     W-7",
            "          target coverage",
            "VALID     quarantine tests/e2e/test_checkout.py::test_pay",
            "total: 1 expiring, 1 valid",
        ]
    )
    later = (date.today() + timedelta(days=5)).isoformat()
    result = cli("audit", "--today", later, "--json")
    assert result.ret == 1
    audit = json.loads(result.stdout.str())
    assert audit["counts"] == {"expired": 1, "valid": 1}
    run_uok()
    result = cli("audit", "--from", ".uok")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["STALE     quarantine tests/e2e/test_checkout.py::test_pay"])


def test_commands_report_broken_policies(
    pytester: pytest.Pytester, cli: Callable[..., pytest.RunResult]
) -> None:
    (pytester.path / "p.toml").write_text('[suite.unit]\nfils = ["x"]\n')
    for args in (("audit",), ("classify",), ("quarantine", "remove", "x")):
        result = cli(*args, "--policy", "p.toml")
        assert result.ret == 4
        assert "policy file p.toml: [suite.unit], field 'fils': unknown key" in result.stderr.str()
