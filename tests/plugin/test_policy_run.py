"""A session with a policy file: classification, quarantine, waivers, broken files, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from pytest_uok.core.errors import UokInputError
from tests.conftest import UokRun

POLICY = "tests/suite_classification.toml"
TODAY = date.today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def quarantine(test: str, added: int = -10, expires: int = 20, category: str = "FLAKE-NET") -> str:
    return f"""
[[quarantine]]
test = "{test}"
category = "{category}"
owner = "@team"
issue = "https://example.org/issues/1"
reason = "flaky"
added = {day(added)}
expires = {day(expires)}
"""


def waiver(wid: str, target: str, created: int = -5, expires: int = 20) -> str:
    return f"""
[[waiver]]
id = "{wid}"
target = "{target}"
owner = "@team"
reason = "known"
issue = "https://example.org/issues/2"
created = {day(created)}
expires = {day(expires)}
"""


SUITES = """
[suite.unit]
files = ["tests/unit/"]

[suite.e2e]
files = ["tests/e2e/**/test_*.py"]

[profile.quick]
suites = ["unit"]
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(
        **{
            "tests/unit/test_math": "def test_add():\n    assert 1 + 1 == 2\n",
            "tests/unit/test_fail": "def test_broken():\n    assert 0, 'boom'\n",
            "tests/e2e/shop/test_cart": "def test_cart():\n    pass\n",
            "tests/test_loose": "def test_loose():\n    pass\n",
        }
    )
    return pytester


