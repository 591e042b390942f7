"""report.html opened in headless Chromium: it renders, shows the failure and verdict, logs no errors."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))),
    "/usr/bin/chromium",
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is not installed: sudo apt-get install -y chromium"
)

#: Chromium without network, profile or background services; console messages go to stderr.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1200,2200",
]


@dataclass
class Page:
    dom: str
    console: list[str]
    screenshot: Path


def open_page(page: Path, tmp_path: Path) -> Page:
    """Load a file in headless Chromium: the DOM after scripts ran, console lines, a screenshot."""
    shot = tmp_path / "screenshot.png"
    profile = tmp_path / "profile"
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return Page(result.stdout, console, shot)


def test_the_console_capture_sees_page_errors(tmp_path: Path) -> None:
    # Proves the next test's "no console errors" means something.
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<!DOCTYPE html><html><body><p>probe</p><script>console.error("uok-probe"); missing();</script>'
        "</body></html>",
        encoding="utf-8",
    )
    page = open_page(probe, tmp_path)
    assert any("uok-probe" in line for line in page.console), page.console
    assert any("missing is not defined" in line for line in page.console), page.console


def test_report_html_in_a_browser(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        test_orders="""
        def test_total():
            assert sum([1, 2]) == 4, "order total is wrong"

        def test_count():
            assert len([1, 2]) == 2
        """
    )
    result = pytester.runpytest("--uok-gate")
    assert result.ret == 1
    page = open_page(pytester.path / ".uok" / "report.html", tmp_path)
    assert page.console == []
    assert page.screenshot.read_bytes().startswith(b"\x89PNG"), "no screenshot"
    assert page.screenshot.stat().st_size > 10_000
    assert 'data-ready="yes"' in page.dom, "the page's script did not run"
    assert "test_orders.py::test_total" in page.dom
    assert "order total is wrong" in page.dom
    assert "Gate verdict" in page.dom
    assert "test_results" in page.dom
    assert "pytest-uok: failed" in page.dom
