"""`purser.heap.settle`: garbage collected first, the survivors frozen, later objects collected as usual."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from purser.heap import settle


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """A two-object reference cycle nobody holds: only the cyclic collector frees it."""
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give the test process its objects back to the collector afterwards."""
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_settle_collects_garbage_then_freezes_what_lives() -> None:
    dead = _cycle()
    kept = _Node()
    settled = settle()
    assert dead() is None and settled.collected >= 2  # garbage is not frozen for good
    assert settled.frozen > 0 and gc.get_freeze_count() > 0  # (frozen objects still die by refcount)
    assert not any(obj is kept for obj in gc.get_objects())  # out of every generation the collector walks


@pytest.mark.usefixtures("unfrozen")
def test_objects_created_after_settling_are_still_collected() -> None:
    settle()
    later = _cycle()
    assert later() is not None
    gc.collect()
    assert later() is None
