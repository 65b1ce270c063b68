"""`Dunning`: opens cases from failed payments, closes them on payment or cancellation, and runs the
cadence's due actions against the processor's clock.

Every effect is keyed so that a re-run (a replayed webhook, two workers, a worker killed mid-step)
does it once: a case per invoice (`dc_<invoice>`), a retry under the processor idempotency key
`dunning:{case}:{step}`, an email under `dunning:{case}:{step}:notify`, the payment link kept per
step before the message is built, and each action recorded once in `dn_steps` after it ran.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from purser.domain import AccountSnapshot, Event, Invoice, InvoiceStatus, SubscriptionStatus
from purser.domain.ids import CustomerId, InvoiceId, SubscriptionId
from purser.dunning import outreach
from purser.dunning.cadence import PlannedAction, due_actions, plan, timezone_for
from purser.dunning.cases import CaseStatus, DunningCase, RecoveredBy, StepAction, StepRecord, case_id_for
from purser.errors import PurserError
from purser.money import Money
from purser.policy.schema import DunningPolicy
from purser.ports.dunning import AuditSink, CustomerNotifier, DunningRepository, LinkIssuer, Uncollectible
from purser.processors.base import BillingProcessor
from purser.processors.errors import CardDeclined, Conflict, NotFound, ProcessorError

__all__ = ["PAY_PURPOSE", "Dunning", "TickReport"]

log = logging.getLogger(__name__)

PAY_PURPOSE = "pay"
"""The signed-link purpose of the payment-method page."""

LINK_TTL = timedelta(days=7)
"""How long a `/pay` link works (the next outreach carries a fresh one)."""

_CURSOR = "processor_events"
_ZONE_CACHE = 100_000
_INVOICE_SETTLED = frozenset(
    {"invoice.paid", "invoice.payment_succeeded", "invoice.marked_uncollectible", "invoice.voided"}
)
_SUBSCRIPTION_CHANGED = frozenset({"customer.subscription.deleted", "customer.subscription.updated"})
NEW_CARD_EVENTS = frozenset({"payment_method.attached", "setup_intent.succeeded"})
"""Events saying the customer put a card on file."""
HANDLED_EVENTS = ("invoice.", "customer.subscription.", *sorted(NEW_CARD_EVENTS))
"""Prefixes of the event types dunning reads."""


@dataclass
class TickReport:
    """What one pass over the open cases did."""

    opened: int = 0
    retries: int = 0
    notified: int = 0
    recovered: int = 0
    closed: int = 0
    lines: list[str] = field(default_factory=list)


class Dunning:
    """The dunning service (DESIGN §10)."""

    def __init__(
        self,
        *,
        processor: BillingProcessor,
        repo: DunningRepository,
        policy: DunningPolicy,
        links: LinkIssuer,
        audit: AuditSink | None = None,
        notifier: CustomerNotifier | None = None,
    ) -> None:
        self.processor = processor
        self.repo = repo
        self.policy = policy
        self.links = links
        self.audit = audit
        self.notifier = notifier
        self._zones: dict[str, tzinfo | None] = {}
        self._seen: tuple[str | None, set[str]] = (None, set())

    # -- events -------------------------------------------------------------------------------
    def on_event(self, event: Event, report: TickReport | None = None) -> None:
        """Handle one processor event (a webhook, or the sandbox's own stream); safe to repeat and reorder."""
        obj = event.data.get("object") or {}
        if not isinstance(obj, dict):
            return
        if event.type == "invoice.payment_failed":
            self.open_from_failure(InvoiceId(str(obj["id"])), CustomerId(str(obj["customer"])), event, report)
        elif event.type in _INVOICE_SETTLED:
            case = self.repo.get(case_id_for(str(obj.get("id"))))
            if case is not None and case.is_open:
                self.reconcile(case, report)
        elif event.type in _SUBSCRIPTION_CHANGED and obj.get("status") == SubscriptionStatus.CANCELED.value:
            case = self.repo.open_case_of_customer(str(obj.get("customer")))
            if case is not None:
                self.reconcile(case, report)
        elif event.type in NEW_CARD_EVENTS and obj.get("customer"):
            self._new_card(obj)

    def _new_card(self, obj: dict[str, Any]) -> None:
        # A card put on file anywhere (Stripe's portal, the sandbox page) retries an open case at once.
        from purser.dunning.payment import retry_with_new_card

        case = self.repo.open_case_of_customer(str(obj["customer"]))
        card_ref = str(obj.get("payment_method") or obj.get("id") or "")
        if case is None or not card_ref:
            return
        card = obj.get("card")
        last4 = card.get("last4") if isinstance(card, dict) else None
        label = (
            f"{str(card.get('brand') or 'card').title()} ending {last4}"
            if isinstance(card, dict) and last4
            else "new card"
        )
        with suppress(PurserError):  # settled meanwhile: nothing to retry
            retry_with_new_card(self, case, card_ref=card_ref, card=label)

    def sync(self, report: TickReport | None = None) -> int:
        """Read the processor's events since the last sync and handle them (the sandbox's path; Stripe's
        arrive as webhooks). Returns how many were read."""
        cursor = self.repo.cursor(_CURSOR)
        since = datetime.fromisoformat(cursor) if cursor else None
        found = self.processor.events(since=since)
        # Events at the cursor's own instant are read again next time (handling is idempotent); this
        # process remembers which of them it handled, so it skips them (another process handles them
        # once more, harmlessly).
        seen = self._seen if self._seen[0] == cursor else (cursor, set())
        for event in found:
            if event.id not in seen[1] and event.type.startswith(HANDLED_EVENTS):
                self.on_event(event, report)
        if found:
            newest = max(e.created for e in found)
            self.repo.set_cursor(_CURSOR, newest.isoformat())
            self._seen = (newest.isoformat(), {e.id for e in found if e.created == newest})
        return len(found)

    def open_from_failure(
        self, invoice_id: InvoiceId, customer_id: CustomerId, event: Event | None, report: TickReport | None = None
    ) -> DunningCase | None:
        """Open the invoice's case (once), if the invoice is still unpaid and dunning is enabled."""
        if not self.policy.enabled:
            return None
        snap = self.processor.snapshot(customer_id)
        invoice = _invoice_of(snap, invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.OPEN:
            return None  # paid, voided or unknown by the time we look: nothing to recover
        reason = _failure_code(event, snap, invoice_id)
        existing = self.repo.get(case_id_for(invoice_id))
        if existing is not None:
            if existing.is_open and reason != existing.decline_reason and event is not None:
                self.repo.set_decline_reason(existing.id, reason)
            return existing
        card = snap.default_payment_method
        due = invoice.total - (invoice.amount_paid or Money.zero(invoice.total.currency))
        opened_at = event.created if event is not None else snap.now
        case, created = self.repo.open_case(
            DunningCase(
                id=case_id_for(invoice_id),
                invoice_id=invoice_id,
                customer_id=customer_id,
                subscription_id=SubscriptionId(invoice.subscription_id) if invoice.subscription_id else None,
                amount=due,
                card_brand=card.brand if card else None,
                card_last4=card.last4 if card else None,
                decline_reason=reason,
                opened_at=opened_at,
            )
        )
        if created:
            self.record_audit("dunning.opened", case, reason=reason)
            if report is not None:
                report.opened += 1
                report.lines.append(f"{case.customer_id}: case {case.id} opened ({case.amount.format()}, {reason})")
        return case

    # -- closing ------------------------------------------------------------------------------
    def reconcile(self, case: DunningCase, report: TickReport | None = None) -> bool:
        """Close the case if the invoice was paid or given up, or the subscription ended; True when closed."""
        snap = self.processor.snapshot(case.customer_id)
        invoice = _invoice_of(snap, case.invoice_id)
        if invoice is None:
            return self.close_case(case, CaseStatus.LOST, snap.now, "invoice_missing", report=report)
        if invoice.status is InvoiceStatus.PAID:
            return self.close_case(case, CaseStatus.RECOVERED, snap.now, "paid", RecoveredBy.ELSEWHERE, report=report)
        if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE):
            return self.close_case(case, CaseStatus.LOST, snap.now, f"invoice_{invoice.status.value}", report=report)
        sub = snap.subscription
        if sub is not None and sub.id == case.subscription_id and sub.status is SubscriptionStatus.CANCELED:
            return self.close_case(case, CaseStatus.CANCELED, snap.now, "subscription_canceled", report=report)
        return False

    def close_case(
        self,
        case: DunningCase,
        status: CaseStatus,
        at: datetime,
        reason: str,
        by: RecoveredBy | None = None,
        *,
        report: TickReport | None,
    ) -> bool:
        if not self.repo.close(case.id, status, at=at, reason=reason, recovered_by=by):
            return False
        self.record_audit(
            "dunning.closed", case, status=status.value, reason=reason, recovered_by=by.value if by else None
        )
        if report is not None:
            report.closed += 1
            report.recovered += status is CaseStatus.RECOVERED
            report.lines.append(f"{case.customer_id}: case {case.id} {status.value} ({reason})")
        return True

    def confirm_recovery(self, case: DunningCase, *, card: str, paid_at: datetime) -> None:
        """The written confirmation (email kind `dunning_recovered`), once per case."""
        message = outreach.recovered(case, card=card, paid_at=paid_at)
        self.processor.notify(
            case.customer_id,
            kind="dunning_recovered",
            subject=message.subject,
            body=message.text,
            invoice_id=case.invoice_id,
            idempotency_key=f"dunning:{case.id}:recovered",
        )

    # -- the cadence --------------------------------------------------------------------------
    def tick(self, report: TickReport | None = None, *, batch: int = 500) -> TickReport:
        """Run every open case's due actions at `processor.now()`."""
        report = report or TickReport()
        if not self.policy.enabled:
            return report
        after = None
        now = self.processor.now()
        while True:
            cases = self.repo.open_cases(limit=batch, after=after)
            if not cases:
                return report
            for case in cases:
                self.run_case(case, report, now=now)
            after = cases[-1].id

    def next_due(self) -> datetime | None:
        """When the earliest pending action of any open case comes up (None: nothing pending)."""
        earliest: datetime | None = None
        after = None
        while cases := self.repo.open_cases(limit=500, after=after):
            for case in cases:
                for action in plan(case, self.policy, self.zone(case)):
                    if case.done(action.step, action.action) is None:
                        earliest = action.due_at if earliest is None else min(earliest, action.due_at)
                        break
            after = cases[-1].id
        return earliest

    def run_case(self, case: DunningCase, report: TickReport | None = None, *, now: datetime | None = None) -> None:
        """Run the case's due actions at `now` (the processor's clock by default), oldest first, until none
        is due or the case closes."""
        report = report or TickReport()
        now = now or self.processor.now()
        zone = self.zone(case)
        # Nothing due: nothing to read from the processor (payments and cancellations arrive as events).
        if not due_actions(case, self.policy, zone, now) or self.reconcile(case, report):
            return
        for _ in range(3 * len(self.policy.steps) + 2):  # bounded: each pass records one action
            fresh = self.repo.get(case.id)
            if fresh is None or not fresh.is_open:
                return
            due = due_actions(fresh, self.policy, zone, now)
            if not due:
                return
            self._run(fresh, due[0], now, report)

    def zone(self, case: DunningCase) -> tzinfo | None:
        """The customer's time zone (from the billing country; None when unknown), read once per customer
        and process: quiet hours only shift, so a country changed mid-case moves the next message at worst."""
        if case.customer_id not in self._zones:
            try:
                country = self.processor.snapshot(case.customer_id).customer.address.country
            except NotFound:
                country = None
            if len(self._zones) >= _ZONE_CACHE:
                self._zones.clear()
            self._zones[case.customer_id] = timezone_for(country)
        return self._zones[case.customer_id]

    def _run(self, case: DunningCase, action: PlannedAction, now: datetime, report: TickReport) -> None:
        if action.action is StepAction.RETRY:
            self._retry(case, action, now, report)
        elif action.action is StepAction.NOTIFY:
            self._notify(case, action, now, report)
        else:
            self._final(case, action, now, report)

    def _record(self, case: DunningCase, action: PlannedAction, now: datetime, outcome: str) -> bool:
        done = self.repo.record_step(case.id, StepRecord(action.step, action.action, now, outcome))
        if done:
            self.record_audit(f"dunning.{action.action.value}", case, step=action.step, outcome=outcome)
        return done

    def _retry(self, case: DunningCase, action: PlannedAction, now: datetime, report: TickReport) -> None:
        if action.skip:
            self._record(case, action, now, f"skipped:{case.decline_reason}")
            return
        report.retries += 1
        try:
            self.processor.retry_invoice(case.invoice_id, idempotency_key=f"dunning:{case.id}:{action.step}")
        except CardDeclined as exc:
            self.repo.set_decline_reason(case.id, exc.code)
            self._record(case, action, now, f"declined:{exc.code}")
            report.lines.append(f"{case.customer_id}: retry {action.step} declined ({exc.code})")
            return
        except Conflict:
            self._record(case, action, now, "not_open")
            self.reconcile(case, report)
            return
        self._record(case, action, now, "paid")
        if self.close_case(case, CaseStatus.RECOVERED, now, "paid", RecoveredBy.RETRY, report=report):
            self.confirm_recovery(case, card=case.card, paid_at=now)

    def _notify(self, case: DunningCase, action: PlannedAction, now: datetime, report: TickReport) -> None:
        url = self.repo.save_link(case.id, action.step, self._issue_link(case))
        upcoming = [
            a.due_at
            for a in plan(case, self.policy, None)
            if a.action is StepAction.RETRY and not a.skip and a.due_at > now and case.done(a.step, a.action) is None
        ]
        message = outreach.outreach(case, link_url=url, step=action.step, next_retry=min(upcoming, default=None))
        outcome = "email"
        sent = False
        if self.policy.channel == "preferred" and self.notifier is not None:
            sent = self.notifier.notify(case.customer_id, message.text)
            outcome = "channel" if sent else outcome
        if not sent:
            self.processor.notify(
                case.customer_id,
                kind="dunning",
                subject=message.subject,
                body=message.text,
                invoice_id=case.invoice_id,
                idempotency_key=f"dunning:{case.id}:{action.step}:notify",
            )
        if self._record(case, action, now, outcome):
            report.notified += 1
            report.lines.append(f"{case.customer_id}: outreach {action.step} by {outcome}")

    def _issue_link(self, case: DunningCase) -> str:
        payload = {"case": case.id, "customer": case.customer_id, "invoice": case.invoice_id}
        return self.links.issue(PAY_PURPOSE, payload, ttl=LINK_TTL, path="pay")

    def _final(self, case: DunningCase, action: PlannedAction, now: datetime, report: TickReport) -> None:
        final = self.policy.final
        key = f"dunning:{case.id}:final"
        outcome: str = final
        try:
            if final == "cancel" and case.subscription_id is not None:
                self.processor.cancel(case.subscription_id, effective="now", idempotency_key=key)
            elif final == "uncollectible":
                if isinstance(self.processor, Uncollectible):
                    self.processor.mark_uncollectible(case.invoice_id, idempotency_key=key)
                else:
                    outcome = "uncollectible:not_supported"
        except ProcessorError as exc:
            outcome = f"{final}:failed:{exc.code}"
            log.warning("dunning final %s of %s failed: %s", final, case.id, exc.code)
        if final == "handoff":
            self.record_audit("dunning.handoff", case, summary=_handoff_summary(case))
        self._record(case, action, now, outcome)
        status = (
            CaseStatus.CANCELED if final == "cancel" and not outcome.startswith("cancel:failed") else CaseStatus.LOST
        )
        self.close_case(case, status, now, f"final:{final}", report=report)

    def record_audit(self, kind: str, case: DunningCase, **data: Any) -> None:
        if self.audit is not None:
            payload = {"case": case.id, "invoice": case.invoice_id, "customer": case.customer_id, **data}
            self.audit.append(kind, actor="system:dunning", data=payload)


def _failure_code(event: Event | None, snap: AccountSnapshot, invoice_id: str) -> str:
    """The decline reason: the event's `failure_code` (sandbox), else the invoice's latest failed charge."""
    if event is not None:
        code = event.data.get("failure_code")
        if isinstance(code, str) and code:
            return code
    failed = [c for c in snap.charges if c.invoice_id == invoice_id and c.failure_code]
    return failed[0].failure_code or "card_declined" if failed else "card_declined"


def _handoff_summary(case: DunningCase) -> str:
    return (
        f"Dunning ran out for {case.customer_id}: {outreach.case_summary(case)}. "
        "Every step ran without payment; please reach out personally."
    )


def _invoice_of(snap: AccountSnapshot, invoice_id: str) -> Invoice | None:
    """The customer's invoice by id."""
    return next((i for i in snap.invoices if i.id == invoice_id), None)
