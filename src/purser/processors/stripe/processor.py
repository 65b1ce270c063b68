"""`StripeProcessor`: the `BillingProcessor` protocol on the official SDK (`StripeClient`).

Calls per lookup are kept low with `expand`: the customer (with tax ids and the default
payment method), one list each of subscriptions (items and prices expanded), invoices,
charges (refunds expanded) and payment methods. Writes carry the gateway's idempotency key.
Guards the adapter keeps itself rather than trusting the server: never refund more than
remains, never refund a disputed charge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import stripe
from stdnum.eu import vat as eu_vat

from purser.domain import (
    AccountSnapshot,
    Address,
    ChargeId,
    Customer,
    CustomerId,
    Email,
    Event,
    Invoice,
    InvoiceId,
    Plan,
    PlanId,
    ProrationLine,
    ProrationQuote,
    Refund,
    Subscription,
    SubscriptionId,
)
from purser.money import Money
from purser.processors.base import ChangeResult, ChangeTiming, PaymentLink, SentEmail
from purser.processors.errors import Conflict, InvalidRequest, NotFound
from purser.processors.stripe import mapping as m
from purser.processors.stripe.client import Obj, call, make_client

if TYPE_CHECKING:
    from purser.config import Settings
    from purser.ports.outbox import Outbox
    from purser.store.db import Database

RETURN_URL = "https://billing.example.com/account"
"""Where the hosted payment-method page sends the customer back (configurable per deployment)."""


class StripeProcessor:
    """Purser on a real (or Stripe-compatible) Stripe account."""

    name = "stripe"

    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        return_url: str = RETURN_URL,
        db: Database | None = None,
        refund_reason_param: bool = True,
        outbox: Outbox | None = None,
    ) -> None:
        self.client = client
        # Stripe-compatible test servers (localstripe) reject `reason`; it always travels in metadata too.
        self.refund_reason_param = refund_reason_param
        self.db = db
        self.v1 = client.v1
        self.return_url = return_url
        self.outbox: list[Email] = []
        """Emails recorded in this process (all of them without `mail`, for tests and inspection)."""
        self.mail = outbox
        """The outbox `notify` sends through (delivered over SMTP by a job); None: record only."""

    @classmethod
    def from_settings(
        cls, settings: Settings, *, db: Database | None = None, outbox: Outbox | None = None
    ) -> StripeProcessor:
        """Built from `STRIPE_API_KEY` and, for a local server, `STRIPE_API_BASE`; emails through `outbox`."""
        if not settings.stripe_api_key:
            raise InvalidRequest("STRIPE_API_KEY is not set", code="configuration")
        client = make_client(settings.stripe_api_key, api_base=settings.stripe_api_base)
        return cls(client, db=db, refund_reason_param=settings.stripe_api_base is None, outbox=outbox)

    # -- reads ------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Stripe runs on wall time."""
        return datetime.now(UTC).replace(microsecond=0)

    def list_customers(self, limit: int = 100, *, after: CustomerId | None = None) -> list[Customer]:
        """The account's customers, newest first (at most 100 a page); `after`: Stripe's `starting_after`."""
        params: dict[str, Any] = {"limit": min(limit, 100)}
        if after is not None:
            params["starting_after"] = after
        page = call(self.v1.customers.list, params, safe=True)
        return [m.customer(obj) for obj in page.get("data", [])]

    def list_plans(self) -> list[Plan]:
        """Active recurring prices (legacy plans on servers without the Prices API)."""
        try:
            page = call(
                self.v1.prices.list,
                {"active": True, "type": "recurring", "limit": 100, "expand": ["data.product"]},
                safe=True,
            )
        except (NotFound, InvalidRequest):
            page = call(self.v1.plans.list, {"limit": 100}, safe=True)
        return [m.plan(obj) for obj in page.get("data", [])]

    def _customer_obj(self, customer_id: CustomerId) -> Obj:
        obj = call(self.v1.customers.retrieve, customer_id, {"expand": ["tax_ids"]}, safe=True)
        if obj.get("deleted"):
            raise NotFound(f"no customer {customer_id}")
        return obj

    def _subscription_obj(self, customer_id: CustomerId) -> Obj | None:
        page = call(
            self.v1.subscriptions.list,
            {"customer": customer_id, "status": "all", "limit": 10},
            safe=True,
        )
        subs = page.get("data", [])
        live = [s for s in subs if s.get("status") != "canceled"]
        chosen = (live or subs or [None])[0]
        return dict(chosen) if chosen is not None else None

    def _schedule_obj(self, sub: Obj) -> Obj | None:
        schedule = m.ref_id(sub.get("schedule"))
        if not schedule:
            return None
        return call(self.v1.subscription_schedules.retrieve, schedule, safe=True)

    def get_customer(self, customer_id: CustomerId) -> Customer:
        """One customer (one `customers.retrieve`). Raises `NotFound`, as `snapshot` does."""
        return m.customer(self._customer_obj(customer_id))

    def snapshot(self, customer_id: CustomerId) -> AccountSnapshot:
        """The customer's whole billing state in a handful of calls."""
        cust = self._customer_obj(customer_id)
        default_pm = m.ref_id((cust.get("invoice_settings") or {}).get("default_payment_method"))
        pms = call(self.v1.payment_methods.list, {"customer": customer_id, "type": "card"}, safe=True)
        sub_obj = self._subscription_obj(customer_id)
        invoices_page = call(self.v1.invoices.list, {"customer": customer_id, "limit": 24}, safe=True)
        charges_page = call(self.v1.charges.list, {"customer": customer_id, "limit": 50}, safe=True)
        plans = self.list_plans()
        by_plan = {p.id: p for p in plans}

        invoices = [m.invoice(obj) for obj in invoices_page.get("data", [])]
        charge_invoice: dict[str, str] = {}
        for obj in invoices_page.get("data", []):
            for ch in m.invoice_charge_ids(obj):
                charge_invoice[ch] = obj["id"]
        charges = [m.charge(obj, charge_invoice.get(obj["id"])) for obj in charges_page.get("data", [])]
        refunds: list[Refund] = []
        for obj in charges_page.get("data", []):
            for ref in (obj.get("refunds") or {}).get("data") or []:
                refunds.append(m.refund(ref, customer_id))

        subscription = plan = scheduled = None
        if sub_obj is not None:
            subscription = m.subscription(sub_obj, self._schedule_obj(sub_obj))
            plan = by_plan.get(subscription.plan_id) or m.plan(m.item_price(m.first_item(sub_obj)))
            if subscription.scheduled_plan_id:
                scheduled = by_plan.get(subscription.scheduled_plan_id)
        open_invoices = [i for i in invoices if i.status.value == "open"]
        past_due = None
        if open_invoices:
            past_due = Money.zero(open_invoices[0].total.currency)
            for inv in open_invoices:
                past_due = past_due + inv.total
        next_amount = None
        if subscription is not None and plan is not None and subscription.status.value != "canceled":
            next_plan = scheduled or plan
            next_amount = next_plan.price_for(subscription.scheduled_quantity or subscription.quantity)
        return AccountSnapshot(
            customer=m.customer(cust),
            now=self.now(),
            payment_methods=tuple(m.payment_method(pm, customer_id, default_pm) for pm in pms.get("data", [])),
            subscription=subscription,
            plan=plan,
            scheduled_plan=scheduled,
            plans=tuple(plans),
            invoices=tuple(sorted(invoices, key=lambda i: i.created, reverse=True)),
            charges=tuple(sorted(charges, key=lambda c: c.created, reverse=True)),
            refunds=tuple(sorted(refunds, key=lambda r: r.created, reverse=True)),
            next_invoice_date=subscription.current_period_end if subscription and next_amount else None,
            next_invoice_amount=next_amount,
            past_due=past_due,
        )

    def invoice_pdf(self, invoice_id: InvoiceId) -> bytes:
        """Purser renders the PDF from Stripe's invoice (the hosted PDF stays at `pdf_url`)."""
        from purser.domain import BillingDetails
        from purser.processors.sandbox.pdf import render_invoice_pdf

        inv_obj = call(self.v1.invoices.retrieve, invoice_id, safe=True)
        inv = m.invoice(inv_obj)
        cust = m.customer(self._customer_obj(inv.customer_id))
        buyer = BillingDetails(name=cust.name, email=cust.email, address=cust.address, vat_id=cust.vat_id)
        return bytes(render_invoice_pdf(inv, buyer=buyer))

    def events(self, since: datetime | None = None) -> list[Event]:
        """Stripe's events, oldest first."""
        params: dict[str, Any] = {"limit": 100}
        if since is not None:
            params["created"] = {"gte": m.unix(since)}
        page = call(self.v1.events.list, params, safe=True)
        return sorted((m.event(obj) for obj in page.get("data", [])), key=lambda e: e.created)

    # -- money writes -----------------------------------------------------------------------
    def refund(
        self,
        charge_id: ChargeId,
        amount: Money,
        *,
        reason: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Refund:
        """A refund with the idempotency key; checks what remains and disputes first."""
        if self._held(charge_id):
            raise InvalidRequest(f"refunds of {charge_id} are on hold: a dispute was opened", code="charge_disputed")
        charge = call(self.v1.charges.retrieve, charge_id, safe=True)
        remaining = int(charge.get("amount") or 0) - int(charge.get("amount_refunded") or 0)
        if charge.get("disputed"):
            raise InvalidRequest(f"charge {charge_id} is disputed and cannot be refunded", code="charge_disputed")
        if amount.currency != charge.get("currency"):
            raise InvalidRequest(f"charge {charge_id} is in {str(charge.get('currency')).upper()}", code="currency")
        if amount.minor <= 0 or amount.minor > remaining:
            raise InvalidRequest(
                f"refund of {amount} exceeds the {Money(remaining, amount.currency)} that remains on {charge_id}",
                code="amount_too_large",
            )
        params: dict[str, Any] = {"charge": charge_id, "amount": amount.minor, "metadata": dict(metadata)}
        if reason in {"duplicate", "fraudulent", "requested_by_customer"}:
            params["metadata"]["reason"] = reason
            if self.refund_reason_param:
                params["reason"] = reason
        obj = call(self.v1.refunds.create, params, idempotency_key=idempotency_key)
        return m.refund(obj, m.ref_id(charge.get("customer")))

    def _held(self, charge_id: str) -> bool:
        # A `charge.dispute.created` webhook puts a hold on the charge before Stripe's own flag may show.
        if self.db is None:
            return False
        from sqlalchemy import select

        from purser.store.stripe_tables import st_refund_holds

        with self.db.read() as conn:
            held = conn.execute(select(st_refund_holds.c.charge_id).where(st_refund_holds.c.charge_id == charge_id))
            return held.first() is not None

    def _sub(self, subscription_id: SubscriptionId) -> Obj:
        return call(self.v1.subscriptions.retrieve, subscription_id, safe=True)

    def preview_change(
        self,
        subscription_id: SubscriptionId,
        *,
        plan_id: PlanId,
        quantity: int,
        timing: ChangeTiming,
        proration_date: datetime,
    ) -> ProrationQuote:
        """`invoices.create_preview` with `proration_date`: Stripe's own proration lines."""
        sub = self._sub(subscription_id)
        item = m.first_item(sub)
        plans = {p.id: p for p in self.list_plans()}
        old = plans.get(PlanId(m.item_price(item)["id"])) or m.plan(m.item_price(item))
        if plan_id not in plans:
            raise NotFound(f"no plan {plan_id}")
        new = plans[plan_id]
        current = m.subscription(sub)
        if timing == "period_end":
            return ProrationQuote(
                subscription_id=subscription_id, from_plan=old, to_plan=new,
                from_quantity=current.quantity, to_quantity=quantity, timing=timing,
                effective_at=current.current_period_end, proration_date=proration_date,
                amount_due_now=Money.zero(new.amount.currency), next_invoice_amount=new.price_for(quantity),
            )  # fmt: skip
        preview = call(
            self.v1.invoices.create_preview,
            {
                "customer": m.ref_id(sub.get("customer")),
                "subscription": subscription_id,
                "subscription_details": {
                    "items": [{"id": item["id"], "price": plan_id, "quantity": quantity}],
                    "proration_date": m.unix(proration_date),
                    "proration_behavior": "always_invoice",
                },
            },
            safe=True,
        )
        lines = []
        total = Money.zero(new.amount.currency)
        for line in (preview.get("lines") or {}).get("data") or []:
            parent = line.get("parent") or {}
            details = parent.get("subscription_item_details") or parent.get("invoice_item_details") or {}
            if not (line.get("proration") or details.get("proration")):
                continue
            amount = m.money(line.get("amount"), line.get("currency") or new.amount.currency)
            total = total + amount
            period = line.get("period") or {}
            lines.append(
                ProrationLine(
                    description=str(line.get("description") or ""),
                    amount=amount,
                    period_start=m.ts(period.get("start")) or proration_date,
                    period_end=m.ts(period.get("end")) or current.current_period_end,
                )
            )
        zero = Money.zero(total.currency)
        return ProrationQuote(
            subscription_id=subscription_id, from_plan=old, to_plan=new,
            from_quantity=current.quantity, to_quantity=quantity, timing=timing,
            effective_at=proration_date, proration_date=proration_date, lines=tuple(lines),
            amount_due_now=total if total.minor > 0 else zero, credit=-total if total.minor < 0 else None,
            next_invoice_amount=new.price_for(quantity),
        )  # fmt: skip

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
        """Now: an update with `always_invoice` at `proration_date`; at the period end: a schedule phase."""
        sub = self._sub(subscription_id)
        item = m.first_item(sub)
        if sub.get("status") == "canceled":
            raise Conflict(f"subscription {subscription_id} is canceled", code="subscription_canceled")
        if timing == "now_prorated":
            updated = call(
                self.v1.subscriptions.update,
                subscription_id,
                {
                    "items": [{"id": item["id"], "price": plan_id, "quantity": quantity}],
                    "proration_behavior": "always_invoice",
                    "proration_date": m.unix(proration_date),
                    "payment_behavior": "error_if_incomplete",
                },
                idempotency_key=idempotency_key,
            )
            latest = m.ref_id(updated.get("latest_invoice"))
            invoice = m.invoice(call(self.v1.invoices.retrieve, latest, safe=True)) if latest else None
            return ChangeResult(subscription=m.subscription(updated), invoice=invoice, charge=None)
        target = {p.id: p for p in self.list_plans()}.get(plan_id)
        if target is None:
            raise NotFound(f"no plan {plan_id}")
        interval = target.interval.value
        schedule_id = m.ref_id(sub.get("schedule"))
        if not schedule_id:
            created = call(
                self.v1.subscription_schedules.create,
                {"from_subscription": subscription_id},
                idempotency_key=f"{idempotency_key}:schedule",
            )
            schedule_id = created["id"]
        current_price = m.item_price(item)["id"]
        schedule = call(
            self.v1.subscription_schedules.update,
            schedule_id,
            {
                "end_behavior": "release",
                "phases": [
                    {
                        "items": [{"price": current_price, "quantity": int(item.get("quantity") or 1)}],
                        "start_date": item.get("current_period_start") or sub.get("current_period_start"),
                        "end_date": item.get("current_period_end") or sub.get("current_period_end"),
                    },
                    {
                        "items": [{"price": plan_id, "quantity": quantity}],
                        "duration": {"interval": interval, "interval_count": 1},
                    },
                ],
            },
            idempotency_key=idempotency_key,
        )
        return ChangeResult(
            subscription=m.subscription(self._sub(subscription_id), schedule), invoice=None, charge=None
        )

    def retry_invoice(self, invoice_id: InvoiceId, *, idempotency_key: str) -> Invoice:
        """`invoices.pay` on the default payment method; a decline raises `CardDeclined`."""
        return m.invoice(call(self.v1.invoices.pay, invoice_id, idempotency_key=idempotency_key))

    # -- other writes -----------------------------------------------------------------------
    def send_invoice(self, invoice_id: InvoiceId, *, idempotency_key: str) -> SentEmail:
        """Finalize and send an open invoice through Stripe; a paid one is emailed with its hosted links."""
        obj = call(self.v1.invoices.retrieve, invoice_id, safe=True)
        if obj.get("status") == "draft":
            obj = call(self.v1.invoices.finalize_invoice, invoice_id, idempotency_key=f"{idempotency_key}:fin")
        inv = m.invoice(obj)
        cust = m.customer(self._customer_obj(inv.customer_id))
        if obj.get("status") == "open" and obj.get("collection_method") == "send_invoice":
            call(self.v1.invoices.send_invoice, invoice_id, idempotency_key=idempotency_key)
            return SentEmail(invoice=inv, to=cust.email)
        links = "\n".join(x for x in (inv.hosted_url, inv.pdf_url) if x)
        email = self.notify(
            inv.customer_id, kind="invoice", subject=f"Invoice {inv.number}",
            body=f"Your invoice {inv.number} ({inv.total.format()}).\n{links}", invoice_id=invoice_id,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return SentEmail(invoice=inv, to=cust.email, email=email)

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
        """Name, email and address on the customer; the VAT id as an `eu_vat` tax id (validated first)."""
        if vat_id is not None and not eu_vat.is_valid(vat_id):
            raise InvalidRequest(f"{vat_id!r} is not a valid EU VAT number", code="invalid_vat_id")
        params: dict[str, Any] = {}
        if name is not None:
            params["name"] = name
        if email is not None:
            params["email"] = email
        if address is not None:
            params["address"] = {k: v for k, v in vars_of(address).items() if v is not None}
        if params:
            call(self.v1.customers.update, customer_id, params, idempotency_key=idempotency_key)
        if vat_id is not None:
            compact = eu_vat.compact(vat_id)
            existing = self._customer_obj(customer_id)
            for tax_id in (existing.get("tax_ids") or {}).get("data") or []:
                if tax_id.get("type") == "eu_vat" and tax_id.get("value") != compact:
                    call(self.v1.customers.tax_ids.delete, customer_id, tax_id["id"])
            if m.vat_id_of(existing) != compact:
                call(
                    self.v1.customers.tax_ids.create,
                    customer_id,
                    {"type": "eu_vat", "value": compact},
                    idempotency_key=f"{idempotency_key}:vat",
                )
        return m.customer(self._customer_obj(customer_id))

    def payment_method_link(self, customer_id: CustomerId, *, idempotency_key: str) -> PaymentLink:
        """A Billing Portal session opened on the payment-method-update flow."""
        session = call(
            self.v1.billing_portal.sessions.create,
            {
                "customer": customer_id,
                "return_url": self.return_url,
                "flow_data": {"type": "payment_method_update"},
            },
            idempotency_key=idempotency_key,
        )
        return PaymentLink(url=str(session["url"]))

    def pause(self, subscription_id: SubscriptionId, *, resumes_at: datetime, idempotency_key: str) -> Subscription:
        """`pause_collection` (invoices voided while paused) until `resumes_at`."""
        obj = call(
            self.v1.subscriptions.update,
            subscription_id,
            {"pause_collection": {"behavior": "void", "resumes_at": m.unix(resumes_at)}},
            idempotency_key=idempotency_key,
        )
        return m.subscription(obj)

    def resume(self, subscription_id: SubscriptionId, *, idempotency_key: str) -> Subscription:
        """Clear `pause_collection` and withdraw a scheduled cancellation (`cancel_at_period_end=false`)."""
        obj = call(
            self.v1.subscriptions.update,
            subscription_id,
            {"pause_collection": "", "cancel_at_period_end": False},
            idempotency_key=idempotency_key,
        )
        return m.subscription(obj)

    def cancel(
        self, subscription_id: SubscriptionId, *, effective: Literal["period_end", "now"], idempotency_key: str
    ) -> Subscription:
        """`cancel_at_period_end` or an immediate cancel."""
        if effective == "now":
            obj = call(self.v1.subscriptions.cancel, subscription_id, idempotency_key=idempotency_key)
        else:
            obj = call(
                self.v1.subscriptions.update,
                subscription_id,
                {"cancel_at_period_end": True},
                idempotency_key=idempotency_key,
            )
        return m.subscription(obj)

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
        """Purser's own written confirmation (Stripe sends no such email), sent once per key through the
        outbox (delivered over SMTP by a job); recorded in `outbox` when no mail outbox is wired."""
        for sent in self.outbox:
            if sent.id == idempotency_key:
                return sent
        cust = m.customer(self._customer_obj(customer_id))
        if self.mail is not None and cust.email:
            from purser.ports.outbox import OutgoingEmail

            message = OutgoingEmail(to=cust.email, subject=subject, text=body, kind=kind, customer_id=customer_id)
            entry = self.mail.send(message, key=f"stripe.notify:{idempotency_key}")
            email = Email(
                id=idempotency_key, customer_id=customer_id, to=cust.email, kind=kind, subject=subject, body=body,
                sent_at=entry.created_at, invoice_id=invoice_id,
            )  # fmt: skip
            self.outbox.append(email)
            return email
        email = Email(
            id=idempotency_key, customer_id=customer_id, to=cust.email, kind=kind, subject=subject, body=body,
            sent_at=self.now(), invoice_id=invoice_id,
        )  # fmt: skip
        self.outbox.append(email)
        return email


def vars_of(address: Address) -> dict[str, Any]:
    """An Address as Stripe's address parameters."""
    return {
        "line1": address.line1,
        "city": address.city,
        "postal_code": address.postal_code,
        "country": address.country,
    }


__all__ = [
    "RETURN_URL",
    "StripeProcessor",
    "vars_of",
]
