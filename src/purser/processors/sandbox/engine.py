"""`SandboxProcessor`: the embedded billing engine with Stripe's semantics on the `sbx_` tables.

Reads run on a plain connection; every write runs in one `Database.begin()`
transaction under its idempotency key (see `idempotency.py`), emits
Stripe-shaped events and never leaves the database half-written.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, insert, select, update

from purser.domain import (
    AccountSnapshot,
    Address,
    Customer,
    CustomerId,
    Email,
    Event,
    Invoice,
    InvoiceId,
    InvoiceStatus,
    PaymentBehavior,
    PaymentMethod,
    Plan,
    PlanId,
    ProrationQuote,
    Refund,
    Subscription,
    SubscriptionId,
)
from purser.domain.ids import ChargeId
from purser.money import Money
from purser.processors.base import ChangeResult, ChangeTiming, PaymentLink, SentEmail
from purser.processors.errors import CardDeclined, Conflict, InvalidRequest
from purser.processors.sandbox import (
    batch,
    cards,
    customers,
    cycle,
    idempotency,
    integrations,
    invoices,
    queries,
    rows,
    snapshot,
)
from purser.processors.sandbox import refunds as refund_ops
from purser.processors.sandbox import subscriptions as sub_ops
from purser.processors.sandbox.clock import require_aware, to_db, utc, wall_now
from purser.processors.sandbox.events import emit, record_email
from purser.processors.sandbox.idempotency import RecordedFailure
from purser.processors.sandbox.importer import BulkImporter
from purser.store import Database
from purser.store import sandbox_tables as t

if TYPE_CHECKING:
    from purser.ports.outbox import Outbox

_CLOCK = select(t.clock.c.now).where(t.clock.c.id == 1)
_CLOCK_LOCKED = _CLOCK.with_for_update()


def read_clock(conn: Connection, *, lock: bool = False) -> datetime:
    """The sandbox clock (wall time to the second while it was never set)."""
    stmt = _CLOCK_LOCKED if lock and conn.dialect.name == "postgresql" else _CLOCK
    value = conn.execute(stmt).scalar()
    return utc(value) if value is not None else wall_now()


def write_clock(conn: Connection, now: datetime) -> None:
    """Set the clock row."""
    if conn.execute(select(t.clock.c.id).where(t.clock.c.id == 1)).first() is None:
        conn.execute(insert(t.clock).values(id=1, now=to_db(now)))
    else:
        conn.execute(update(t.clock).where(t.clock.c.id == 1).values(now=to_db(now)))


class SandboxProcessor:
    """The embedded billing processor (implements `purser.processors.BillingProcessor`)."""

    name = "sandbox"

    def __init__(
        self,
        db: Database,
        *,
        dunning_days: tuple[int, ...] = invoices.DEFAULT_DUNNING_DAYS,
        advance_batch: int = 500,
        outbox: Outbox | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        """Where recorded emails go out (delivered by a job over SMTP); the process-wide mailer when None."""
        self.dunning_days = tuple(dunning_days)
        self.advance_batch = max(1, advance_batch)
        """Customers replayed per transaction by `advance_clock` (one commit per batch)."""

    # -- clock ------------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The sandbox clock."""
        with self.db.read() as conn:
            return read_clock(conn)

    def set_clock(self, now: datetime) -> None:
        """Set the clock to `now` without running any billing (loading a world)."""
        value = require_aware(now, "now")
        with self.db.begin() as conn:
            write_clock(conn, value)

    def advance_clock(self, to: datetime, *, on_batch: Callable[[int, int], None] | None = None) -> cycle.AdvanceReport:
        """Move the clock forward to `to`, running every renewal, trial end, resume, cancellation and retry
        due on the way, each at its own instant. Never skips or repeats a renewal.

        `on_batch(done, due)` is called after each committed batch of customers (progress bars)."""
        target = require_aware(to, "to")
        now = self.now()
        if target < now:
            raise InvalidRequest(f"the clock cannot go back: {target.isoformat()} is before {now.isoformat()}")
        report = cycle.AdvanceReport(to=target)
        due = self.db.run_read(lambda conn: cycle.due_customers(conn, target))
        # Customers are independent: replay them in batches, each loaded at once, advanced in memory
        # and written with executemany in one transaction (see batch.py).
        for start in range(0, len(due), self.advance_batch):
            chunk = due[start : start + self.advance_batch]
            one = self.db.run_write(
                partial(batch.advance, customer_ids=chunk, target=target, dunning=self.dunning_days),
                # Safe to re-run after a rollback: the batch recomputes what is due from the database
                # and has no effect outside its transaction.
                retry_conflicts=True,
            )
            report.renewals += one.renewals
            report.retries += one.retries
            report.cancellations += one.cancellations
            report.customers.extend(one.customers)
            if on_batch is not None:
                on_batch(start + len(chunk), len(due))
        with self.db.begin() as conn:
            write_clock(conn, max(target, read_clock(conn, lock=True)))
        return report

    @contextmanager
    def bulk_import(self) -> Iterator[BulkImporter]:
        """One transaction for a whole world: `with processor.bulk_import() as imp: ...` (see importer.py)."""
        with self.db.begin() as conn:
            yield BulkImporter(conn)

    # -- reads ------------------------------------------------------------------------------------
    def list_customers(self, limit: int = 100, *, after: CustomerId | None = None) -> list[Customer]:
        """Customers by id; `after`: only those whose id sorts after it (the next page)."""
        query = select(t.customers).order_by(t.customers.c.id).limit(limit)
        if after is not None:
            query = query.where(t.customers.c.id > after)
        with self.db.read() as conn:
            return [rows.customer(r) for r in conn.execute(query)]

    def get_customer(self, customer_id: CustomerId) -> Customer:
        """One customer by id. Raises `NotFound` (the message `snapshot` gives for the same id)."""
        with self.db.read() as conn:
            return queries.customer(conn, customer_id)

    def snapshot(self, customer_id: CustomerId) -> AccountSnapshot:
        """The customer's whole billing state. Raises `NotFound`."""
        return self.db.run_read(lambda conn: snapshot.build(conn, customer_id))

    def list_plans(self) -> list[Plan]:
        """The plan catalogue."""
        with self.db.read() as conn:
            return queries.plans(conn)

    def get_invoice(self, invoice_id: InvoiceId) -> Invoice:
        """One invoice with its lines. Raises `NotFound`."""
        with self.db.read() as conn:
            return queries.invoice(conn, invoice_id)

    def invoice_pdf(self, invoice_id: InvoiceId) -> bytes:
        """The invoice as a PDF (seller, buyer, address, VAT id, lines, tax)."""
        with self.db.read() as conn:
            inv = queries.invoice(conn, invoice_id)
            cust = queries.customer(conn, inv.customer_id)
        return integrations.render_pdf(inv, cust)

    def events(self, since: datetime | None = None) -> list[Event]:
        """Events oldest first; with `since`, those created at or after it (the clock stands still
        during a conversation, so `since=now()` returns everything written from then on)."""
        stmt = select(t.events).order_by(t.events.c.created, t.events.c.seq)
        if since is not None:
            stmt = stmt.where(t.events.c.created >= to_db(require_aware(since, "since")))
        with self.db.read() as conn:
            return [rows.event(r) for r in conn.execute(stmt)]

    def list_writes(self, since_event_id: str | None = None, *, customer_id: str | None = None) -> list[Event]:
        """Events in the order they were written, after `since_event_id` (all when None), optionally
        only those about one customer. Every write emits at least one event, so this is the gym's
        view of what changed."""
        stmt = select(t.events).order_by(t.events.c.seq)
        if customer_id is not None:
            stmt = stmt.where(t.events.c.customer_id == customer_id)
        with self.db.read() as conn:
            if since_event_id is not None:
                seq = conn.execute(select(t.events.c.seq).where(t.events.c.id == since_event_id)).scalar()
                if seq is None:
                    raise InvalidRequest(f"no such event: {since_event_id!r}")
                stmt = stmt.where(t.events.c.seq > seq)
            return [rows.event(r) for r in conn.execute(stmt)]

    def last_event_id(self) -> str | None:
        """The id of the newest event (a cursor for `list_writes`)."""
        with self.db.read() as conn:
            value = conn.execute(select(t.events.c.id).order_by(t.events.c.seq.desc()).limit(1)).scalar()
            return str(value) if value is not None else None

    def emails(self, customer_id: CustomerId | None = None) -> list[Email]:
        """The outbox, oldest first (one customer's when given)."""
        stmt = select(t.emails).order_by(t.emails.c.sent_at, t.emails.c.id)
        if customer_id is not None:
            stmt = stmt.where(t.emails.c.customer_id == customer_id)
        with self.db.read() as conn:
            return [rows.email(r) for r in conn.execute(stmt)]

    # -- writes -----------------------------------------------------------------------------------
    def _deliver(self, email: Email, attachment: bytes | None = None) -> None:
        """Without an outbox: hand a just-recorded email to the process-wide mailer (after the first commit)."""
        if self.outbox is None:
            integrations.deliver(email, attachment)

    def _to_outbox(self, email: Email | None, attachment: Callable[[], bytes | None] = lambda: None) -> None:
        """Hand a recorded email to the outbox, on the first call AND on every replay of its write: the outbox
        keeps one message per email id, and a replay after a crash between the sandbox's commit and this
        hand-over (a dunning job re-run, say) still gets the email delivered."""
        if self.outbox is None or email is None:
            return
        from purser.processors.sandbox.mailer import outgoing

        self.outbox.send(outgoing(email, attachment()), key=f"sandbox:{email.id}")

    def _write(self, key: str, op: str, params: dict[str, Any], fn: Any, after_commit: Any = None) -> Any:
        return idempotency.run(self.db, key, op, params, fn, read_clock, after_commit)

    def refund(
        self,
        charge_id: ChargeId,
        amount: Money,
        *,
        reason: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Refund:
        """Refund part or all of a charge; never above what remains; a disputed charge refuses."""
        params = {"charge": charge_id, "amount": amount, "reason": reason, "metadata": dict(metadata)}

        def run(conn: Connection) -> Refund:
            return refund_ops.refund(
                conn,
                charge_id,
                amount,
                reason=reason,
                metadata=metadata,
                idempotency_key=idempotency_key,
                now=read_clock(conn),
            )

        result: Refund = self._write(idempotency_key, "refund", params, run)
        return result

    def preview_change(
        self,
        subscription_id: SubscriptionId,
        *,
        plan_id: PlanId,
        quantity: int,
        timing: ChangeTiming,
        proration_date: datetime,
    ) -> ProrationQuote:
        """The exact quote of a plan/seat change at `proration_date` (Stripe's formula, to the second)."""
        when = require_aware(proration_date, "proration_date")
        with self.db.read() as conn:
            sub = queries.subscription(conn, subscription_id)
            q, _ = sub_ops.quote(
                conn, sub, plan_id=plan_id, quantity=quantity, timing=timing, proration_date=when, now=read_clock(conn)
            )
            return q

    def change_subscription(
        self,
        subscription_id: SubscriptionId,
        *,
        plan_id: PlanId,
        quantity: int,
        timing: ChangeTiming,
        proration_date: datetime,
        idempotency_key: str,
    ) -> ChangeResult:
        """Apply a change now (prorated, invoiced, charged at once) or schedule it for the period end.

        A declined charge raises `CardDeclined` and leaves the subscription as it was."""
        when = require_aware(proration_date, "proration_date")
        params = {"sub": subscription_id, "plan": plan_id, "quantity": quantity, "timing": timing, "date": when}

        def run(conn: Connection) -> ChangeResult:
            return sub_ops.change(
                conn,
                subscription_id,
                plan_id=plan_id,
                quantity=quantity,
                timing=timing,
                proration_date=when,
                now=read_clock(conn),
                dunning_days=self.dunning_days,
            )

        result: ChangeResult = self._write(idempotency_key, "change_subscription", params, run)
        return result

    def retry_invoice(self, invoice_id: InvoiceId, *, idempotency_key: str) -> Invoice:
        """Pay an open invoice on the default card now; `CardDeclined` (attempt recorded) when it fails."""

        def run(conn: Connection) -> Invoice:
            now = read_clock(conn)
            queries.lock_owner(conn, t.invoices, invoice_id)  # customer first (queries.py: lock order)
            inv = queries.invoice(conn, invoice_id, lock=True)
            if inv.status is not InvoiceStatus.OPEN:
                raise Conflict(f"invoice {invoice_id} is {inv.status.value}, not open", code="invoice_not_open")
            if queries.default_payment_method(conn, inv.customer_id) is None:
                raise InvalidRequest(
                    f"customer {inv.customer_id} has no default payment method", code="no_payment_method"
                )
            _charge, failure = invoices.attempt_payment(conn, invoice_id, now, dunning_days=self.dunning_days)
            if failure is not None:
                raise RecordedFailure(CardDeclined(f"the card was declined ({failure})", code=failure))
            return queries.invoice(conn, invoice_id)

        result: Invoice = self._write(idempotency_key, "retry_invoice", {"invoice": invoice_id}, run)
        return result

    def send_invoice(self, invoice_id: InvoiceId, *, idempotency_key: str) -> SentEmail:
        """Email the invoice PDF (seller, buyer, address, VAT id) to the email on file."""

        def run(conn: Connection) -> SentEmail:
            return customers.send_invoice(conn, invoice_id, read_clock(conn))

        def deliver(sent: SentEmail) -> None:
            if sent.email is not None and self.outbox is None:  # with an outbox, `_to_outbox` below
                self._deliver(sent.email, self.invoice_pdf(invoice_id))

        result: SentEmail = self._write(idempotency_key, "send_invoice", {"invoice": invoice_id}, run, deliver)
        self._to_outbox(result.email, lambda: self.invoice_pdf(invoice_id))
        return result

    def update_billing_details(
        self,
        customer_id: CustomerId,
        *,
        name: str | None = None,
        email: str | None = None,
        address: Address | None = None,
        vat_id: str | None = None,
        idempotency_key: str,
    ) -> Customer:
        """Change name, email, address or VAT id (validated: `InvalidRequest` code invalid_vat_id)."""
        params = {"customer": customer_id, "name": name, "email": email, "address": address, "vat_id": vat_id}

        def run(conn: Connection) -> Customer:
            return customers.update_billing(
                conn, customer_id, name=name, email=email, address=address, vat_id=vat_id, now=read_clock(conn)
            )

        result: Customer = self._write(idempotency_key, "update_billing_details", params, run)
        return result

    def payment_method_link(self, customer_id: CustomerId, *, idempotency_key: str) -> PaymentLink:
        """A hosted link (valid 24 hours) where the customer updates their card."""

        def run(conn: Connection) -> PaymentLink:
            now = read_clock(conn)
            cust = queries.customer(conn, customer_id)
            link = PaymentLink(
                url=f"{rows.HOSTED_BASE}/pm/{secrets.token_urlsafe(18)}", expires_at=now + timedelta(hours=24)
            )
            session = {"object": "billing_portal.session", "customer": cust.id, "url": link.url}
            emit(conn, "billing_portal.session.created", session, now, customer_id=cust.id)
            return link

        result: PaymentLink = self._write(idempotency_key, "payment_method_link", {"customer": customer_id}, run)
        return result

    def pause(self, subscription_id: SubscriptionId, *, resumes_at: datetime, idempotency_key: str) -> Subscription:
        """Status paused from now; the paid period is honoured; billing resumes at `resumes_at`."""
        when = require_aware(resumes_at, "resumes_at")

        def run(conn: Connection) -> Subscription:
            return sub_ops.pause(conn, subscription_id, resumes_at=when, now=read_clock(conn))

        result: Subscription = self._write(idempotency_key, "pause", {"sub": subscription_id, "at": when}, run)
        return result

    def resume(self, subscription_id: SubscriptionId, *, idempotency_key: str) -> Subscription:
        """Back to active now."""

        def run(conn: Connection) -> Subscription:
            return sub_ops.resume(conn, subscription_id, now=read_clock(conn), dunning_days=self.dunning_days)

        result: Subscription = self._write(idempotency_key, "resume", {"sub": subscription_id}, run)
        return result

    def notify(
        self,
        customer_id: CustomerId,
        *,
        kind: str,
        subject: str,
        body: str,
        invoice_id: InvoiceId | None = None,
        idempotency_key: str,
    ) -> Email:
        """Record an email (cancellation, payment_link, ...) to the customer's email on file."""
        params = {"customer": customer_id, "kind": kind, "subject": subject, "body": body, "invoice": invoice_id}

        def run(conn: Connection) -> Email:
            cust = queries.customer(conn, customer_id)
            if not kind or not subject.strip():
                raise InvalidRequest("kind and subject must not be empty", code="invalid_email")
            if invoice_id is not None and queries.invoice(conn, invoice_id).customer_id != customer_id:
                raise InvalidRequest(f"invoice {invoice_id} is not this customer's", code="not_yours")
            return record_email(
                conn,
                customer_id=cust.id,
                to=cust.email,
                kind=kind,
                subject=subject,
                body=body,
                at=read_clock(conn),
                invoice_id=invoice_id,
            )

        result: Email = self._write(idempotency_key, "notify", params, run, self._deliver)
        self._to_outbox(result)
        return result

    def cancel(
        self,
        subscription_id: SubscriptionId,
        *,
        effective: Literal["period_end", "now"],
        idempotency_key: str,
    ) -> Subscription:
        """Cancel at the period end (`cancel_at_period_end`) or now (canceled, ended_at now)."""

        def run(conn: Connection) -> Subscription:
            return sub_ops.cancel(conn, subscription_id, effective=effective, now=read_clock(conn))

        result: Subscription = self._write(idempotency_key, "cancel", {"sub": subscription_id, "e": effective}, run)
        return result

    def attach_test_card(
        self, customer_id: CustomerId, behavior: PaymentBehavior, *, idempotency_key: str
    ) -> PaymentMethod:
        """A new default card with a test behaviour (what the sandbox's `/pay` page does)."""

        def run(conn: Connection) -> PaymentMethod:
            return cards.attach_test_card(conn, customer_id, behavior, read_clock(conn))

        params = {"customer": customer_id, "behavior": behavior.value}
        result: PaymentMethod = self._write(idempotency_key, "attach_test_card", params, run)
        return result

    def next_billing_at(self) -> datetime | None:
        """When the next renewal, trial end, resume or automatic retry is due (None: nothing is)."""
        with self.db.read() as conn:
            return cards.next_billing_at(conn, read_clock(conn))

    def mark_uncollectible(self, invoice_id: InvoiceId, *, idempotency_key: str) -> None:
        """Give up on an open invoice (status uncollectible; no more retries)."""

        def run(conn: Connection) -> None:
            cards.mark_uncollectible(conn, invoice_id, read_clock(conn))

        self._write(idempotency_key, "mark_uncollectible", {"invoice": invoice_id}, run)

    def open_dispute(self, charge_id: ChargeId, *, reason: str = "fraudulent", idempotency_key: str) -> None:
        """Simulate a chargeback on a charge (tests and demos): the charge becomes disputed."""

        def run(conn: Connection) -> None:
            from purser.domain import Dispute
            from purser.domain.ids import DisputeId
            from purser.processors.sandbox.events import new_id

            now = read_clock(conn)
            queries.lock_owner(conn, t.charges, charge_id)  # customer first (queries.py: lock order)
            charge = queries.charge(conn, charge_id, lock=True)
            dispute = Dispute(DisputeId(new_id("dp")), charge.id, charge.refundable, "needs_response", reason, now)
            BulkImporter(conn).import_dispute(dispute)
            emit(conn, "charge.dispute.created", dispute, now, customer_id=charge.customer_id)
            emit(conn, "charge.updated", replace(charge, disputed=True), now, customer_id=charge.customer_id)

        self._write(idempotency_key, "open_dispute", {"charge": charge_id, "reason": reason}, run)
