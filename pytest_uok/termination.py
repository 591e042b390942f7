"""SIGTERM as an interrupt on the controller, so a terminated run still writes its artifacts."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import pytest


class SigtermInterrupt:
    """Turns the first SIGTERM into KeyboardInterrupt while a session runs.

    CI systems stop a job with SIGTERM and a grace period before SIGKILL. By default SIGTERM
    ends Python at once, without ``pytest_sessionfinish``; raised as KeyboardInterrupt it
    ends the session the way Ctrl-C does: exit status 2 and ``interrupted: true`` artifacts.
    Installed only over the default action, from the main thread, and put back at unconfigure;
    a handler someone else installed (or SIG_IGN) is left alone.
    """

    def __init__(self) -> None:
        self.previous: Any = None
        self.installed = False
        self.received = False

    def install(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return False
        self.previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        self.installed = True
        return True

    def restore(self) -> None:
        if not self.installed:
            return
        self.installed = False
        if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self.previous)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        # A second SIGTERM while artifacts are being written terminates at once, as before.
        signal.signal(signal.SIGTERM, self.previous)
        raise KeyboardInterrupt("SIGTERM received: the session was terminated")

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.restore()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.received:
            terminalreporter.write_line("uok: SIGTERM received; the run was ended as an interrupt", red=True)
