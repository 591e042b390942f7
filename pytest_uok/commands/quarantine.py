"""``pytest-uok quarantine add|remove``: edit the policy file's [[quarantine]] entries."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_OK, EXIT_USAGE, argument_type
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.policy import DEFAULT_POLICY, TAXONOMY, parse_policy, read_policy_text
from pytest_uok.core.policy_edit import add_quarantine, read_for_edit, remove_quarantine, write_policy
from pytest_uok.core.settings import parse_int


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _days(value: str, what: str) -> int:
    return parse_int(value, what, minimum=1, maximum=365)


def register(sub: Any) -> None:
    parser = sub.add_parser("quarantine", help="add or remove a [[quarantine]] entry in the policy file")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="quarantine a test (node id, file, or pattern with *)")
    add.add_argument("nodeid")
    add.add_argument("--category", required=True, choices=list(TAXONOMY), help="taxonomy category")
    add.add_argument("--owner", required=True, help="who fixes it (person or team)")
    add.add_argument("--issue", required=True, help="link to the issue tracking the fix")
    add.add_argument("--reason", default="flaky; see the issue", help="why it is quarantined")
    add.add_argument(
        "--days",
        type=argument_type(_days, "--days"),
        default=None,
        help="days until the quarantine expires (default: the policy's [settings] quarantine_days, 30)",
    )
    add.add_argument("--today", type=parse_day, default=None, help=argparse.SUPPRESS)
    add.add_argument("--policy", default=DEFAULT_POLICY, help=f"the policy file ({DEFAULT_POLICY})")
    add.set_defaults(func=run_add)
    remove = actions.add_parser("remove", help="release a test from quarantine")
    remove.add_argument("nodeid")
    remove.add_argument("--policy", default=DEFAULT_POLICY, help=f"the policy file ({DEFAULT_POLICY})")
    remove.set_defaults(func=run_remove)


def run_add(args: argparse.Namespace) -> int:
    path = Path(args.policy)
    today = args.today or date.today()
    try:
        text, policy = read_for_edit(path)
        days = args.days or policy.settings.quarantine_days
        fields = {
            "test": args.nodeid,
            "category": args.category,
            "owner": args.owner,
            "issue": args.issue,
            "reason": args.reason,
            "added": today,
            "expires": today + timedelta(days=days),
        }
        write_policy(path, add_quarantine(text, path, fields))
    except UokInputError as exc:
        print(f"pytest-uok quarantine: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    print(f"quarantined {args.nodeid} ({args.category}) until {fields['expires']} in {path}")
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    path = Path(args.policy)
    try:
        text = read_policy_text(path)
        parse_policy(text, path)
        write_policy(path, remove_quarantine(text, path, args.nodeid))
    except UokInputError as exc:
        print(f"pytest-uok quarantine: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    print(f"released {args.nodeid} from quarantine in {path}")
    return EXIT_OK
