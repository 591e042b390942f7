"""The collector is paused or the heap frozen only inside the blocks that ask, and left as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pytest_uok.core.gc_pause import freeze_heap, paused_gc, thaw_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_paused_gc_resumes_an_enabled_collector_and_leaves_a_disabled_one() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds the pause
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_frozen_heap_is_not_walked_and_is_put_back_when_thawed(unfrozen: None) -> None:
    alive = [[i] for i in range(1000)]  # tracked containers, alive before the freeze
    assert freeze_heap() is True
    frozen = gc.get_freeze_count()
    assert frozen >= len(alive)
    young = [[i] for i in range(10)]
    gc.collect()
    # A full collection inside the block leaves the frozen objects aside and walks the young.
    assert gc.get_freeze_count() == frozen
    walked = {id(x) for x in gc.get_objects()}
    assert not any(id(x) in walked for x in alive)
    assert all(id(x) in walked for x in young)
    thaw_heap()
    assert gc.get_freeze_count() == 0
    assert all(id(x) in {id(o) for o in gc.get_objects()} for x in alive[:10])


def test_someone_elses_freeze_is_left_for_them_to_undo(unfrozen: None) -> None:
    gc.freeze()
    theirs = gc.get_freeze_count()
    assert freeze_heap() is False
    assert gc.get_freeze_count() == theirs
