"""Reading the audit chain in pages: what verification walks, so it never holds the whole chain.

A verification (`purser.audit.verify`) walks the chain in seq order one page at a time:
`page(after, limit)` returns up to `limit` records with `seq > after`. Pages are keyed by seq, not
by offset, so each is one indexed range read whatever the chain's length. The store's adapter is
`purser.store.audit_pages.SqlAuditPages`; `UnitOfWorkPages` pages any `UnitOfWorkFactory` (the
in-memory fakes, whose chain is in memory anyway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeAlias

from purser.ports.audit import AuditRecord, UnreadableAuditRecord
from purser.ports.unit_of_work import UnitOfWorkFactory

__all__ = ["PAGE_SIZE", "AuditPages", "UnitOfWorkPages", "Walked"]

Walked: TypeAlias = AuditRecord | UnreadableAuditRecord
"""A record as verification sees it: the record, or the error its unreadable data raised, in place."""

PAGE_SIZE = 500
"""Records per page: large enough that a page's round trip is cheap next to its hashing, small
enough that a page's records (about 2 KiB each in memory) stay near a megabyte."""


class AuditPages(Protocol):
    """The audit chain of one store, read in pages of seq order (each page its own read)."""

    def page(self, after: int, limit: int) -> list[Walked]:
        """Up to `limit` records with `seq > after`, in chain order; an unreadable one as its error."""
        ...


class UnitOfWorkPages:
    """`AuditPages` over any unit of work factory, through the port's `walk()` (which reads the whole
    chain: meant for the in-memory fakes, whose chain is held in memory anyway)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    def page(self, after: int, limit: int) -> list[Walked]:
        """Up to `limit` records with `seq > after`, in chain order."""
        with self.uow.read() as uow:
            walked = uow.audit.walk()
        return [r for r in walked if r.seq > after][:limit]


if TYPE_CHECKING:
    from purser.testing.memory import MemoryUnitOfWorkFactory

    _PAGES: AuditPages = UnitOfWorkPages(MemoryUnitOfWorkFactory())
