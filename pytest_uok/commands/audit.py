"""``pytest-uok audit``: every waiver and quarantine entry with its state, from the policy or a run."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pytest_uok.commands.quarantine import parse_day
from pytest_uok.core.artifacts import dump
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.models.waiver_audit import WaiverAudit
from pytest_uok.core.policy import DEFAULT_POLICY, load_policy
from pytest_uok.core.readback import load_artifact, resolve_input
from pytest_uok.core.runview import WAIVER_AUDIT
from pytest_uok.core.waivers import build_audit

#: States that make ``pytest-uok audit`` exit 1.
FAILING_STATES = ("expired", "invalid")


def register(sub: Any) -> None:
    parser = sub.add_parser("audit", help="print every waiver and quarantine entry with its state")
    parser.add_argument("--policy", default=DEFAULT_POLICY, help=f"the policy file ({DEFAULT_POLICY})")
    parser.add_argument(
        "--from", dest="source", metavar="PATH", help="print a run's waiver_audit.json instead (has 'stale')"
    )
    parser.add_argument("--json", action="store_true", help="print the audit as JSON")
    parser.add_argument("--today", type=parse_day, default=None, help="judge as of this date (YYYY-MM-DD)")
    parser.set_defaults(func=run)


def _audit(args: argparse.Namespace) -> WaiverAudit:
    if args.source:
        return load_artifact(resolve_input(Path(args.source), (WAIVER_AUDIT,)), WaiverAudit)
    path = Path(args.policy)
    policy = load_policy(path)
    if policy is None:
        raise UokInputError(f"policy file {path} does not exist; name it with --policy.")
    return build_audit(policy, args.today or date.today())


def run(args: argparse.Namespace) -> int:
    try:
        audit = _audit(args)
    except UokInputError as exc:
        print(f"pytest-uok audit: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        sys.stdout.write(dump(audit))
    else:
        when = f" as of {audit.today}" if audit.today else ""
        print(f"{audit.policy_path or 'policy file'}{when}: {len(audit.entries)} entries")
        for e in audit.entries:
            print(f"{e.state.upper():9} {e.kind:10} {e.id}")
            if e.target != e.id:
                print(f"          target {e.target}")
            print(f"          owner {e.owner}, issue {e.issue}, expires {e.expires}: {e.reason}")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(audit.counts.items()))
        print(f"total: {counts or 'no entries'}")
    return EXIT_FAILED if any(e.state in FAILING_STATES for e in audit.entries) else EXIT_OK
