"""The policy file: suites, profiles, quarantine entries and waivers, parsed and strictly validated."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.sanitize import printable
from pytest_uok.core.settings import DEFAULT_POLICY as DEFAULT_POLICY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

#: The first line of a policy file created by ``pytest-uok classify --write`` or ``quarantine add``.
NEW_FILE_HEADER = "# Test suites, quarantined tests and waivers: reviewed like code (docs/policy.md).\n\n"


#: The flaky-test taxonomy, each category with the kind of cause it stands for.
TAXONOMY: dict[str, str] = {
    "FLAKE-TIMING": "timeouts, sleeps, races and ordering between threads or processes",
    "FLAKE-ENV": "depends on the machine: environment variables, files, locale, permissions",
    "FLAKE-NET": "network: connections refused or reset, DNS, sockets",
    "FLAKE-RES": "resources exhausted: memory, file descriptors, disk, ports",
    "FLAKE-EXT": "an external service misbehaving: 5xx answers, rate limits, sandboxes",
    "FLAKE-LOGIC": "the test or code has order- or state-dependent logic",
}
Category = Literal["FLAKE-TIMING", "FLAKE-ENV", "FLAKE-NET", "FLAKE-RES", "FLAKE-EXT", "FLAKE-LOGIC"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

#: Longest key, name or value quoted in an error: a crafted or garbled file can hold megabytes.
MAX_SHOWN = 60
#: Most problems one error lists, and the length the list stops growing at; the rest are counted.
MAX_LISTED_PROBLEMS = 20
MAX_LISTED_CHARS = 2000


def shown(value: Any) -> str:
    """A value of the file quoted for an error message: printable and bounded."""
    return f"'{_key(value)}'"


def _key(value: Any) -> str:
    return printable(str(value), MAX_SHOWN)


def _names(names: Any) -> str:
    listed = [_key(n) for n in sorted(names)]
    if len(listed) > 10:
        listed[10:] = [f"and {len(listed) - 10} more"]
    return ", ".join(listed) or "none defined"


def _to_date(value: Any) -> Any:
    # TOML has native dates; a quoted "YYYY-MM-DD" is accepted too because people write both.
    if isinstance(value, datetime):
        raise ValueError("a date without a time is expected, e.g. 2026-11-30")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if not _DATE_RE.match(value.strip()):
            raise ValueError(f"{shown(value)} is not a date; write YYYY-MM-DD, e.g. 2026-11-30")
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{shown(value)} is not a real date ({exc})") from None
    raise ValueError(f"a date is expected (YYYY-MM-DD), got {type(value).__name__}")


def _category(value: Any) -> Any:
    if isinstance(value, str) and value not in TAXONOMY:
        raise ValueError(f"unknown category {shown(value)}; use one of {', '.join(TAXONOMY)}")
    return value


Day = Annotated[date, BeforeValidator(_to_date)]
Text = Annotated[str, Field(min_length=1)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SuiteSpec(_Table):
    """``[suite.NAME]``: the test files (paths, folders or glob patterns) that form one suite."""

    description: str = ""
    files: list[Text] = Field(default_factory=list)


class ProfileSpec(_Table):
    """``[profile.NAME]``: a named selection of suites, e.g. ``quick`` = unit only."""

    description: str = ""
    suites: list[Text] = Field(min_length=1)


class QuarantineEntry(_Table):
    """One ``[[quarantine]]`` entry: a known-flaky test that still runs but cannot fail the run."""

    test: Text = Field(description="a node id, a file, or a pattern with * over node ids")
    category: Annotated[Category, BeforeValidator(_category)]
    owner: Text
    issue: Text
    reason: Text
    added: Day
    expires: Day


class WaiverEntry(_Table):
    """One ``[[waiver]]`` entry: a time-boxed, owned exception to a failing test or a gate."""

    id: Text
    target: Text = Field(description="a test node id / pattern, or a gate id")
    owner: Text
    reason: Text
    issue: Text
    created: Day
    expires: Day


class PolicySettings(_Table):
    """``[settings]``: limits that apply to the whole file."""

    waiver_max_days: int = Field(default=30, ge=1, le=365)
    expiring_days: int = Field(default=7, ge=0, le=365)
    quarantine_days: int = Field(default=30, ge=1, le=365)


class Policy(_Table):
    """The whole policy file. ``gates`` and ``command_gate`` are kept raw for the gate code."""

    settings: PolicySettings = Field(default_factory=PolicySettings)
    suite: dict[str, SuiteSpec] = Field(default_factory=dict)
    profile: dict[str, ProfileSpec] = Field(default_factory=dict)
    quarantine: list[QuarantineEntry] = Field(default_factory=list)
    waiver: list[WaiverEntry] = Field(default_factory=list)
    gates: dict[str, Any] = Field(default_factory=dict)
    command_gate: list[dict[str, Any]] = Field(default_factory=list)
    #: The file this policy was read from (not a TOML key).
    source: str = Field(default="", exclude=True)


# -- error texts -----------------------------------------------------------------------------


#: The field that names an entry of a list section in error messages.
_LABEL_KEY = {"quarantine": "test", "waiver": "id"}


def _entry_label(section: str, index: int, label: Any) -> str:
    """``[[waiver]] entry 2 (id = 'W-1')``: how errors point at one entry of a list section."""
    named = f" ({_LABEL_KEY[section]} = {shown(label)})" if isinstance(label, str) and label else ""
    return f"[[{section}]] entry {index + 1}{named}"


def _entry_name(data: dict[str, Any], section: str, index: int) -> str:
    try:
        item = data[section][index]
    except (KeyError, IndexError, TypeError):
        item = None
    label = item.get(_LABEL_KEY[section]) if isinstance(item, dict) else None
    return _entry_label(section, index, label)


def _where(data: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[str, str]:
    """The entry (table) and the field a pydantic location points at."""
    if not loc:
        return "the file", ""
    head = str(loc[0])
    rest = loc[1:]
    fields = ".".join(_key(p) for p in rest[1:] if not isinstance(p, int))
    if head in ("quarantine", "waiver") and rest and isinstance(rest[0], int):
        return _entry_name(data, head, rest[0]), fields
    if head in ("suite", "profile") and rest:
        return f"[{head}.{_key(rest[0])}]", fields
    if head == "settings":
        return "[settings]", ".".join(_key(p) for p in rest)
    if not rest:
        return "the top level", _key(head)
    return f"[{_key(head)}]", ".".join(_key(p) for p in rest)


def _message(problem: Any) -> str:
    kind = problem["type"]
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling"
    if kind == "missing":
        return "required field missing"
    if kind in ("model_type", "dict_type"):
        # pydantic names the model class; the user wrote TOML.
        return f"must be a table, got {_toml_type(problem.get('input'))}"
    if kind == "list_type":
        return f"must be a list, got {_toml_type(problem.get('input'))}"
    msg = str(problem["msg"])
    return msg.removeprefix("Value error, ")


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"the string {shown(value)}"
    if isinstance(value, (date, datetime)):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _problems_from(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    out = []
    for problem in exc.errors(include_url=False):
        loc = tuple(problem["loc"])
        # A list index inside a field (files[2]) says which value, not which field.
        value_index = next((p for p in loc[2:] if isinstance(p, int)), None)
        entry, field = _where(data, loc)
        if problem["type"] == "extra_forbidden" and loc:
            field = _key(loc[-1])
        where = f"{entry}, field '{field}'" if field else entry
        if value_index is not None and loc[0] in ("suite", "profile"):
            where += f" (value {value_index + 1})"
        out.append(f"{where}: {_message(problem)}")
    return out


# -- checks across entries -------------------------------------------------------------------


def _cross_checks(policy: Policy, max_days: int) -> list[str]:
    problems: list[str] = []
    owner_of: dict[str, str] = {}
    for name, suite in policy.suite.items():
        table = f"[suite.{_key(name)}]"
        if not _NAME_RE.match(name):
            problems.append(f"{table}: suite names start with a letter and hold letters, digits, - or _")
        seen: set[str] = set()
        for entry in suite.files:
            norm = normalize_entry(entry)
            if norm in seen:
                problems.append(f"{table}, field 'files': duplicate entry {shown(entry)}; remove one")
                continue
            seen.add(norm)
            if norm in owner_of:
                problems.append(
                    f"{table}, field 'files': {shown(entry)} is already in [suite.{_key(owner_of[norm])}]; "
                    "a file belongs to exactly one suite"
                )
            else:
                owner_of[norm] = name
    for name, profile in policy.profile.items():
        for suite_name in profile.suites:
            if suite_name not in policy.suite:
                problems.append(
                    f"[profile.{_key(name)}], field 'suites': unknown suite {shown(suite_name)} "
                    f"(suites: {_names(policy.suite)})"
                )
    tests: set[str] = set()
    for i, q in enumerate(policy.quarantine):
        where = _entry_label("quarantine", i, q.test)
        if q.test in tests:
            problems.append(f"{where}, field 'test': duplicate entry; this test is already quarantined")
        tests.add(q.test)
        if q.expires < q.added:
            problems.append(f"{where}, field 'expires': {q.expires} is before added ({q.added})")
    ids: set[str] = set()
    for i, w in enumerate(policy.waiver):
        where = _entry_label("waiver", i, w.id)
        if w.id in ids:
            problems.append(f"{where}, field 'id': duplicate waiver id; ids must be unique")
        ids.add(w.id)
        days = (w.expires - w.created).days
        if days < 0:
            problems.append(f"{where}, field 'expires': {w.expires} is before created ({w.created})")
        elif days > max_days:
            problems.append(
                f"{where}, field 'expires': the waiver lasts {days} days, more than the {max_days} "
                f"allowed (uok_waiver_max_days); set expires to {_plus(w.created, max_days)} "
                "or earlier"
            )
    return problems


def _plus(day: date, days: int) -> date:
    return date.fromordinal(day.toordinal() + days)


def normalize_entry(entry: str) -> str:
    """A file entry as compared for duplicates: forward slashes, no leading ./, no trailing /."""
    text = entry.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.rstrip("/") or text


# -- loading ---------------------------------------------------------------------------------


def _fail(path: Path | str, problems: list[str]) -> UokInputError:
    if len(problems) == 1:
        return UokInputError(f"policy file {path}: {problems[0]}.")
    lines: list[str] = []
    for problem in problems:
        if len(lines) == MAX_LISTED_PROBLEMS or sum(map(len, lines)) + len(problem) > MAX_LISTED_CHARS:
            lines.append(f"  - and {len(problems) - len(lines)} more; fix these and run again")
            break
        lines.append(f"  - {problem}")
    listed = "\n".join(lines)
    return UokInputError(f"policy file {path} has {len(problems)} problems:\n{listed}")


def _too_deep(source: Path | str) -> UokInputError:
    return UokInputError(f"policy file {source} is nested too deeply to be a policy file.")


def parse_toml(text: str, source: Path | str) -> dict[str, Any]:
    """The TOML document in the text of a policy file; UokInputError says where the syntax breaks."""
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UokInputError(
            f"policy file {source} is not valid TOML: {exc}. Fix the syntax at that place."
        ) from None
    except RecursionError:
        raise _too_deep(source) from None
    return document


def parse_policy(text: str, source: Path | str, waiver_max_days: int | None = None) -> Policy:
    """Validate the text of a policy file; UokInputError lists every problem it has."""
    data = parse_toml(text, source)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise _fail(source, _problems_from(exc, data)) from None
    except RecursionError:
        raise _too_deep(source) from None
    max_days = waiver_max_days if waiver_max_days is not None else policy.settings.waiver_max_days
    problems = _cross_checks(policy, max_days)
    if problems:
        raise _fail(source, problems)
    return policy.model_copy(update={"source": str(source)})


def read_policy_text(path: Path) -> str:
    """The text of a policy file, or UokInputError when it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8")
    except IsADirectoryError:
        raise UokInputError(f"policy file {path} is a folder, not a TOML file.") from None
    except UnicodeDecodeError as exc:
        raise UokInputError(f"policy file {path} is not UTF-8 text (byte {exc.start}).") from None
    except OSError as exc:
        raise UokInputError(f"policy file {path} cannot be read: {exc.strerror or exc}.") from None


def read_policy_document(path: Path) -> dict[str, Any] | None:
    """The policy file's TOML as a plain document (no policy validation); None when it does not exist."""
    if not path.exists():
        return None
    return parse_toml(read_policy_text(path), path)


def load_policy(path: Path | str, waiver_max_days: int | None = None) -> Policy | None:
    """The policy in ``path``; None when the file does not exist; UokInputError when it is bad.

    ``waiver_max_days`` overrides the file's ``[settings] waiver_max_days``.
    """
    path = Path(path)
    if not path.exists():
        return None
    return parse_policy(read_policy_text(path), path, waiver_max_days)
