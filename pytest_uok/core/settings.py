"""The plugin's settings, resolved once per session into a frozen object, and their parsers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Where the policy file lives when no option names one, relative to the rootdir.
DEFAULT_POLICY = "tests/suite_classification.toml"


@dataclass(frozen=True)
class Settings:
    """Every option after precedence (command line > environment > ini > default) was applied."""

    out_dir: Path
    artifacts: bool = True
    rerun_from: Path | None = None
    excerpt_chars: int = 4096
    checkpoint_s: float = 30.0
    gate: bool = False
    pushgateway: str | None = None
    pushgateway_job: str = "pytest-uok"
    pushgateway_timeout_s: float = 5.0


def parse_int(value: str, what: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number within bounds, or ValueError with a sentence saying what was wrong."""
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, got {value!r}") from None
    if maximum is not None and not minimum <= number <= maximum:
        raise ValueError(f"{what} must be between {minimum} and {maximum}, got {number}")
    if number < minimum:
        least = "zero or more" if minimum == 0 else f"at least {minimum}"
        raise ValueError(f"{what} must be {least}, got {number}")
    return number


def parse_positive_int(value: str, what: str) -> int:
    """An integer >= 1, or ValueError with a sentence saying what was wrong."""
    return parse_int(value, what, minimum=1)


def parse_non_negative_int(value: str, what: str) -> int:
    """An integer >= 0, or ValueError with a sentence saying what was wrong."""
    return parse_int(value, what, minimum=0)


def parse_non_negative_float(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} must be a number of seconds, got {value!r}") from None
    if number < 0 or number != number:
        raise ValueError(f"{what} must be zero or more, got {value!r}")
    return number


def parse_bool(value: str, what: str) -> bool:
    low = value.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{what} must be true or false, got {value!r}")


def parse_gateway_url(value: str, what: str) -> str:
    """A Pushgateway address: ``http(s)://host[:port][/path]`` or ``host:port``."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    if scheme.lower() not in ("http", "https"):
        raise ValueError(f"{what} must be an http:// or https:// address, got {value!r}")
    host = rest.split("/", 1)[0]
    if not host or any(c.isspace() for c in text):
        raise ValueError(f"{what} must name a host, like http://localhost:9091, got {value!r}")
    return text


def parse_positive_float(value: str, what: str) -> float:
    number = parse_non_negative_float(value, what)
    if number == 0:
        raise ValueError(f"{what} must be more than zero, got {value!r}")
    return number


def parse_factor(value: str, what: str) -> float:
    """A ratio greater than 1, e.g. ``2`` for "twice as long"."""
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not number > 1 or number == float("inf"):
        raise ValueError(f"{what} must be more than 1 (e.g. 2 for twice as long), got {value!r}")
    return number
