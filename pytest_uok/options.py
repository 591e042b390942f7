"""Every ``--uok-*`` option with its ``uok_*`` ini key, and their resolution into Settings."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_uok.core.settings import (
    Settings,
    parse_bool,
    parse_factor,
    parse_gateway_url,
    parse_non_negative_float,
    parse_non_negative_int,
    parse_positive_float,
    parse_positive_int,
)
from pytest_uok.core.shard_spec import parse_shard_by, parse_shard_spec


@dataclass(frozen=True)
class Option:
    """One setting: its flag, ini key, optional environment variable and parser."""

    flag: str
    ini: str
    help: str
    parse: Callable[[str, str], Any] | None = None
    flag_only: bool = False
    env: str | None = None
    metavar: str | None = None

    @property
    def is_switch(self) -> bool:
        return self.parse is parse_bool


def _argparse_type(opt: Option) -> Callable[[str], Any] | None:
    parse = opt.parse
    if parse is None or opt.is_switch:
        return None

    def convert(value: str) -> Any:
        try:
            return parse(value, opt.flag)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = opt.ini
    return convert


OPTIONS: list[Option] = [
    Option(
        "--uok-out",
        "uok_out",
        "folder for pytest-uok's artifacts, relative to the rootdir (default: .uok)",
        env="UOK_OUT",
        metavar="DIR",
    ),
    Option(
        "--uok-no-artifacts",
        "uok_no_artifacts",
        "run without writing any artifact",
        parse=parse_bool,
    ),
    Option(
        "--uok-rerun-from",
        "uok_rerun_from",
        "run only the tests that failed or errored in this summary.json or replay_bundle.json "
        "(or the folder holding them)",
        flag_only=True,
        metavar="PATH",
    ),
    Option(
        "--uok-excerpt-chars",
        "uok_excerpt_chars",
        "most characters of output copied into failure_digest.json per stream (default: 4096)",
        parse=parse_positive_int,
        metavar="N",
    ),
    Option(
        "--uok-checkpoint-seconds",
        "uok_checkpoint_seconds",
        "rewrite summary.json (complete: false) at most this often during a run; 0 turns it off "
        "(default: 30)",
        parse=parse_non_negative_float,
        metavar="S",
    ),
    Option(
        "--uok-gate",
        "uok_gate",
        "evaluate the gates after the session and write verdict.json; a failed blocking gate "
        "fails the run (exit 6 when the tests themselves passed)",
        parse=parse_bool,
    ),
    Option(
        "--uok-shard",
        "uok_shard",
        "run only shard I of N (counting from 0, e.g. 0/3); CI parallel-job variables are used "
        "when this is not given",
        parse=parse_shard_spec,
        env="UOK_SHARD",
        metavar="I/N",
    ),
    Option(
        "--uok-shard-by",
        "uok_shard_by",
        "keep each test, class or module together in one shard (default: test)",
        parse=parse_shard_by,
        env="UOK_SHARD_BY",
        metavar="test|class|module",
    ),
    Option(
        "--uok-durations",
        "uok_durations",
        "the durations store used to balance shards, relative to the rootdir (default: "
        ".uok/durations.json; pytest-split's .test_durations is read when it does not exist)",
        env="UOK_DURATIONS",
        metavar="PATH",
    ),
    Option(
        "--uok-store-durations",
        "uok_store_durations",
        "record this run's test durations into the durations store",
        parse=parse_bool,
    ),
    Option(
        "--uok-durations-max-age",
        "uok_durations_max_age",
        "drop durations not measured for this many days when the store is updated (default: 30)",
        parse=parse_positive_int,
        metavar="DAYS",
    ),
    Option(
        "--uok-policy",
        "uok_policy",
        "the policy file: suites, quarantine, waivers (default: tests/suite_classification.toml)",
        env="UOK_POLICY",
        metavar="PATH",
    ),
    Option(
        "--uok-suite",
        "uok_suite",
        "run only the tests of these suites of the policy file (comma-separated names)",
        metavar="NAME",
    ),
    Option(
        "--uok-profile",
        "uok_profile",
        "run only the suites of this [profile.NAME] of the policy file",
        metavar="NAME",
    ),
    Option(
        "--uok-reruns",
        "uok_reruns",
        "rerun a failing test up to N times in the same session; failed-then-passed is 'flaky' (default: 0)",
        parse=parse_non_negative_int,
        metavar="N",
    ),
    Option(
        "--uok-new-test-retries",
        "uok_new_test_retries",
        "early flake detection: retry each test that the baseline or history does not know up to N "
        "times (at most 2 when it takes over 5 s, none over 30 s); one failing any attempt is "
        "flaky-new (default: 0)",
        parse=parse_non_negative_int,
        metavar="N",
    ),
    Option(
        "--uok-attempt-to-fix",
        "uok_attempt_to_fix",
        "run each quarantined test N times and report those passing every attempt as ready to release",
        parse=parse_non_negative_int,
        flag_only=True,
        metavar="N",
    ),
    Option(
        "--uok-waiver-max-days",
        "uok_waiver_max_days",
        "longest a waiver may last from created to expires (default: 30, or [settings] of the policy)",
        parse=parse_positive_int,
        metavar="DAYS",
    ),
    Option(
        "--uok-diff-from",
        "uok_diff_from",
        "compare this run with a baseline run (its summary.json or artifact folder, or 'last': the "
        "last run of the same tests on the same branch in the history) and write triage_diff.json",
        env="UOK_DIFF_FROM",
        metavar="PATH|last",
    ),
    Option(
        "--uok-history-runs",
        "uok_history_runs",
        "how many runs the history in the artifact folder keeps (history.json); 0 keeps none (default: 30)",
        parse=parse_non_negative_int,
        metavar="N",
    ),
    Option(
        "--uok-blocking-suites",
        "uok_blocking_suites",
        "the suites whose new failures rank SEV-1 in the triage (comma-separated; default: every suite)",
        metavar="NAMES",
    ),
    Option(
        "--uok-slower-factor",
        "uok_slower_factor",
        "a test or suite is slower than the baseline when it takes this many times as long (default: 2)",
        parse=parse_factor,
        metavar="F",
    ),
    Option(
        "--uok-slower-test-floor",
        "uok_slower_test_floor",
        "a test counts as slower only when it also takes this many seconds more (default: 0.5)",
        parse=parse_non_negative_float,
        metavar="S",
    ),
    Option(
        "--uok-slower-suite-floor",
        "uok_slower_suite_floor",
        "a suite counts as slower only when it also takes this many seconds more (default: 5)",
        parse=parse_non_negative_float,
        metavar="S",
    ),
    Option(
        "--uok-pushgateway",
        "uok_pushgateway",
        "push the run's metrics to this Prometheus Pushgateway (e.g. http://localhost:9091); "
        "an unreachable gateway only warns",
        parse=parse_gateway_url,
        env="UOK_PUSHGATEWAY",
        metavar="URL",
    ),
    Option(
        "--uok-pushgateway-job",
        "uok_pushgateway_job",
        "the job label the metrics are pushed under (default: pytest-uok)",
        env="UOK_PUSHGATEWAY_JOB",
        metavar="NAME",
    ),
    Option(
        "--uok-pushgateway-timeout",
        "uok_pushgateway_timeout",
        "seconds to wait for the Pushgateway before giving up (default: 5)",
        parse=parse_positive_float,
        metavar="S",
    ),
]

BY_INI = {opt.ini: opt for opt in OPTIONS}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("uok", "pytest-uok: quality gates, flaky tests, sharding, artifacts")
    for opt in OPTIONS:
        if opt.is_switch:
            group.addoption(opt.flag, dest=opt.ini, action="store_true", default=None, help=opt.help)
        else:
            group.addoption(
                opt.flag,
                dest=opt.ini,
                action="store",
                default=None,
                type=_argparse_type(opt),
                metavar=opt.metavar,
                help=opt.help,
            )
        if not opt.flag_only:
            parser.addini(opt.ini, opt.help, type="string", default="")


def raw_value(config: pytest.Config, ini: str) -> tuple[Any, str]:
    """The value of a setting and where it came from: "cli", "env:NAME", "ini" or "default"."""
    opt = BY_INI[ini]
    value = config.getoption(ini)
    if value is not None:
        return value, "cli"
    if opt.env and os.environ.get(opt.env):
        return _parse(config, opt, os.environ[opt.env], f"environment variable {opt.env}"), (f"env:{opt.env}")
    if not opt.flag_only:
        text = str(config.getini(ini)).strip()
        if text:
            return _parse(config, opt, text, f"ini key {ini} in {config.inipath or 'the ini'}"), "ini"
    return None, "default"


def _parse(config: pytest.Config, opt: Option, text: str, where: str) -> Any:
    if opt.parse is None:
        return text
    try:
        return opt.parse(text, where)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-uok: {exc}.") from None


def resolve(config: pytest.Config) -> Settings:
    """Build the session's frozen Settings, raising UsageError for values that cannot work."""
    out, _ = raw_value(config, "uok_out")
    no_artifacts, _ = raw_value(config, "uok_no_artifacts")
    rerun, _ = raw_value(config, "uok_rerun_from")
    excerpt, _ = raw_value(config, "uok_excerpt_chars")
    checkpoint, _ = raw_value(config, "uok_checkpoint_seconds")
    gate, _ = raw_value(config, "uok_gate")
    gateway, _ = raw_value(config, "uok_pushgateway")
    job, _ = raw_value(config, "uok_pushgateway_job")
    gateway_timeout, _ = raw_value(config, "uok_pushgateway_timeout")
    out_dir = Path(out) if out else Path(".uok")
    if not out_dir.is_absolute():
        out_dir = config.rootpath / out_dir
    rerun_path = None
    if rerun:
        rerun_path = Path(rerun)
        if not rerun_path.is_absolute():
            rerun_path = config.invocation_params.dir / rerun_path
    return Settings(
        out_dir=out_dir,
        artifacts=not bool(no_artifacts),
        rerun_from=rerun_path,
        excerpt_chars=excerpt if excerpt is not None else 4096,
        checkpoint_s=checkpoint if checkpoint is not None else 30.0,
        gate=bool(gate),
        pushgateway=gateway or None,
        pushgateway_job=str(job).strip() if job and str(job).strip() else "pytest-uok",
        pushgateway_timeout_s=gateway_timeout if gateway_timeout is not None else 5.0,
    )
