"""Keeping the cyclic garbage collector from walking the whole heap while artifacts are built.

Reading an artifact of 100,000 tests builds hundreds of thousands of objects that all survive
and form no cycles; each full collection triggered meanwhile walks every object of the process
(a pytest session holds hundreds of thousands) and finds nothing to free. Pausing the collector
for the burst spares those walks; it resumes afterwards exactly as it was. At the end of a
session, freezing the heap the session built sets those objects aside until the session is
unconfigured, so that the collections the session end triggers look only at what it made:
the full collection its allocations make due then runs later, when the interpreter's own
collection at exit or the next full collection of a longer-lived process walks the heap anyway.
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


def freeze_heap() -> bool:
    """Set every object alive now aside from the collector's walks until ``thaw_heap``.

    Returns False, and does nothing, when the heap is frozen already: that freeze is someone
    else's to undo, and thawing ours would undo it too.
    """
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def thaw_heap() -> None:
    """Put the objects ``freeze_heap`` set aside back in the oldest generation."""
    gc.unfreeze()
