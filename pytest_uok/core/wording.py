"""The phrases problem lines share: a bounded list of names, and a count with its noun."""

from __future__ import annotations

#: How many names one line lists before saying "and N more".
LISTED = 5


def listing(names: list[str], limit: int = LISTED) -> str:
    """The first ``limit`` names, comma-separated, and how many more there are."""
    shown = ", ".join(names[:limit])
    more = len(names) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1 ("1 entry", "2 entries")."""
    if n == 1:
        return f"{n} {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"
