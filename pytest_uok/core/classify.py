"""Suite classification: which suite each test file belongs to, and what the policy misses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from pytest_uok.core.policy import Policy, normalize_entry

_GLOB_CHARS = frozenset("*?[")

#: Markers (or path parts) that suggest a suite when ``pytest-uok classify`` proposes one.
SUITE_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("e2e", ("e2e", "end_to_end", "browser", "playwright", "selenium", "acceptance", "system")),
    ("vcr", ("vcr", "cassette", "cassettes", "recorded", "integration")),
    ("unit", ("unit",)),
)


def is_pattern(entry: str) -> bool:
    return any(c in _GLOB_CHARS for c in entry)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a path glob: ``*`` and ``?`` stay within one folder, ``**`` crosses folders."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


class _Rule:
    __slots__ = ("entry", "prefix", "regex", "suite")

    def __init__(self, suite: str, entry: str) -> None:
        self.suite = suite
        self.entry = normalize_entry(entry)
        self.regex = glob_regex(self.entry) if is_pattern(self.entry) else None
        # A plain entry names a file or a folder; a folder covers everything beneath it.
        self.prefix = self.entry + "/"

    def matches(self, file: str) -> bool:
        if self.regex is not None:
            return self.regex.match(file) is not None
        return file == self.entry or file.startswith(self.prefix)


class SuiteMatcher:
    """Finds the suites whose entries match a test file path (relative to the rootdir).

    Built from a validated policy, or from ``{suite: [entry, ...]}`` read straight from a
    policy document (the gates judge runs whose policy they do not validate).
    """

    def __init__(self, suites: Policy | Mapping[str, Sequence[str]]) -> None:
        if isinstance(suites, Policy):
            suites = {name: suite.files for name, suite in suites.suite.items()}
        self.rules = [_Rule(name, entry) for name, entries in suites.items() for entry in entries]
        self._cache: dict[str, list[str]] = {}

    def suites_for(self, file: str) -> list[str]:
        file = normalize_entry(file)
        found = self._cache.get(file)
        if found is None:
            found = []
            for rule in self.rules:
                if rule.suite not in found and rule.matches(file):
                    found.append(rule.suite)
            self._cache[file] = found
        return found


@dataclass
class ClassificationReport:
    """What the policy says about the files of a run (plain data for the summary)."""

    unclassified: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unsorted: list[str] = field(default_factory=list)


def stale_entries(policy: Policy, rootdir: Path) -> list[str]:
    """Entries naming no existing file: ``suite.NAME: entry`` for each, in file order."""
    return [f"suite.{name}: {entry}" for name, entry in stale_pairs(policy, rootdir)]


def stale_pairs(policy: Policy, rootdir: Path) -> list[tuple[str, str]]:
    """(suite, entry) for every entry naming no existing file, in file order."""
    out = []
    walked: dict[Path, list[str]] = {}
    for name, suite in policy.suite.items():
        for entry in suite.files:
            norm = normalize_entry(entry)
            if is_pattern(norm):
                regex = glob_regex(norm)
                anchor = norm.split("/")
                base_parts = []
                for part in anchor:
                    if is_pattern(part):
                        break
                    base_parts.append(part)
                base = rootdir.joinpath(*base_parts) if base_parts else rootdir
                if base not in walked:
                    # Several patterns usually share a folder: walk each folder once.
                    walked[base] = [p.relative_to(rootdir).as_posix() for p in _walk(base)]
                found = any(regex.match(p) for p in walked[base])
            else:
                found = (rootdir / norm).exists()
            if not found:
                out.append((name, entry))
    return out


def _walk(base: Path) -> Iterable[Path]:
    if not base.exists():
        return
    if base.is_file():
        yield base
        return
    for path in base.rglob("*"):
        if path.is_file() and ".git" not in path.parts and "__pycache__" not in path.parts:
            yield path


def unsorted_entries(policy: Policy) -> list[str]:
    """Suites whose files are not in alphabetical order: ``suite.NAME: entry`` at the first slip."""
    out = []
    for name, suite in policy.suite.items():
        entries = suite.files
        for before, after in pairwise(entries):
            if normalize_entry(after) < normalize_entry(before):
                out.append(f"suite.{name}: {after} (should come before {before})")
                break
    return out


def classify(policy: Policy, files_to_suites: Mapping[str, list[str]], rootdir: Path) -> ClassificationReport:
    """Unclassified and doubly classified files, stale and unsorted entries."""
    report = ClassificationReport()
    for file in sorted(files_to_suites):
        suites = files_to_suites[file]
        if not suites:
            report.unclassified.append(file)
        elif len(suites) > 1:
            report.duplicates.append(f"{file}: {', '.join(suites)}")
    report.stale = stale_entries(policy, rootdir)
    report.unsorted = unsorted_entries(policy)
    return report


def propose_suite(file: str, markers: Iterable[str], known: Iterable[str]) -> str:
    """A suite for an unclassified file, guessed from its markers first and then its path."""
    known_set = set(known)
    marks = {m.lower() for m in markers}
    parts = {p.lower().removesuffix(".py") for p in re.split(r"[/_.-]", file)}
    for source in (marks, parts):
        for name in sorted(known_set):
            if name.lower() in source:
                return name
        for suite, hints in SUITE_HINTS:
            if source.intersection(hints) and (suite in known_set or not known_set):
                return suite
    return "unit" if "unit" in known_set or not known_set else sorted(known_set)[0]
