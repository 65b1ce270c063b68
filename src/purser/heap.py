"""The heap a long-running process built at start-up, kept out of the garbage collector's way (`settle`).

CPython's cyclic garbage collector walks every tracked object of the oldest generation on each
full collection. A `purser serve` process holds ~300,000 such objects once its modules, policy,
knowledge base and offline model are loaded, and they live as long as the process: a full
collection walked them all for 150-240 ms of CPU, twice in a 30-second run of the HTTP benchmark,
and each one stalled every conversation in flight for that long. `gc.freeze()` moves what exists
now into a permanent generation that collections skip; what is created later is collected as
before. Entry points call `settle` once, after their warm-up (`purser serve`, `purser worker`,
the gym's worker processes), never a library call inside a turn.

    container.warm()
    heap.settle()
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

__all__ = ["Settled", "settle"]


@dataclass(frozen=True)
class Settled:
    """What `settle` did: objects moved out of the collector's sight, and cyclic garbage freed first."""

    frozen: int
    """Objects in the permanent generation after the call (`gc.get_freeze_count()`)."""
    collected: int
    """Unreachable objects the full collection before freezing found."""


def settle() -> Settled:
    """Collect once, then freeze every object that survives: start-up's modules, tables and caches.

    Call it after the process has loaded what it keeps for its lifetime (its warm-up) and before it
    serves. Garbage among the frozen objects is never collected, which is why a full collection runs
    first; objects created afterwards are collected as usual. Calling it again freezes what was
    created since.
    """
    collected = gc.collect()
    gc.freeze()
    return Settled(frozen=gc.get_freeze_count(), collected=collected)
