"""Pausing the cyclic garbage collector while a burst of long-lived, acyclic objects is built.

Reading an artifact of 100,000 tests builds hundreds of thousands of objects that all survive
and form no cycles; each full collection triggered meanwhile walks every object of the process
(a pytest session holds hundreds of thousands) and finds nothing to free. Pausing the collector
for the burst spares those walks; it resumes afterwards exactly as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic collection inside the block; nested blocks and a disabled collector are left alone."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
