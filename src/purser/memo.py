"""What was built from an account's last read, kept for its next read (`PerAccount`).

A customer's turns read the same account again and again, and most of what is built from it
(entities mapped from rows, JSON pieces of the agent's view) comes out the same. Keeping it per
account rather than in one global memo bounds the memory by what the latest reads of the most
recently read accounts use: whatever a read does not use again (a row that changed, an entity
that was replaced) is dropped with that read, so nothing piles up between clearings, and a
server's resident memory reaches its level within the first few hundred conversations instead of
creeping until a global memo fills.

    memo = PerAccount[tuple[Any, ...], Customer](accounts=256)
    with memo.reading(customer_id) as kept:
        customer = kept.get(key)
        if customer is None:
            customer = build()
        kept.keep(key, customer)

Thread-safe: two reads of the same account at once each start from what the earlier one left
(the second may start from nothing); the last to finish is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["PerAccount", "Reading"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Reading(Generic[K, V]):
    """One read of one account: what the previous read kept, and what this one keeps."""

    __slots__ = ("_previous", "kept")

    def __init__(self, previous: dict[K, V]) -> None:
        self._previous = previous
        self.kept: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        """What the previous read kept under `key` (None when nothing). Raises TypeError for an
        unhashable key, as a dict does."""
        return self._previous.get(key)

    def keep(self, key: K, value: V) -> None:
        """Keep `value` for the account's next read."""
        self.kept[key] = value


class PerAccount(Generic[K, V]):
    """Per account, what its latest read kept; the `accounts` most recently read are remembered."""

    def __init__(self, accounts: int) -> None:
        if accounts < 1:
            raise ValueError("accounts must be at least 1")
        self.accounts = accounts
        self._kept: OrderedDict[str, dict[K, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Accounts remembered now."""
        return len(self._kept)

    def entries(self) -> int:
        """Values kept over every account remembered."""
        with self._lock:
            return sum(len(kept) for kept in self._kept.values())

    @contextmanager
    def reading(self, account: str) -> Iterator[Reading[K, V]]:
        """A read of `account`: starts from what its previous read kept; what this one keeps replaces
        it when the block ends without an exception."""
        with self._lock:
            previous = self._kept.pop(account, None)
        reading: Reading[K, V] = Reading(previous if previous is not None else {})
        yield reading
        with self._lock:
            self._kept[account] = reading.kept
            self._kept.move_to_end(account)
            while len(self._kept) > self.accounts:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        """Forget every account."""
        with self._lock:
            self._kept.clear()
