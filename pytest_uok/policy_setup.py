"""Reads the policy options, loads the policy file and registers the policy concerns that are on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_uok import options
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.settings import DEFAULT_POLICY
from pytest_uok.protection import ProtectionPlugin
from pytest_uok.reruns import RerunPlugin

if TYPE_CHECKING:
    from pytest_uok.core.policy import Policy


@dataclass
class PolicyContext:
    """The policy options after precedence, and the policy file they lead to."""

    path: Path
    explicit: bool
    policy: Policy | None = None
    #: Why an existing policy file could not be read; nothing is quarantined then (fail safe).
    error: str | None = None
    suites: list[str] = field(default_factory=list)
    reruns: int = 0
    attempt_to_fix: int = 0
    today: date = field(default_factory=date.today)

    def shown_path(self, rootdir: Path) -> str:
        try:
            return self.path.relative_to(rootdir).as_posix()
        except ValueError:
            return str(self.path)


def _policy_path(config: pytest.Config) -> tuple[Path, bool]:
    value, source = options.raw_value(config, "uok_policy")
    if not value:
        return config.rootpath / DEFAULT_POLICY, False
    path = Path(str(value))
    if not path.is_absolute():
        base = config.invocation_params.dir if source == "cli" else config.rootpath
        path = base / path
    return path, True


def _selected_suites(config: pytest.Config, policy: Policy | None, path: Path) -> list[str]:
    suite_value, _ = options.raw_value(config, "uok_suite")
    profile_value, _ = options.raw_value(config, "uok_profile")
    if not suite_value and not profile_value:
        return []
    if policy is None:
        raise pytest.UsageError(
            f"pytest-uok: --uok-suite / --uok-profile need a policy file, and {path} does not exist. "
            "Create it (see docs/policy.md) or name it with --uok-policy."
        )
    wanted: list[str] = []
    if suite_value:
        for name in str(suite_value).split(","):
            name = name.strip()
            if name and name not in policy.suite:
                known = ", ".join(sorted(policy.suite)) or "none"
                raise pytest.UsageError(
                    f"pytest-uok: --uok-suite: no suite {name!r} in {path} (suites: {known})."
                )
            if name and name not in wanted:
                wanted.append(name)
    if profile_value:
        name = str(profile_value).strip()
        profile = policy.profile.get(name)
        if profile is None:
            known = ", ".join(sorted(policy.profile)) or "none"
            raise pytest.UsageError(
                f"pytest-uok: --uok-profile: no [profile.{name}] in {path} (profiles: {known})."
            )
        wanted.extend(s for s in profile.suites if s not in wanted)
    return wanted


def resolve_policy(config: pytest.Config) -> PolicyContext:
    """Load the policy; UsageError for a bad file, fail-safe context for an unreadable one."""
    path, explicit = _policy_path(config)
    max_days, _ = options.raw_value(config, "uok_waiver_max_days")
    reruns, _ = options.raw_value(config, "uok_reruns")
    fix, _ = options.raw_value(config, "uok_attempt_to_fix")
    ctx = PolicyContext(path=path, explicit=explicit, reruns=reruns or 0, attempt_to_fix=fix or 0)
    if explicit and not path.exists():
        raise pytest.UsageError(
            f"pytest-uok: policy file {path} does not exist. Fix --uok-policy / uok_policy, or create "
            "the file (see docs/policy.md)."
        )
    try:
        ctx.policy = load_policy(path, waiver_max_days=max_days)
    except UokInputError as exc:
        if path.is_file() and _unreadable(path):
            # Fail safe: a file we cannot open quarantines and waives nothing; the run says so.
            ctx.error = exc.message
        else:
            raise pytest.UsageError(f"pytest-uok: {exc.message}") from None
    ctx.suites = _selected_suites(config, ctx.policy, path)
    return ctx


def load_policy(path: Path, waiver_max_days: int | None = None) -> Policy | None:
    """The policy file's policy; the policy models load only when there is a file to read."""
    if not path.exists():
        return None
    from pytest_uok.core.policy import load_policy as load

    return load(path, waiver_max_days=waiver_max_days)


def _unreadable(path: Path) -> bool:
    try:
        with path.open("rb"):
            return False
    except OSError:
        return True


def configure_policy(config: pytest.Config) -> None:
    """Register the classification, protection and rerun plugins that this session needs."""
    config.addinivalue_line(
        "markers",
        "uok_suite(name): the suite of the test's file in the policy file (set by pytest-uok; "
        "select with -m \"uok_suite(name='unit')\" or --uok-suite unit)",
    )
    ctx = resolve_policy(config)
    pm = config.pluginmanager
    if ctx.policy is not None or ctx.error is not None:
        from pytest_uok.classification import ClassificationPlugin, suite_reporting

        pm.register(ClassificationPlugin(config, ctx), "uok-classification")
        reporting = suite_reporting(config) if ctx.policy is not None else None
        if reporting is not None:
            pm.register(reporting, "uok-suite-reports")
    # Always on: a conftest's pytest_uok_quarantine may quarantine tests without a policy file.
    protection = ProtectionPlugin(config, ctx)
    pm.register(protection, "uok-protection")
    new_tests, _ = options.raw_value(config, "uok_new_test_retries")
    if ctx.reruns or ctx.attempt_to_fix or new_tests:
        pm.register(RerunPlugin(ctx), "uok-reruns")
        protection.listen()  # each attempt's reports are decided there
