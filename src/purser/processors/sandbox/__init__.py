"""The sandbox billing engine: Stripe's semantics on SQLAlchemy tables, with its own clock.

    processor = SandboxProcessor(Database("sqlite://"))
    with processor.bulk_import() as imp:      # the world loader's API (importer.py)
        imp.create_plan(plan); imp.create_customer(customer); ...
        imp.set_clock(now)
    processor.refund(charge_id, Money.parse("20.00", "usd"), reason=None, metadata={}, idempotency_key="k1")
    processor.advance_clock(later)            # renewals, retries, pauses ending, cancellations

Modules: engine (the processor), clock (anchored periods), proration (Stripe's formula),
subscriptions (changes, pause, resume, cancel), cycle (what the clock runs), invoices
(numbering, tax, credit, payments, dunning), refunds, idempotency, events (stream and outbox),
snapshot, importer, rows (row ↔ entity), queries, integrations (tax/pdf/mailer seams).
"""

from purser.processors.sandbox.cycle import AdvanceReport
from purser.processors.sandbox.engine import SandboxProcessor
from purser.processors.sandbox.importer import BulkImporter

__all__ = ["AdvanceReport", "BulkImporter", "SandboxProcessor"]
