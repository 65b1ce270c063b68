"""Reconciliation: every money movement in the audit log against the processor's own records.

Drift is reported both ways:
- *recorded but absent*: the audit log says a refund ran, the processor has no such refund
  (or a different amount);
- *present but unrecorded*: the processor holds a refund Purser has no record of — made in the
  processor's dashboard, by another integration, or behind Purser's back.

The processor's side is read through `BillingProcessor.snapshot` of every customer (so it works
on the sandbox and on Stripe alike), plus the refunds that Stripe webhooks recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from purser.audit.log import AuditLog
from purser.domain import CustomerId, Refund
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


def audited_refunds(log: AuditLog) -> dict[str, Movement]:
    """Refunds the audit log records as executed (a `result` record of a succeeded refund)."""
    found: dict[str, Movement] = {}
    for record in log.records():
        data = record.data or {}
        result = data.get("result") or {}
        if record.kind != "result" or data.get("status") != "succeeded" or not isinstance(result, dict):
            continue
        refund_id = result.get("refund")
        if not refund_id or not result.get("currency"):
            continue
        found[str(refund_id)] = Movement(
            refund_id=str(refund_id),
            charge_id=str(result.get("charge") or ""),
            amount=Money.parse(str(result.get("amount")), str(result.get("currency"))),
            source=f"audit record #{record.seq}",
        )
    return found


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
) -> Report:
    """Compare both sides; `customers` defaults to every customer the processor lists."""
    recorded = audited_refunds(log)
    ids = list(customers) if customers is not None else [c.id for c in processor.list_customers(limit=100)]
    present = processor_refunds(processor, ids, since=since)
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
