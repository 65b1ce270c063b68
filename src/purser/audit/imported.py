"""History Purser did not make: what a loaded world (the demo seed, a scenario, an import) already held.

Loading a world replaces the sandbox, refunds included. Those refunds happened "before Purser",
so no `result` record will ever mention them, and reconciliation would call each one drift. When
a world is loaded, `record_world_load` appends, in one transaction:

- a `world_loaded` record (source, customer count): reconciliation starts over from it, since the
  refunds recorded before it were replaced with the world;
- an `imported_refund` record per refund the processor holds right after the load (refund id,
  charge, customer, amount, currency, when it was made on the processor's clock).

The records are part of the keyed chain like any other, so the imported history cannot be
rewritten later without `verify` noticing. They describe what the processor said at load time;
they vouch for nothing more.
"""

from __future__ import annotations

from purser.audit.log import AuditLog
from purser.audit.reconcile import IMPORTED_REFUND, WORLD_LOADED, every_customer
from purser.ports.audit import AuditDraft, draft
from purser.processors.base import BillingProcessor

__all__ = ["IMPORT_ACTOR", "record_world_load"]

IMPORT_ACTOR = "system:import"
"""The actor of the records a world load writes."""


def record_world_load(log: AuditLog, processor: BillingProcessor, source: str) -> int:
    """Append `world_loaded` and an `imported_refund` per refund the processor now holds; returns how
    many refunds were recorded."""
    drafts: list[AuditDraft] = []
    customers = 0
    for customer in every_customer(processor):
        customers += 1
        for refund in processor.snapshot(customer.id).refunds:
            data = {
                "refund": refund.id,
                "charge": refund.charge_id,
                "customer": customer.id,
                "amount": refund.amount.amount_str(),
                "currency": refund.amount.currency,
                "created": refund.created.isoformat(),
                "source": source,
            }
            drafts.append(draft(IMPORTED_REFUND, actor=IMPORT_ACTOR, data=data))
    header = draft(
        WORLD_LOADED,
        actor=IMPORT_ACTOR,
        data={"source": source, "processor": processor.name, "customers": customers, "refunds": len(drafts)},
    )
    log.append_all([header, *drafts])
    return len(drafts)
