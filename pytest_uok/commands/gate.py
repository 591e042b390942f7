"""``pytest-uok gate DIR``: evaluate the gates over artifacts already written, running no tests."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.registry import TEST_RESULTS
from pytest_uok.core.gates.session import gate_exit_code, run_gates
from pytest_uok.core.gates.verdict import verdict_lines
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.models.verdict import Verdict
from pytest_uok.core.readback import load_artifact, load_baseline
from pytest_uok.core.reports import render_reports

#: The bundled scenarios of ``--self-test``: artifact folders with a policy file and a golden verdict.
SCENARIO_PACKAGE = "pytest_uok.gate_scenarios"
GOLDEN = "golden_verdict.json"
SCENARIO_POLICY = "policy.toml"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "gate",
        help="evaluate the gates over an artifact folder (e.g. merged shards) and write verdict.json",
        description="Evaluate the gates over artifacts already written; no test runs. Exit 0 when the "
        "verdict passes, the run's own pytest exit code when its tests failed, 6 when only a blocking "
        "gate failed, 4 for unusable input. With --only and without test_results among the gates, "
        "failed tests do not count: the gates evaluated decide.",
    )
    parser.add_argument("folder", nargs="?", help="the artifact folder holding summary.json")
    parser.add_argument("--policy", metavar="PATH", help="the policy file (default: the one the run used)")
    parser.add_argument(
        "--only",
        metavar="ID",
        action="append",
        help="evaluate only this gate (repeatable); failed tests then decide the exit code only with "
        f"--only {TEST_RESULTS}",
    )
    parser.add_argument(
        "--baseline",
        metavar="PATH",
        help="a baseline run's summary.json or artifact folder: the regression gate compares the run with it",
    )
    parser.add_argument("--self-test", action="store_true", help="check the gates against bundled scenarios")
    parser.set_defaults(func=run)


def show(verdict: Verdict) -> None:
    for line, _status in verdict_lines(verdict):
        print(line)


def run(args: argparse.Namespace) -> int:
    if args.self_test:
        return self_test()
    if not args.folder:
        print("pytest-uok gate: give the artifact folder (e.g. .uok) or --self-test", file=sys.stderr)
        return EXIT_USAGE
    folder = Path(args.folder)
    try:
        summary = load_artifact(folder / "summary.json", Summary) if folder.is_dir() else None
        if summary is None:
            raise UokInputError(f"{folder} is not a folder of pytest-uok artifacts (no summary.json).")
        policy = Path(args.policy) if args.policy else RunFacts(folder).policy_path
        if args.policy and not policy.is_file():
            raise UokInputError(f"--policy {args.policy}: no such file.")
        if args.baseline:
            try:
                load_baseline(Path(args.baseline))
            except UokInputError as exc:
                raise UokInputError(f"--baseline: {exc.message}") from None
        outcome = run_gates(
            folder,
            policy_path=policy,
            source="artifacts",
            only=args.only,
            baseline=Path(args.baseline) if args.baseline else None,
            gate_command=shlex.join(["pytest-uok", "gate", str(folder)]),
        )
    except UokInputError as exc:
        print(f"pytest-uok gate: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    show(outcome.verdict)
    for error in outcome.errors:
        print(f"uok gate error: {error}", file=sys.stderr)
    # The verdict changed: metrics.prom, report.md and report.html say so too.
    for error in render_reports(folder, summary).errors:
        print(f"uok gate error: {error}", file=sys.stderr)
    judges_tests = not args.only or TEST_RESULTS in args.only
    tests_exit = summary.exit_status
    code = gate_exit_code(outcome.verdict, tests_exit, judges_tests)
    if code != (tests_exit or 0) and tests_exit:
        print(
            f"exit code {code}: the tests failed (pytest exit code {tests_exit}), but --only leaves out "
            f"{TEST_RESULTS}, so the gates evaluated decide"
        )
    elif code and not tests_exit:
        print(f"exit code {code}: the tests passed, but a blocking gate failed")
    return code


def scenario_folders() -> list[Path]:
    root = resources.files(SCENARIO_PACKAGE)
    return sorted(Path(str(p)) for p in root.iterdir() if p.is_dir() and (p / GOLDEN).is_file())


def _stable(kind: str, subject: str | None) -> str:
    # A missing policy file is named by its path, which depends on where the package lives.
    if kind == "missing_policy" and subject:
        return Path(subject).name
    return subject or ""


def golden_of(verdict: Verdict) -> dict[str, Any]:
    """The parts of a verdict a golden file pins: the decision, every gate's status, and blockers."""
    return {
        "overall": verdict.overall,
        "mode": verdict.mode,
        "failed_gates": verdict.failed_gates,
        "gates": {g.id: {"status": g.status, "blocking": g.blocking} for g in verdict.gates},
        "blockers": sorted(f"{b.kind}:{b.gate}:{_stable(b.kind, b.subject)}" for b in verdict.blockers),
        "health": verdict.health.status,
    }


def evaluate_scenario(folder: Path) -> dict[str, Any]:
    """The golden view of the verdict the gates give over a copy of a scenario folder."""
    with tempfile.TemporaryDirectory(prefix="uok-gate-self-test-") as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns(GOLDEN, SCENARIO_POLICY, "__*"))
        policy = folder / SCENARIO_POLICY
        outcome = run_gates(work, policy_path=policy, source="artifacts", environ={})
        return golden_of(outcome.verdict)


def self_test() -> int:
    folders = scenario_folders()
    failures = 0
    for folder in folders:
        golden = json.loads((folder / GOLDEN).read_text(encoding="utf-8"))
        got = evaluate_scenario(folder)
        if got == golden:
            print(f"ok       {folder.name}: {got['overall']}")
            continue
        failures += 1
        print(f"MISMATCH {folder.name}")
        for key in sorted(set(golden) | set(got)):
            if golden.get(key) != got.get(key):
                print(f"  {key}: expected {golden.get(key)!r}, got {got.get(key)!r}")
    print(f"{len(folders) - failures} of {len(folders)} scenarios match their golden verdicts")
    return EXIT_FAILED if failures or not folders else EXIT_OK
