"""Rendering metrics.prom, report.md and report.html from an artifact folder, in one call.

The session writes them after every other artifact, and anything that changes the
artifacts later (gating, a merge of shards) renders them again with ``render_reports``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_uok.core.atomic import atomic_write_text
from pytest_uok.core.metrics import METRICS_FILE, render_metrics
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.report_html import REPORT_HTML, render_html
from pytest_uok.core.report_md import REPORT_MD, render_markdown
from pytest_uok.core.runview import RunView, TestFacts, load_run

#: The files ``render_reports`` writes, in the order it writes them.
REPORT_FILES = (METRICS_FILE, REPORT_MD, REPORT_HTML)
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


@dataclass
class Rendered:
    """What one rendering produced: the run it read, the texts, the files written and errors."""

    view: RunView
    texts: dict[str, str]
    written: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return self.texts[REPORT_MD]


def render_view(view: RunView) -> dict[str, str]:
    """The three files' texts for a run, by file name."""
    return {
        METRICS_FILE: render_metrics(view),
        REPORT_MD: render_markdown(view),
        REPORT_HTML: render_html(view),
    }


def write_reports(view: RunView, folder: Path) -> Rendered:
    """Render a run and write the files into ``folder`` atomically; errors are returned as lines."""
    rendered = Rendered(view, render_view(view))
    for name, text in rendered.texts.items():
        path = folder / name
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            rendered.errors.append(f"could not write {path}: {exc.strerror or exc}")
        else:
            rendered.written.append(path)
    return rendered


def render_reports(
    folder: Path, summary: Summary | None = None, tests: Sequence[TestFacts] | None = None
) -> Rendered:
    """Read the artifacts in ``folder`` and (re)write metrics.prom, report.md and report.html there.

    ``summary``, when given, is used instead of reading summary.json back, with ``tests`` as its
    entries when they are not in the model (see ``load_run``).
    Raises UokInputError when the folder has no usable summary.json.
    """
    return write_reports(load_run(folder, summary, tests), folder)


def append_step_summary(markdown: str, environ: dict[str, str] | None = None) -> Path | None:
    """Append the report to the file named by $GITHUB_STEP_SUMMARY, if set; returns that path.

    The text goes out in one append-mode write, so reports of processes sharing a runner do
    not interleave. Raises OSError when the file cannot be written.
    """
    env = os.environ if environ is None else environ
    target = env.get(STEP_SUMMARY_ENV, "").strip()
    if not target:
        return None
    path = Path(target)
    data = (markdown if markdown.endswith("\n") else markdown + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return path
