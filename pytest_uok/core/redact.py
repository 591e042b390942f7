"""Bounding and redacting text copied from a test run into artifacts."""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Environment variable names whose values are treated as secrets.
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|(^|_)PASS($|_)|KEY($|_)|CREDENTIAL|AUTH|COOKIE|SESSION|"
    r"PRIVATE|SIGNATURE|(^|_)PAT($|_)|DSN|CONN(ECTION)?_?STR",
    re.IGNORECASE,
)

#: Shapes of secrets that are recognisable without knowing the environment.
SECRET_SHAPES = re.compile(
    r"(?P<pem>-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$))"
    r"|(?P<aws>\b(AKIA|ASIA)[0-9A-Z]{16}\b)"
    r"|(?P<gh>\bgh[pousr]_[A-Za-z0-9]{30,}\b)"
    r"|(?P<slack>\bxox[abprs]-[A-Za-z0-9-]{10,}\b)"
    r"|(?P<jwt>\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b)"
    r"|(?P<bearer>(?i:bearer)\s+[A-Za-z0-9._~+/=-]{12,})"
    r"|(?P<kvkey>(?i:password|passwd|secret|token|api[_-]?key|access[_-]?key|auth)"
    r"[\"']?\s*[:=]\s*[\"']?)(?P<kvval>[^\s\"',;]{4,})"
    r"|(?P<url>\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@)"
)

#: Characters kept beyond an excerpt's ends while redacting it: longer than any secret shape.
REDACTION_MARGIN = 8192

#: Values shorter than this are not redacted from output: too likely to be ordinary words.
MIN_SECRET_LENGTH = 6

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


class Redactor:
    """Removes secret values (from the environment and by shape) from text and bounds its size."""

    def __init__(self, environ: Mapping[str, str], max_chars: int = 4096) -> None:
        self.max_chars = max_chars
        values = sorted(
            {v for k, v in environ.items() if is_secret_name(k) and len(v) >= MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )
        self._secret_values = values
        self._values = re.compile("|".join(map(re.escape, values))) if values else None

    def redact(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub("[REDACTED]", text)
        return SECRET_SHAPES.sub(_shape_replacement, text)

    def scrub(self, text: str) -> str:
        """``text`` without the secret environment values: the last pass over a whole artifact.

        Only exact values are replaced (by ``[REDACTED]``, which needs no JSON escaping), so
        serialized JSON stays valid; a plain substring test first keeps the usual case cheap.
        """
        if self._values is None or not any(v in text for v in self._secret_values):
            return text
        return self._values.sub("[REDACTED]", text)

    def excerpt(self, text: str, max_chars: int | None = None) -> tuple[str, bool]:
        """Redacted, control-character-free text, cut in the middle to at most ``max_chars``.

        Redaction happens before cutting, so a secret straddling the cut is never half-kept.
        Returns the text and whether it was truncated.
        """
        if not text:
            return "", False
        limit = self.max_chars if max_chars is None else max_chars
        head = (limit * 2) // 3
        tail = limit - head
        if len(text) > limit + 2 * REDACTION_MARGIN:
            # Megabytes of output: redact only the two ends that can be kept, each with a
            # margin wider than any secret, instead of scanning all of it (seconds per MB).
            first = self.redact(text[: head + REDACTION_MARGIN])
            last = self.redact(text[-(tail + REDACTION_MARGIN) :])
            cut = len(text) - head - tail
            kept = _CONTROL.sub("\ufffd", first[:head]), _CONTROL.sub("\ufffd", last[-tail:] if tail else "")
            return kept[0] + f"\n... [{cut} characters truncated] ...\n" + kept[1], True
        clean = _CONTROL.sub("\ufffd", self.redact(text))
        if len(clean) <= limit:
            return clean, False
        cut = len(clean) - head - tail
        marker = f"\n... [{cut} characters truncated] ...\n"
        return clean[:head] + marker + (clean[-tail:] if tail else ""), True


def _shape_replacement(match: re.Match[str]) -> str:
    key = match.group("kvkey")
    if key:
        # Keep "password=" so a reader knows what was there; drop the value.
        return key + "[REDACTED]"
    if match.group("url"):
        scheme = match.group(0).split("://", 1)[0]
        return f"{scheme}://[REDACTED]@"
    return "[REDACTED]"


def redact_environment(environ: Mapping[str, str], names: list[str]) -> dict[str, str]:
    """The allow-listed variables present in ``environ``, with secret-named values hidden."""
    out: dict[str, str] = {}
    for name in names:
        if name in environ:
            out[name] = "[REDACTED]" if is_secret_name(name) else environ[name]
    return out
