"""The facts gates decide on: a run's artifacts read back from its folder, loaded once, on demand."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_uok.core.classify import SuiteMatcher
from pytest_uok.core.errors import UokInputError
from pytest_uok.core.gates import validated
from pytest_uok.core.gates.result import GateArtifactError
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.models.triage import TriageDiff
from pytest_uok.core.policy import DEFAULT_POLICY, read_policy_document
from pytest_uok.core.quarantine import target_regex
from pytest_uok.core.readback import (
    load_artifact,
    load_baseline,
    parse_artifact,
    read_bytes,
    read_json_object,
    resolve_input,
)
from pytest_uok.core.runview import SUMMARY, TestFacts
from pytest_uok.core.summary_file import WrittenSummary
from pytest_uok.core.triage import TRIAGE_DIFF, DiffInputs, diff, snapshot_of


def suite_patterns(policy: dict[str, Any] | None) -> dict[str, list[str]]:
    """``{suite: [path or glob, ...]}`` from a parsed policy document's ``[suite.NAME]`` tables."""
    suites = (policy or {}).get("suite", {})
    if not isinstance(suites, dict):
        return {}
    out: dict[str, list[str]] = {}
    for name, table in suites.items():
        files = table.get("files", []) if isinstance(table, dict) else []
        out[str(name)] = [str(f) for f in files] if isinstance(files, list) else []
    return out


