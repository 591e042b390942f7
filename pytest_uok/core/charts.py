"""Small inline SVG bar charts for report.html: no script, no fonts or images to fetch."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

#: Colours per outcome and gate status, readable on white and by most colour-blind readers.
COLOURS = {
    "passed": "#2e7d32",
    "pass": "#2e7d32",
    "failed": "#c62828",
    "fail": "#c62828",
    "error": "#8e24aa",
    "manual-attention": "#8e24aa",
    "skipped": "#9e9e9e",
    "skip": "#9e9e9e",
    "xfailed": "#78909c",
    "xpassed": "#f9a825",
    "warn": "#f9a825",
    "quarantined": "#ef6c00",
    "waived": "#5d4037",
    "flaky": "#0277bd",
}
DEFAULT_COLOUR = "#546e7a"
ROW = 22
LABEL_WIDTH = 260
BAR_WIDTH = 420
VALUE_WIDTH = 90
LABEL_CHARS = 40


@dataclass(frozen=True)
class Segment:
    """A part of one bar."""

    name: str
    value: float


@dataclass(frozen=True)
class Bar:
    """One row of a chart: a label, its segments, and the text printed after it."""

    label: str
    segments: tuple[Segment, ...]
    note: str = ""


def colour(name: str) -> str:
    return COLOURS.get(name, DEFAULT_COLOUR)


def _short(label: str) -> str:
    if len(label) <= LABEL_CHARS:
        return label
    return "…" + label[-(LABEL_CHARS - 1) :]


def bar_chart(title: str, bars: list[Bar], legend: list[str] | None = None) -> str:
    """A horizontal (stacked) bar chart as an ``<svg>`` element with a text title for readers."""
    biggest = max((sum(s.value for s in b.segments) for b in bars), default=0.0) or 1.0
    legend = legend or []
    legend_rows = 1 if legend else 0
    height = ROW * (len(bars) + legend_rows) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for row, bar in enumerate(bars):
        y = row * ROW + 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 14}" text-anchor="end" class="label">'
            f"<title>{escape(bar.label)}</title>{escape(_short(bar.label))}</text>"
        )
        x = float(LABEL_WIDTH)
        for seg in bar.segments:
            if seg.value <= 0:
                continue
            w = max(seg.value / biggest * BAR_WIDTH, 1.0)
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{ROW - 6}" fill="{colour(seg.name)}">'
                f"<title>{escape(seg.name)}: {seg.value:g}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 14}" class="value">{escape(bar.note)}</text>')
    if legend:
        y = len(bars) * ROW + 6
        x = float(LABEL_WIDTH)
        for name in legend:
            parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="12" height="12" fill="{colour(name)}"/>')
            parts.append(f'<text x="{x + 16:.1f}" y="{y + 12}" class="legend">{escape(name)}</text>')
            x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
