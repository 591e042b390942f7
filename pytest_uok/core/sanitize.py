"""Making arbitrary text safe to store in UTF-8 JSON artifacts: lone surrogates and control bytes."""

from __future__ import annotations

import json
import re
from typing import Any

#: C0 controls other than tab, newline and carriage return, DEL, and the C1 range: escape codes
#: that can rewrite a terminal when a crafted node id is printed.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` encodable as UTF-8: surrogate pairs joined, lone surrogates made U+FFFD.

    Python strings may hold lone surrogates (``surrogateescape``d bytes from captured output,
    ``"\\udcff"`` in an exception message); UTF-8 cannot, and JSON writers fail on them.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def clean_json(value: Any) -> Any:
    """A JSON-able value with every string (keys included) passed through ``clean_text``."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def dumps_clean(value: Any, indent: int | None = None) -> str:
    """``json.dumps`` of a JSON-able value that always encodes as UTF-8."""
    return json.dumps(clean_json(value), ensure_ascii=False, indent=indent, default=str)


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe to print on a terminal: control characters escaped, length bounded."""
    shown = _TERMINAL_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", clean_text(text))
    shown = shown.replace("\n", "\\n").replace("\r", "\\r")
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
