"""Reconciliation: every money movement in the audit log against the processor's own records.

Drift is reported both ways:
- *recorded but absent*: the audit log says a refund ran, the processor has no such refund
  (or a different amount);
- *present but unrecorded*: the processor holds a refund Purser has no record of — made in the
  processor's dashboard, by another integration, or behind Purser's back.

The processor's side is read through `BillingProcessor.snapshot` of every customer, page by page
(`list_customers(after=...)`, so it works on the sandbox and on Stripe alike at any size), plus the
refunds the processor's events announced since the last checkpoint (`refund.*`, `charge.refunded`:
a refund of a customer deleted since, for instance) and those Stripe webhooks recorded.

The audit side is every refund a `result` record says succeeded, and every refund that existed
before Purser (`imported_refund` records, written when a world is loaded: `purser.audit.imported`).
A `world_loaded` record starts the sandbox over: only what was recorded after the newest one is
compared, since the refunds before it were replaced with the world.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from purser.audit.log import AuditLog
from purser.domain import Customer, CustomerId, Event, Refund
from purser.money import Money
from purser.processors.base import BillingProcessor

if TYPE_CHECKING:
    from purser.store.db import Database


@dataclass(frozen=True, slots=True)
class Movement:
    """One refund as one side knows it."""

    refund_id: str
    """re_..."""
    charge_id: str
    """The refunded charge."""
    amount: Money
    """How much."""
    source: str
    """Where it was seen: audit record #seq, processor, webhook."""
    at: str = ""
    """When the audit record was written (wall clock, ISO 8601 UTC); empty on the processor's side."""


@dataclass(frozen=True, slots=True)
class Drift:
    """One disagreement."""

    kind: str
    """recorded_but_absent | present_but_unrecorded | amount_mismatch"""
    refund_id: str
    """The refund concerned."""
    detail: str
    """Both places, in words."""


@dataclass
class Report:
    """The result of a reconciliation run."""

    matched: int = 0
    """Refunds both sides agree on."""
    drift: list[Drift] = field(default_factory=list)
    """Every disagreement."""

    @property
    def ok(self) -> bool:
        """True when nothing drifted."""
        return not self.drift


PAGE_SIZE = 100
"""Customers read per page (Stripe's maximum)."""

WORLD_LOADED = "world_loaded"
"""The audit kind written when the sandbox is replaced with a world (`purser.audit.imported`)."""

IMPORTED_REFUND = "imported_refund"
"""The audit kind of a refund that existed before Purser (seeded or imported history)."""


def every_customer(processor: BillingProcessor, *, page_size: int = PAGE_SIZE) -> Iterator[Customer]:
    """Every customer the processor holds, one page at a time (never only the first page)."""
    after: CustomerId | None = None
    while True:
        page = processor.list_customers(limit=page_size, after=after)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].id


def audited_refunds(log: AuditLog) -> dict[str, Movement]:
    """Refunds the audit log records: succeeded refund `result`s and `imported_refund`s, since the
    newest `world_loaded` record."""
    found: dict[str, Movement] = {}
    for record in log.records():
        data = record.data or {}
        if record.kind == WORLD_LOADED:
            found.clear()  # the sandbox was replaced: what was recorded before is gone with it
            continue
        if record.kind == IMPORTED_REFUND:
            movement = _movement(data, f"audit record #{record.seq} (imported)", record.at)
        elif record.kind == "result" and data.get("status") == "succeeded" and isinstance(data.get("result"), dict):
            movement = _movement(data["result"], f"audit record #{record.seq}", record.at)
        else:
            continue
        if movement is not None:
            found[movement.refund_id] = movement
    return found


def _movement(fields: dict[str, Any], source: str, at: str) -> Movement | None:
    refund_id, currency = fields.get("refund"), fields.get("currency")
    if not refund_id or not currency:
        return None
    amount = Money.parse(str(fields.get("amount")), str(currency))
    return Movement(str(refund_id), str(fields.get("charge") or ""), amount, source, at)