def write_policy(pytester: pytest.Pytester, text: str) -> None:
    path = pytester.path / POLICY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_patterns_put_each_file_in_its_suite(
    project: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    unit2 = '\n[suite.unit2]\nfiles = ["tests/gone.py", "tests/b.py", "tests/a.py"]\n'
    write_policy(project, SUITES + unit2 + '\n[suite.shop]\nfiles = ["tests/e2e/shop/"]\n')
    run = run_uok("-p", "no:randomly")
    assert run.ret == 1
    suites = {t["nodeid"]: t["suite"] for t in run.summary["tests"]}
    assert suites == {
        "tests/unit/test_math.py::test_add": "unit",
        "tests/unit/test_fail.py::test_broken": "unit",
        "tests/e2e/shop/test_cart.py::test_cart": "e2e",
        "tests/test_loose.py::test_loose": None,
    }
    s = run.summary
    assert s["suites"]["unit"] == {"total": 2, "outcomes": {"passed": 1, "failed": 1}, "passed": False}
    assert s["suites"]["e2e"]["passed"] is True
    assert (s["passed_suites"], s["total_suites"]) == (2, 3)  # e2e, unclassified pass; unit fails
    c = s["classification"]
    # tests/e2e/shop/ is matched by the e2e pattern and the shop folder: the first suite wins.
    assert c["duplicates"] == ["tests/e2e/shop/test_cart.py: e2e, shop"]
    assert c["policy_path"] == POLICY
    assert c["unclassified"] == ["tests/test_loose.py"]
    assert c["stale"] == ["suite.unit2: tests/gone.py", "suite.unit2: tests/b.py", "suite.unit2: tests/a.py"]
    assert c["unsorted"] == ["suite.unit2: tests/b.py (should come before tests/gone.py)"]
    out = run.result.stdout
    out.fnmatch_lines(
        [
            "uok policy: tests/suite_classification.toml (4 suites, 0 quarantined, 0 waivers)",
            "*uok classification*",
            "unclassified file: tests/test_loose.py",
            "duplicate classification: tests/e2e/shop/test_cart.py: e2e, shop",
            "stale entry: suite.unit2: tests/gone.py",
            "stale entry: suite.unit2: tests/b.py",
            "stale entry: suite.unit2: tests/a.py",
            "unsorted suite: suite.unit2: tests/b.py (should come before tests/gone.py)",
            "propose suites for them with: pytest-uok classify (add --write to edit the file)",
        ]
    )


def test_suite_marker_and_suite_options_select(
    project: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    write_policy(project, SUITES)
    run = run_uok("-m", "uok_suite(name='e2e')")
    assert run.ret == 0
    assert list(run.outcomes()) == ["tests/e2e/shop/test_cart.py::test_cart"]
    run = run_uok("--uok-profile", "quick")
    assert sorted(run.outcomes()) == [
        "tests/unit/test_fail.py::test_broken",
        "tests/unit/test_math.py::test_add",
    ]
    assert run.summary["counts"]["deselected"] == 2
    run = run_uok("--uok-suite", "e2e,unit", "-p", "no:randomly")
    assert len(run.outcomes()) == 3
    result = project.runpytest("--uok-suite", "smoke")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*--uok-suite: no suite 'smoke' in *suite_classification.toml (suites: e2e, unit)."]
    )


def test_the_suite_marker_selects_and_excludes(
    project: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    write_policy(project, SUITES)
    # pytest's -m grammar takes keyword arguments only, hence name=: uok_suite('e2e') is rejected by pytest.
    run = run_uok("-m", "not uok_suite(name='unit')", "-p", "no:randomly")
    assert list(run.outcomes()) == [
        "tests/e2e/shop/test_cart.py::test_cart",
        "tests/test_loose.py::test_loose",
    ]
    run = run_uok("-m", "uok_suite(name='unit') or uok_suite(name='e2e')")
    assert len(run.outcomes()) == 3
    assert run.summary["counts"]["deselected"] == 1


def test_a_conftest_hook_decides_the_suite(project: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    write_policy(project, SUITES)
    project.makeconftest(
        """
        def pytest_uok_suite(config, item, suites):
            return "e2e" if "loose" in item.nodeid else None
        """
    )
    run = run_uok()
    suites = {t["nodeid"]: t["suite"] for t in run.summary["tests"]}
    assert suites["tests/test_loose.py::test_loose"] == "e2e"
    assert suites["tests/unit/test_math.py::test_add"] == "unit"


# -- quarantine ---------------------------------------------------------------------------------


def test_quarantined_failure_and_pass(project: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    write_policy(
        project,
        SUITES
        + quarantine("tests/unit/test_fail.py::test_broken")
        + quarantine("tests/unit/test_math.py::test_add", category="FLAKE-TIMING"),
    )
    run = run_uok("-p", "no:randomly")
    assert run.ret == 0, run.result.stdout.str()
    outcomes = run.outcomes()
    assert outcomes["tests/unit/test_fail.py::test_broken"] == "quarantined"
    assert outcomes["tests/unit/test_math.py::test_add"] == "passed"
    entry = next(t for t in run.summary["tests"] if t["outcome"] == "quarantined")
    assert entry["phase"] == "call"
    assert entry["attempts"] == [
        {"outcome": "quarantined", "duration_s": entry["duration_s"], "phase": "call"}
    ]
    assert run.summary["failed_names"] == []
    assert run.summary["suites"]["unit"]["passed"] is True
    out = run.result.stdout
    out.fnmatch_lines(
        [
            "tests/unit/test_fail.py Q*",
            "*uok quarantined and waived failures*",
            "QUARANTINED tests/unit/test_fail.py::test_broken (call) by quarantine (FLAKE-NET), until *",
            "*AssertionError: boom",
            "*3 passed, 1 quarantined*",
        ]
    )
    protected = [e["data"] for e in run.events if e["kind"] == "test_protected"]
    assert [(e["nodeid"], e["outcome"], e["by"]["state"]) for e in protected] == [
        ("tests/unit/test_fail.py::test_broken", "quarantined", "valid")
    ]
    # The failure is recorded in full in the digest, replayable by its id, but is not
    # among the report's failures.
    [digest] = run.get("failure_digest.json")["failures"]
    assert (digest["nodeid"], digest["outcome"]) == ("tests/unit/test_fail.py::test_broken", "quarantined")
    assert digest["root_cause_class"] == "assertion_failure"
    assert "boom" in digest["first_failing_assertion"]["message"]
    pointer = digest["remediation_pointer"]
    assert pointer["replay_command"] == pointer["targeted_test_replay_command"]
    assert pointer["replay_command"].endswith("tests/unit/test_fail.py::test_broken")
    report = (project.path / ".uok" / "report.md").read_text()
    assert "## Failures" not in report
    assert "`tests/unit/test_fail.py::test_broken`" in report
    audit = {e["id"]: e for e in run.get("waiver_audit.json")["entries"]}
    assert audit["tests/unit/test_fail.py::test_broken"]["state"] == "valid"
    assert audit["tests/unit/test_math.py::test_add"]["state"] == "stale"
    assert audit["tests/unit/test_fail.py::test_broken"]["matched"] == [
        "tests/unit/test_fail.py::test_broken"
    ]


def test_an_expired_quarantine_protects_nothing(
    project: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    write_policy(project, SUITES + quarantine("tests/unit/test_fail.py", added=-40, expires=-1))
    run = run_uok()
    assert run.ret == 1
    assert run.outcomes()["tests/unit/test_fail.py::test_broken"] == "failed"
    run.result.stdout.fnmatch_lines(
        [
            "*uok expired protection*",
            "FAILED tests/unit/test_fail.py::test_broken: its quarantine is expired (expires *) and protects "
            "nothing; renew or remove the entry",
        ]
    )
    (entry,) = run.get("waiver_audit.json")["entries"]
    assert entry["state"] == "expired"
    assert entry["days_left"] == -1


def test_setup_errors_and_hook_quarantine(pytester: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("no database")

        def pytest_uok_quarantine(config, item, entry):
            if "hooked" in item.nodeid:
                return {{"category": "FLAKE-ENV", "owner": "@db", "issue": "https://example.org/3",
                         "reason": "db", "added": "{day(-1)}", "expires": "{day(5)}"}}
            return None
        """
    )
    pytester.makepyfile(test_db="def test_hooked(broken):\n    pass\n\ndef test_plain(broken):\n    pass\n")
    run = run_uok("-p", "no:randomly")
    assert run.ret == 1
    assert run.outcomes() == {"test_db.py::test_hooked": "quarantined", "test_db.py::test_plain": "error"}
    run.result.stdout.fnmatch_lines(["*1 error, 1 quarantined*"])


# -- waivers ------------------------------------------------------------------------------------


def test_waivers_of_each_state(project: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    project.makepyfile(
        **{
            "tests/unit/test_more": (
                "def test_expired():\n    assert 0\n\ndef test_future():\n    assert 0\n\n"
                "def test_soon():\n    assert 0\n\ndef test_fixed():\n    pass\n"
            )
        }
    )
    write_policy(
        project,
        SUITES
        + waiver("W-valid", "tests/unit/test_fail.py::test_broken")
        + waiver("W-expired", "tests/unit/test_more.py::test_expired", created=-20, expires=-2)
        + waiver("W-invalid", "tests/unit/test_more.py::test_future", created=3, expires=10)
        + waiver("W-expiring", "tests/unit/test_more.py::test_soon", created=-20, expires=3)
        + waiver("W-stale", "tests/unit/test_more.py::test_fixed")
        + waiver("W-gate", "coverage"),
    )
    run = run_uok("-p", "no:randomly")
    assert run.ret == 1
    outcomes = run.outcomes()
    assert outcomes["tests/unit/test_fail.py::test_broken"] == "waived"
    assert outcomes["tests/unit/test_more.py::test_soon"] == "waived"
    assert outcomes["tests/unit/test_more.py::test_expired"] == "failed"
    assert outcomes["tests/unit/test_more.py::test_future"] == "failed"
    audit = run.get("waiver_audit.json")
    states = {e["id"]: e["state"] for e in audit["entries"]}
    assert states == {
        "W-valid": "valid",
        "W-expired": "expired",
        "W-invalid": "invalid",
        "W-expiring": "expiring",
        "W-stale": "stale",
        "W-gate": "valid",
    }
    assert audit["counts"] == {"valid": 2, "expired": 1, "invalid": 1, "expiring": 1, "stale": 1}
    reasons = {e["id"]: e["reason"] for e in audit["entries"]}
    assert reasons["W-invalid"] == f"created {day(3)} is in the future"
    run.result.stdout.fnmatch_lines(
        ["WAIVED tests/unit/test_fail.py::test_broken (call) by waiver W-valid, *"]
    )


def test_quarantine_waivers_and_suites_under_xdist(
    project: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    project.makepyfile(**{"tests/unit/test_other": "def test_two():\n    assert 0\n"})
    write_policy(
        project,
        SUITES
        + quarantine("tests/unit/*::test_bro*")
        + waiver("W-1", "tests/unit/test_other.py::test_two")
        + waiver("W-2", "tests/unit/test_math.py::test_add"),
    )
    run = run_uok("-n", "2", subprocess=True)
    assert run.ret == 0, run.result.stdout.str()
    assert run.outcomes() == {
        "tests/unit/test_math.py::test_add": "passed",
        "tests/unit/test_fail.py::test_broken": "quarantined",
        "tests/unit/test_other.py::test_two": "waived",
        "tests/e2e/shop/test_cart.py::test_cart": "passed",
        "tests/test_loose.py::test_loose": "passed",
    }
    suites = run.summary["suites"]
    assert suites["unit"] == {
        "total": 3,
        "outcomes": {"passed": 1, "quarantined": 1, "waived": 1},
        "passed": True,
    }
    assert (run.summary["passed_suites"], run.summary["total_suites"]) == (3, 3)
    assert run.summary["classification"]["unclassified"] == ["tests/test_loose.py"]
    audit = {e["id"]: e["state"] for e in run.get("waiver_audit.json")["entries"]}
    assert audit == {"W-1": "valid", "W-2": "stale", "tests/unit/*::test_bro*": "valid"}
    assert run.result.parseoutcomes() == {"passed": 3, "quarantined": 1, "waived": 1}
    out = run.result.stdout.str()
    assert "uok quarantined and waived failures" in out
    assert "QUARANTINED tests/unit/test_fail.py::test_broken (call) by quarantine (FLAKE-NET)" in out
    assert "WAIVED tests/unit/test_other.py::test_two (call) by waiver W-1" in out
    assert "unclassified file: tests/test_loose.py" in out


def test_only_protected_failures_exit_0(project: pytest.Pytester, run_uok: Callable[..., UokRun]) -> None:
    project.makepyfile(**{"tests/unit/test_other": "def test_two():\n    assert 0\n"})
    policy = SUITES + quarantine("tests/unit/test_fail.py::test_broken")
    write_policy(project, policy + waiver("W-1", "tests/unit/test_other.py::test_two"))
    assert run_uok().ret == 0
    write_policy(project, policy)
    run = run_uok()
    assert run.ret == 1
    assert run.summary["failed_names"] == ["tests/unit/test_other.py::test_two"]


# -- broken and missing policy files ------------------------------------------------------------

BROKEN: list[tuple[str, str, str]] = [
    ("unknown key", "[suite.unit]\nfiles = []\nfile = []\n", "[suite.unit], field 'file': unknown key"),
    (
        "bad date",
        quarantine("tests/a.py").replace(f"added = {day(-10)}", 'added = "last tuesday"'),
        "[[quarantine]] entry 1 (test = 'tests/a.py'), field 'added': 'last tuesday' is not a date; "
        "write YYYY-MM-DD",
    ),
    (
        "unknown category",
        quarantine("tests/a.py", category="FLAKE-MOON"),
        "field 'category': unknown category 'FLAKE-MOON'; use one of FLAKE-TIMING,",
    ),
    (
        "duplicate",
        quarantine("tests/a.py") * 2,
        "[[quarantine]] entry 2 (test = 'tests/a.py'), field 'test': duplicate entry",
    ),
    (
        "file in two suites",
        '[suite.unit]\nfiles = ["tests/x.py"]\n[suite.e2e]\nfiles = ["tests/x.py"]\n',
        "[suite.e2e], field 'files': 'tests/x.py' is already in [suite.unit]; a file belongs to exactly one",
    ),
    (
        "waiver too long",
        waiver("W-1", "t", created=-1, expires=40),
        "[[waiver]] entry 1 (id = 'W-1'), field 'expires': the waiver lasts 41 days, "
        "more than the 30 allowed",
    ),
    (
        "expiry before start",
        quarantine("tests/a.py", added=-1, expires=-3),
        f"[[quarantine]] entry 1 (test = 'tests/a.py'), field 'expires': {day(-3)} is before added ({day(-1)})",
    ),
    (
        "unknown suite in a profile",
        '[suite.unit]\nfiles = []\n[profile.quick]\nsuites = ["smoke"]\n',
        "[profile.quick], field 'suites': unknown suite 'smoke' (suites: unit)",
    ),
    (
        "not toml",
        '[suite.unit]\nfiles = ["a.py" "b.py"]\n',
        "is not valid TOML: Unclosed array (at line 2, column 17). Fix the syntax at that place.",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_policy_is_a_usage_error(pytester: pytest.Pytester, text: str, expected: str) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    write_policy(pytester, text)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    # One problem, one line: the file, then the entry and the field.
    (line,) = err.strip().splitlines()
    assert line.startswith(f"ERROR: pytest-uok: policy file {pytester.path / POLICY}")
    assert expected in line
    assert "Traceback" not in err + result.stdout.str()
    assert not (pytester.path / ".uok" / "summary.json").exists()


def test_each_problem_of_a_broken_policy_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    text = "".join(b[1] for b in BROKEN[1:3]).replace("tests/a.py", "tests/b.py", 1)
    write_policy(pytester, text + '\n[suite.unit]\nfiles = ["x.py"]\ncolour = "red"\n')
    result = pytester.runpytest()
    assert result.ret == 4
    assert result.stderr.str().strip().splitlines() == [
        f"ERROR: pytest-uok: policy file {pytester.path / POLICY} has 3 problems:",
        "  - [suite.unit], field 'colour': unknown key; remove it or check its spelling",
        "  - [[quarantine]] entry 1 (test = 'tests/b.py'), field 'added': 'last tuesday' is not a date; "
        "write YYYY-MM-DD, e.g. 2026-11-30",
        "  - [[quarantine]] entry 2 (test = 'tests/a.py'), field 'category': unknown category 'FLAKE-MOON'; "
        "use one of FLAKE-TIMING, FLAKE-ENV, FLAKE-NET, FLAKE-RES, FLAKE-EXT, FLAKE-LOGIC",
    ]


def test_waiver_max_days_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    write_policy(pytester, waiver("W-1", "t", created=-1, expires=20))
    result = pytester.runpytest("--uok-waiver-max-days", "14")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*the waiver lasts 21 days, more than the 14 allowed*"])


def test_missing_policy_is_fine_unless_named(
    pytester: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    run = run_uok()
    assert run.ret == 0
    assert run.summary["classification"] is None
    assert "waiver_audit.json" not in run.artifacts
    result = pytester.runpytest("--uok-policy", "nope.toml")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: pytest-uok: policy file */nope.toml does not exist.*"])


def test_an_unreadable_policy_quarantines_nothing(
    project: pytest.Pytester, run_uok: Callable[..., UokRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_policy(project, SUITES + quarantine("tests/unit/test_fail.py"))
    path = project.path / POLICY

    def unreadable(*args: Any, **kwargs: Any) -> None:
        raise UokInputError(f"policy file {path} cannot be read: Permission denied.")

    # Root reads every file whatever its mode, so the failing open is simulated.
    monkeypatch.setattr("pytest_uok.policy_setup.load_policy", unreadable)
    monkeypatch.setattr("pytest_uok.policy_setup._unreadable", lambda p: True)
    run = run_uok()
    assert run.ret == 1
    assert run.outcomes()["tests/unit/test_fail.py::test_broken"] == "failed"
    classification: dict[str, Any] = run.summary["classification"]
    assert "cannot be read: Permission denied" in classification["error"]
    assert "waiver_audit.json" not in run.artifacts
    run.result.stdout.fnmatch_lines(
        [
            "uok policy: tests/suite_classification.toml UNREADABLE, nothing quarantined*",
            "policy file unreadable, nothing quarantined or waived: *",
        ]
    )


def test_policy_path_and_suites_from_the_ini(
    project: pytest.Pytester, run_uok: Callable[..., UokRun]
) -> None:
    (project.path / "conf").mkdir()
    (project.path / "conf" / "policy.toml").write_text(SUITES, encoding="utf-8")
    project.makeini("[pytest]\nuok_policy = conf/policy.toml\nuok_suite = e2e\n")
    run = run_uok()
    assert run.ret == 0
    assert list(run.outcomes()) == ["tests/e2e/shop/test_cart.py::test_cart"]
    assert run.summary["classification"]["policy_path"] == "conf/policy.toml"
    run.result.stdout.fnmatch_lines(
        ["uok policy: conf/policy.toml (2 suites, 0 quarantined, 0 waivers); running suites: e2e"]
    )
    assert run_uok("--uok-suite", "unit").summary["counts"]["passed"] == 1
