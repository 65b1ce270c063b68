"""The sandbox billing engine: Stripe's semantics on SQLAlchemy tables (`sbx_*`), with its own clock.

    processor = SandboxProcessor(Database("sqlite://"))
    with processor.bulk_import() as imp:      # the world loader's API, one transaction (importer.py)
        imp.create_plan(plan); imp.create_customer(customer); imp.add_payment_method(pm)
        imp.import_subscription(sub); imp.import_invoice(inv); imp.import_charge(ch)
        imp.import_refund(re); imp.import_dispute(dp); imp.set_clock(now)
    processor.refund(charge_id, Money.parse("20.00", "usd"), reason=None, metadata={}, idempotency_key="k1")
    processor.advance_clock(later)            # renewals, retries, trial ends, resumes, cancellations

Semantics (where Stripe leaves a choice, the one taken here):
- Periods are anchored on `billing_cycle_anchor` (Jan 31 → Feb 28/29 → Mar 31); a trial end, a
  resume after the paid period and an interval change restart the anchor.
- Invoices are tax-exclusive (`total = subtotal + tax`, tax from `tax.py`); customer credit
  (negative balance) is applied first and counts towards `amount_paid`.
- A failed renewal leaves the invoice open, the subscription `past_due`, and retries at
  `dunning_days` (3, 5, 7) after the invoice date; after the last one the subscription is `unpaid`:
  it keeps being invoiced, but those invoices are not attempted until `retry_invoice`.
- A prorated change whose charge is declined raises `CardDeclined` and changes nothing
  (Stripe's `payment_behavior=error_if_incomplete`); `retry_invoice` records the failed attempt
  and then raises `CardDeclined` (replayed as such under the same idempotency key).
- `pause`: status `paused` now, `pause_starts_at` = period end, billing resumes at `resumes_at`
  (a new period starts then); `resume`: active now, a new period now if the paid one is over.
- Every write emits Stripe-shaped events (`list_writes`); imports emit none.

Modules: engine (the processor), clock (anchored periods), proration (Stripe's formula),
subscriptions (changes, pause, resume, cancel), cycle (what the clock runs, row by row: the
reference), batch and batch_state (the same transitions for hundreds of customers at once, in
memory, written in bulk: what `advance_clock` runs), invoices (numbering, tax, credit, payments,
dunning), refunds, customers (invoice emails, billing details), idempotency, events (stream and
outbox), snapshot, importer, rows (row ↔ entity), queries, prepared (hot statements compiled once
and run on the DBAPI cursor), integrations (the tax/pdf/mailer seams).
"""

from purser.processors.sandbox.cycle import AdvanceReport
from purser.processors.sandbox.engine import SandboxProcessor
from purser.processors.sandbox.importer import BulkImporter

__all__ = ["AdvanceReport", "BulkImporter", "SandboxProcessor"]