class RunFacts:
    """A run's artifacts in ``out_dir`` plus the policy file, read lazily and cached.

    Properties a gate cannot do without raise GateArtifactError, which the runner retries and
    finally turns into manual-attention; optional facts are None when absent. ``written`` is
    the summary in memory of the session that wrote the folder (see WrittenSummary).
    """

    def __init__(
        self,
        out_dir: Path,
        policy_path: Path | None = None,
        baseline_dir: Path | None = None,
        gate_command: str | None = None,
        written: WrittenSummary | None = None,
    ) -> None:
        self.out_dir = out_dir
        self._policy_path = policy_path
        self.baseline_dir = baseline_dir
        # A baseline comparison reads the tests from the summary model: it needs the file's.
        self._written = written if baseline_dir is None else None
        #: The command that gates this folder again, e.g. ``pytest-uok gate .uok``.
        self.gate_command = gate_command or shlex.join(["pytest-uok", "gate", str(out_dir)])

    # -- artifacts ----------------------------------------------------------------------

    def path(self, name: str) -> Path:
        return self.out_dir / name

    def shown(self, name: str) -> str:
        """An artifact path as evidence: the folder as given, then the file."""
        return str(self.out_dir / name)

    @cached_property
    def summary(self) -> Summary:
        """summary.json's model; read from the session's memory, its ``tests`` stay empty (see ``tests``)."""
        path = self.path("summary.json")
        written = self._written
        if written is not None:
            # What the session wrote, validated as it was dumped: the evidence gate checks the
            # file against this digest instead of validating 10,000 entries again.
            validated.remember(path, written.sha256, (Summary.SCHEMA_ID, ""))
            return written.summary
        try:
            raw = read_bytes(path)
            summary = parse_artifact(path, raw, Summary)
        except UokInputError as exc:
            raise GateArtifactError(exc.message) from None
        validated.remember_valid(path, raw, Summary.SCHEMA_ID)
        return summary

    @property
    def tests(self) -> Sequence[TestFacts]:
        """summary.json's test entries."""
        if self._written is not None:
            return self._written.tests
        return self.summary.tests

    @cached_property
    def summary_raw(self) -> dict[str, Any]:
        """summary.json as a plain object, without its tests, for fields added by other concerns."""
        # From the validated model (which forbids unknown fields): the file is not read again.
        raw: dict[str, Any] = self.summary.model_dump(mode="json", by_alias=True, exclude={"tests"})
        return raw

    def optional(self, name: str) -> dict[str, Any] | None:
        """An optional artifact as a plain object; None when absent, GateArtifactError when corrupt."""
        path = self.path(name)
        if not path.exists():
            return None
        try:
            return read_json_object(path)
        except UokInputError as exc:
            raise GateArtifactError(exc.message) from None

    @cached_property
    def waiver_audit(self) -> dict[str, Any] | None:
        return self.optional("waiver_audit.json")

    @cached_property
    def baseline_summary(self) -> dict[str, Any] | None:
        if self.baseline_dir is None:
            return None
        try:
            return read_json_object(resolve_input(self.baseline_dir, (SUMMARY,)))
        except UokInputError as exc:
            raise GateArtifactError(exc.message) from None

    @cached_property
    def triage(self) -> TriageDiff | None:
        """The comparison with the baseline: made now when one was given, else triage_diff.json."""
        if self.baseline_dir is not None:
            try:
                file, baseline = load_baseline(self.baseline_dir)
            except UokInputError as exc:
                raise GateArtifactError(exc.message) from None
            inputs = DiffInputs(command=lambda ids: self.pytest_command(*ids), path=str(file))
            return diff(snapshot_of(baseline), snapshot_of(self.summary), inputs)
        path = self.path(TRIAGE_DIFF)
        if not path.exists():
            return None
        try:
            return load_artifact(path, TriageDiff)
        except UokInputError as exc:
            raise GateArtifactError(exc.message) from None

    # -- policy -------------------------------------------------------------------------

    @property
    def policy_path(self) -> Path:
        """The policy file the run used: the summary's record of it, or the configured/default one."""
        classification = self.classification
        if classification and classification.get("policy_path"):
            recorded = Path(str(classification["policy_path"]))
            return recorded if recorded.is_absolute() else Path(self.summary.rootdir) / recorded
        if self._policy_path is not None:
            return self._policy_path
        return Path(self.summary.rootdir) / DEFAULT_POLICY

    @cached_property
    def policy(self) -> dict[str, Any] | None:
        """The parsed policy file, None when there is none."""
        try:
            return read_policy_document(self.policy_path)
        except UokInputError as exc:
            raise GateArtifactError(exc.message) from None

    @property
    def classification(self) -> dict[str, Any] | None:
        block = self.summary_raw.get("classification")
        return block if isinstance(block, dict) else None

    # -- derived ------------------------------------------------------------------------

    @cached_property
    def _suite_matcher(self) -> SuiteMatcher:
        return SuiteMatcher(suite_patterns(self.policy))

    def suites_of_file(self, file: str) -> list[str]:
        """The suites whose entries cover ``file``, matched as the plugin matches them."""
        return list(self._suite_matcher.suites_for(file))

    def suite_of(self, test: TestFacts) -> str | None:
        """The test's suite as recorded, or as the policy file's suite tables say."""
        if test.suite:
            return test.suite
        found = self.suites_of_file(test.file)
        return found[0] if len(found) == 1 else None

    @cached_property
    def quarantined_targets(self) -> set[str]:
        """Node ids (or files) protected by a quarantine that still holds."""
        audit = self.waiver_audit or {}
        out: set[str] = set()
        for entry in audit.get("entries", []) if isinstance(audit.get("entries"), list) else []:
            if (
                isinstance(entry, dict)
                and entry.get("kind") == "quarantine"
                and entry.get("state") in ("valid", "expiring")
            ):
                out.add(str(entry.get("target", "")))
        return out

    @cached_property
    def _quarantine_regexes(self) -> list[re.Pattern[str]]:
        return [target_regex(t) for t in sorted(self.quarantined_targets)]

    def is_quarantined(self, nodeid: str) -> bool:
        """Whether a quarantine that still holds covers ``nodeid`` (node id, prefix or * pattern)."""
        return any(regex.match(nodeid) for regex in self._quarantine_regexes)

    def display(self, path: Path) -> str:
        """A path as the user sees it: relative to the run's rootdir when it lies below it."""
        try:
            return str(path.relative_to(self.summary.rootdir))
        except (ValueError, GateArtifactError):
            return str(path)

    def pytest_command(self, *args: str) -> str:
        """A pytest command run from the run's rootdir."""
        return shlex.join(["pytest", *args])

    def gate_reproduce(self, gate_id: str) -> str:
        """The command that evaluates one gate again over this folder."""
        return f"{self.gate_command} --only {shlex.quote(gate_id)}"