def processor_refunds(
    processor: BillingProcessor, customer_ids: Iterable[str], *, since: datetime | None = None
) -> dict[str, Movement]:
    """Refunds the processor holds for these customers (created at or after `since`)."""
    found: dict[str, Movement] = {}
    for customer_id in sorted(set(customer_ids)):
        refunds: tuple[Refund, ...] = processor.snapshot(CustomerId(customer_id)).refunds
        for refund in refunds:
            if since is not None and refund.created < since:
                continue
            found[refund.id] = Movement(refund.id, refund.charge_id, refund.amount, f"{processor.name} processor")
    return found


def event_refunds(events: Iterable[Event], processor: str) -> dict[str, Movement]:
    """Refunds announced by processor events (`refund.*` objects, and the refunds a `charge.refunded`
    charge lists); amounts in minor units, as Stripe sends them."""
    found: dict[str, Movement] = {}
    for event in events:
        obj = event.data.get("object") if isinstance(event.data, dict) else None
        if not isinstance(obj, dict):
            continue
        nested = (obj.get("refunds") or {}).get("data") if obj.get("object") == "charge" else None
        for refund in [obj] if obj.get("object") == "refund" else (nested or []):
            amount, currency = refund.get("amount"), refund.get("currency")
            if not isinstance(refund, dict) or type(amount) is not int or not isinstance(currency, str):
                continue
            charge = refund.get("charge")
            charge_id = charge.get("id") if isinstance(charge, dict) else charge
            found[str(refund["id"])] = Movement(
                str(refund["id"]), str(charge_id or ""), Money(amount, currency), f"{processor} event {event.id}"
            )
    return found


def webhook_refunds(db: Database) -> dict[str, Movement]:
    """Refunds announced by Stripe webhooks (`charge.refunded`, `refund.*`)."""
    from purser.store.audit import webhook_refunds as stored

    return {refund_id: Movement(refund_id, charge, amount, "webhook") for refund_id, charge, amount in stored(db)}


def reconcile(
    log: AuditLog,
    processor: BillingProcessor,
    *,
    db: Database | None = None,
    since: datetime | None = None,
    customers: Iterable[str] | None = None,
    events_since: datetime | None = None,
) -> Report:
    """Compare both sides; `customers` defaults to every customer the processor holds (paged).

    `since`: only refunds created (processor) or recorded (audit) from then on. `events_since`: also
    read the processor's events from then on (the last checkpoint's time)."""
    recorded = audited_refunds(log)
    if since is not None:  # the window: refunds recorded from then on (the record's wall-clock time)
        start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        recorded = {k: v for k, v in recorded.items() if v.at >= start}
    ids = list(customers) if customers is not None else [c.id for c in every_customer(processor)]
    present = processor_refunds(processor, ids, since=since)
    if events_since is not None:
        for refund_id, movement in event_refunds(processor.events(since=events_since), processor.name).items():
            present.setdefault(refund_id, movement)
    if db is not None:
        for refund_id, movement in webhook_refunds(db).items():
            present.setdefault(refund_id, movement)
    report = Report()
    for refund_id, mine in sorted(recorded.items()):
        theirs = present.get(refund_id)
        if theirs is None:
            detail = f"{mine.source} says {mine.amount} refunded on {mine.charge_id}; the processor has no such refund"
            report.drift.append(Drift("recorded_but_absent", refund_id, detail))
        elif theirs.amount != mine.amount:
            report.drift.append(
                Drift("amount_mismatch", refund_id,
                      f"{mine.source} says {mine.amount}; the {theirs.source} says {theirs.amount}")
            )  # fmt: skip
        else:
            report.matched += 1
    for refund_id, theirs in sorted(present.items()):
        if refund_id not in recorded:
            report.drift.append(
                Drift("present_but_unrecorded", refund_id,
                      f"the {theirs.source} holds a refund of {theirs.amount} on {theirs.charge_id}; "
                      "no audit record")
            )  # fmt: skip
    return report


__all__ = [
    "IMPORTED_REFUND",
    "PAGE_SIZE",
    "WORLD_LOADED",
    "Drift",
    "Movement",
    "Report",
    "audited_refunds",
    "event_refunds",
    "every_customer",
    "processor_refunds",
    "reconcile",
    "webhook_refunds",
]
