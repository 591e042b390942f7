"""``pytest-uok report DIR``: (re)render metrics.prom, report.md and report.html from artifacts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_uok.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, argument_type
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.metrics import DEFAULT_JOB, describe_push_error, push_metrics, shown_gateway
from pytest_uok.core.reports import append_step_summary, render_reports
from pytest_uok.core.runview import SUMMARY
from pytest_uok.core.settings import parse_gateway_url, parse_positive_float


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "report",
        help="render metrics.prom, report.md and report.html from an artifact folder",
        description="Render metrics.prom, report.md and report.html from the artifacts in DIR "
        "(and in each shard subfolder of DIR that holds a summary.json).",
    )
    parser.add_argument(
        "dir", nargs="?", default=".uok", metavar="DIR", help="artifact folder (default: .uok)"
    )
    parser.add_argument(
        "--step-summary",
        action="store_true",
        help="also append report.md to the file named by $GITHUB_STEP_SUMMARY, when it is set",
    )
    parser.add_argument(
        "--pushgateway",
        type=argument_type(parse_gateway_url, "--pushgateway"),
        metavar="URL",
        help="push the metrics to this Prometheus Pushgateway",
    )
    parser.add_argument(
        "--job", default=DEFAULT_JOB, help=f"the job label to push under (default: {DEFAULT_JOB})"
    )
    parser.add_argument(
        "--timeout",
        type=argument_type(parse_positive_float, "--timeout"),
        default=5.0,
        metavar="S",
        help="seconds to wait for the Pushgateway (default: 5)",
    )
    parser.set_defaults(func=run)


def folders(root: Path) -> list[Path]:
    """``root`` when it holds a run, else its subfolders that do (one per shard)."""
    if (root / SUMMARY).is_file() or not root.is_dir():
        return [root]
    found = sorted(p.parent for p in root.glob(f"*/{SUMMARY}"))
    return found or [root]


def run(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for folder in folders(Path(args.dir)):
        try:
            rendered = render_reports(folder)
        except UokInputError as exc:
            print(f"pytest-uok report: {exc.message}", file=sys.stderr)
            return EXIT_USAGE
        for path in rendered.written:
            print(f"wrote {path}")
        for error in rendered.errors:
            print(f"pytest-uok report: {error}", file=sys.stderr)
            code = EXIT_FAILED
        if args.step_summary:
            try:
                target = append_step_summary(rendered.markdown)
            except OSError as exc:
                print(f"pytest-uok report: could not append to $GITHUB_STEP_SUMMARY: {exc}", file=sys.stderr)
                code = EXIT_FAILED
            else:
                if target is None:
                    print("GITHUB_STEP_SUMMARY is not set: nothing appended", file=sys.stderr)
                else:
                    print(f"appended report.md to {target}")
        if args.pushgateway:
            shown = shown_gateway(args.pushgateway)
            try:
                push_metrics(rendered.view, args.pushgateway, job=args.job, timeout=args.timeout)
            except Exception as exc:  # the user asked for the push: say why it failed, no traceback
                reason = describe_push_error(exc)
                print(f"pytest-uok report: could not push to {shown}: {reason}", file=sys.stderr)
                code = EXIT_FAILED
            else:
                shard = rendered.view.shard_label
                print(f"pushed metrics to {shown} (job {args.job}, shard {shard})")
    return code
