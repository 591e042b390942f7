"""Failure classification and the failure digest: why each failure happened and how to replay it."""

from __future__ import annotations

import re
from typing import Any

from pytest_uok.core.commands import Launcher
from pytest_uok.core.models.digest import (
    FailureDigest,
    FailureEntry,
    FirstFailingAssertion,
    OutputExcerpts,
    RemediationPointer,
    RootCauseClass,
)
from pytest_uok.core.outcomes import PROTECTED_OUTCOMES
from pytest_uok.core.records import CollectionFailure, TestRecord
from pytest_uok.core.redact import Redactor

TIMEOUT_TYPES = frozenset({"Timeout", "TimeoutError", "FunctionTimedOut", "TimeoutExpired"})
_CRASH = re.compile(r"worker '?[\w-]+'? crashed|crashed while running|Fatal Python error")
_PARAM_ID = re.compile(r"\[(.*)\]$")


def classify(
    phase: str | None,
    exc_type: str | None,
    message: str,
    longrepr: str,
    failed_subtests: int = 0,
) -> RootCauseClass:
    """The most likely root cause class of a failure from its phase, exception and text."""
    if _CRASH.search(longrepr) or _CRASH.search(message):
        return "crash"
    if exc_type in TIMEOUT_TYPES or (exc_type == "Failed" and message.lstrip().startswith("Timeout")):
        return "timeout"
    if phase == "setup":
        return "setup_error"
    if phase == "teardown":
        return "teardown_error"
    if "[XPASS(strict)]" in longrepr or "XPASS(strict)" in message:
        return "xpass_strict"
    if exc_type is None and failed_subtests:
        return "subtest_failure"
    if exc_type == "AssertionError" or (exc_type or "").endswith("AssertionError"):
        return "assertion_failure"
    return "exception"


def scenario_ids(nodeid: str, subtest_failures: list[str]) -> list[str]:
    """What a failure touches beyond its node id: its parametrize id and failed subtests."""
    ids: list[str] = []
    match = _PARAM_ID.search(nodeid)
    if match:
        ids.append(match.group(1))
    ids.extend(subtest_failures)
    return ids


def _first_assertion(facts: dict[str, Any], redactor: Redactor) -> FirstFailingAssertion | None:
    where = facts.get("where")
    if not where:
        return None
    message, _ = redactor.excerpt(str(where.get("message", "")), 1024)
    return FirstFailingAssertion(path=str(where["path"]), line=int(where["line"]), message=message)


def _excerpts(facts: dict[str, Any], redactor: Redactor) -> OutputExcerpts:
    parts = {}
    truncated = False
    for key in ("longrepr", "stdout", "stderr", "log"):
        text, cut = redactor.excerpt(str(facts.get(key) or ""))
        parts[key] = text
        truncated = truncated or cut
    return OutputExcerpts(truncated=truncated, **parts)


def failure_entry(
    rec: TestRecord, launcher: Launcher, runner_command: str, redactor: Redactor
) -> FailureEntry:
    facts = rec.failure or {}
    phase = rec.phase
    failed_subtests = rec.subtests.failures if rec.subtests else []
    root = classify(
        phase,
        facts.get("exc_type"),
        str(facts.get("message") or ""),
        str(facts.get("longrepr") or ""),
        len(failed_subtests),
    )
    targeted = launcher.test_command([rec.nodeid])
    # --uok-rerun-from replays unprotected failures only: a protected one is replayed by its id.
    protected = rec.outcome in PROTECTED_OUTCOMES
    return FailureEntry(
        nodeid=rec.nodeid,
        suite=rec.suite,
        outcome=rec.outcome,
        phase=phase,
        root_cause_class=root,
        exception_type=facts.get("exc_type"),
        impacted_scenario_ids=scenario_ids(rec.nodeid, failed_subtests),
        first_failing_assertion=_first_assertion(facts, redactor),
        remediation_pointer=RemediationPointer(
            replay_command=targeted if protected else runner_command,
            suite_replay_command=launcher.test_command([rec.file]),
            targeted_test_replay_command=targeted,
        ),
        excerpts=_excerpts(facts, redactor),
        extra=dict(facts.get("extra") or {}),
    )


def collection_entry(
    failure: CollectionFailure, launcher: Launcher, runner_command: str, redactor: Redactor
) -> FailureEntry:
    facts = {"longrepr": failure.message, **failure.facts}
    file = failure.nodeid.split("::", 1)[0]
    return FailureEntry(
        nodeid=failure.nodeid,
        outcome="error",
        phase=None,
        root_cause_class="collection_error",
        exception_type=facts.get("exc_type"),
        first_failing_assertion=_first_assertion(facts, redactor),
        remediation_pointer=RemediationPointer(
            replay_command=runner_command,
            suite_replay_command=launcher.test_command([file] if file else []),
            targeted_test_replay_command=launcher.test_command([failure.nodeid] if file else []),
        ),
        excerpts=_excerpts(facts, redactor),
    )


def build_digest(
    run_id: str,
    failed: list[TestRecord],
    collection_failures: list[CollectionFailure],
    launcher: Launcher,
    runner_command: str,
    redactor: Redactor,
) -> FailureDigest:
    entries = [collection_entry(c, launcher, runner_command, redactor) for c in collection_failures]
    entries.extend(failure_entry(r, launcher, runner_command, redactor) for r in failed)
    return FailureDigest(run_id=run_id, failures=entries)
