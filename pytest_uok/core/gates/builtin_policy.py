"""Built-in gates over the policy file's facts: suite_classification and waiver_lifecycle."""

from __future__ import annotations

from typing import Any

from pytest_uok.core.gates.facts import RunFacts
from pytest_uok.core.gates.result import FAIL, PASS, SKIP, WARN, BlockerFact, GateResult
from pytest_uok.core.wording import listing, plural

CLASSIFY = "pytest-uok classify --write"


def _strings(block: dict[str, Any], key: str) -> list[str]:
    value = block.get(key, [])
    if not isinstance(value, list):
        return []
    return [
        v
        if isinstance(v, str)
        else str(v.get("file") or v.get("path") or v)
        if isinstance(v, dict)
        else str(v)
        for v in value
    ]


def _fallback_classification(facts: RunFacts) -> dict[str, Any]:
    """Classify the run's files with the policy's ``[suite.NAME] files`` when the run recorded none."""
    files = {t.file for t in facts.tests}
    files |= {e.nodeid.split("::", 1)[0] for e in facts.summary.collection_errors if e.nodeid}
    unclassified, duplicates = [], []
    for file in sorted(files):
        suites = facts.suites_of_file(file)
        if not suites:
            unclassified.append(file)
        elif len(suites) > 1:
            duplicates.append(f"{file} (in {', '.join(suites)})")
    return {"unclassified": unclassified, "duplicates": duplicates, "stale": [], "unsorted": []}


def suite_classification(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """Every test file is in exactly one suite, with no stale entries; unsorted entries warn."""
    policy_path = facts.policy_path
    if facts.policy is None:
        return GateResult(
            FAIL,
            f"no policy file at {facts.display(policy_path)}; create one with `{CLASSIFY}`",
            reproduce_command=CLASSIFY,
            blockers=[BlockerFact("missing_policy", "no policy file", str(policy_path))],
        )
    block = facts.classification or _fallback_classification(facts)
    unclassified = _strings(block, "unclassified")
    stale = _strings(block, "stale")
    duplicates = _strings(block, "duplicates")
    unsorted = _strings(block, "unsorted")
    evidence = [str(policy_path), facts.shown("summary.json")]
    problems: list[str] = []
    blockers: list[BlockerFact] = []
    for names, label, kind in (
        (unclassified, "unclassified file", "unclassified"),
        (stale, "stale entry", "stale_classification"),
        (duplicates, "file in several suites", "duplicate_classification"),
    ):
        if names:
            problems.append(f"{plural(len(names), label)}: {listing(names)}")
            blockers.extend(BlockerFact(kind, label, n) for n in names)  # type: ignore[arg-type]
    if problems:
        return GateResult(
            FAIL, "; ".join(problems) + f" (fix with `{CLASSIFY}`)", evidence, CLASSIFY, blockers
        )
    if unsorted:
        return GateResult(
            WARN, f"{plural(len(unsorted), 'unsorted entry')}: {listing(unsorted)}", evidence, CLASSIFY
        )
    return GateResult(PASS, f"every test file is classified ({policy_path.name})", evidence)


def _policy_has_entries(facts: RunFacts) -> bool:
    policy = facts.policy or {}
    return bool(policy.get("waiver") or policy.get("quarantine"))


def waiver_lifecycle(facts: RunFacts, options: dict[str, Any]) -> GateResult:
    """No expired or invalid waiver or quarantine; expiring and stale ones warn."""
    audit = facts.waiver_audit
    if audit is None:
        if facts.policy is not None and _policy_has_entries(facts):
            return GateResult(
                SKIP,
                "the policy file has waivers or quarantines, but no waiver_audit.json was "
                "written for this run",
            )
        return GateResult(PASS, "no waivers or quarantines")
    entries = (
        [e for e in audit.get("entries", []) if isinstance(e, dict)]
        if isinstance(audit.get("entries"), list)
        else []
    )
    by_state: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_state.setdefault(str(entry.get("state", "invalid")), []).append(entry)

    def names(state: str) -> list[str]:
        return [
            f"{e.get('kind', 'waiver')} {e.get('id') or e.get('target')}" for e in by_state.get(state, [])
        ]

    evidence = [facts.shown("waiver_audit.json")]
    bad = names("expired") + names("invalid")
    if bad:
        blockers = [
            BlockerFact(
                "expired_waiver" if state == "expired" else "invalid_waiver",
                str(e.get("reason") or state),
                str(e.get("id") or e.get("target")),
            )
            for state in ("expired", "invalid")
            for e in by_state.get(state, [])
        ]
        return GateResult(
            FAIL, f"{plural(len(bad), 'entry')} expired or invalid: {listing(bad)}", evidence, None, blockers
        )
    soon = names("expiring") + names("stale")
    if soon:
        return GateResult(WARN, f"{plural(len(soon), 'entry')} expiring or stale: {listing(soon)}", evidence)
    return GateResult(
        PASS,
        f"{plural(len(entries), 'waiver or quarantine entry')}, all valid"
        if entries
        else "no waivers or quarantines",
        evidence,
    )
