"""Reading the `lookup_account` result: charges, invoices, duplicates, formatting.

The account JSON is the one CONTRACTS.md fixes (amounts as decimal strings in
major units plus `currency`, ISO 8601 UTC times). Amounts are shown with
`purser.money.Money(...).format()` so every currency gets its own symbol and
exactly its own number of decimals ("$15.00", "¥1,500").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from purser.domain.dates import format_date
from purser.models.offline.slots import AmountSlot, DateSpan, plan_base

__all__ = [
    "Account",
    "fmt_date",
    "fmt_money",
    "money_minor",
    "parse_time",
]


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from the account JSON (None when absent or malformed)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fmt_date(value: Any) -> str:
    """ "1 November 2026" (the cards' `long` style) for an ISO time or a date; the input unchanged otherwise."""
    when: date | None = value if isinstance(value, date) else None
    if isinstance(value, str):
        parsed = parse_time(value)
        when = parsed.date() if parsed else None
    if when is None:
        return str(value)
    return format_date(when, "long")


def fmt_money(amount: Any, currency: Any) -> str:
    """Format a decimal-string amount in its currency ("$20.00"); falls back to "20.00 USD"."""
    return _fmt_money(str(amount), str(currency))


@lru_cache(maxsize=4096)
def _fmt_money(amount: str, currency: str) -> str:
    # bounded memo: a reply names the same few amounts of an account again and again, and the
    # locale-aware formatting is the costly part
    from purser.money import Money

    try:
        return Money.parse(amount, currency).format()
    except (ValueError, TypeError):
        return f"{amount} {currency.upper()}".strip()


def money_minor(amount: Any, currency: Any) -> int | None:
    """Minor units of a decimal-string amount, or None when it cannot be read exactly."""
    from purser.money import Money

    try:
        return Money.parse(str(amount), str(currency)).minor
    except (ValueError, TypeError):
        return None


_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def _mentions_word(text: str, word: str) -> bool:
    """`word` occurs in `text` with no ASCII letter or digit right before or after it.

    The same test as the regex `(?<![A-Za-z0-9])WORD(?![A-Za-z0-9])`, without compiling a pattern per
    invoice number (each account has its own numbers, so such patterns only churned `re`'s cache).
    """
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or text[at - 1] not in _ALNUM) and (end == len(text) or text[end] not in _ALNUM):
            return True
        at = text.find(word, at + 1)
    return False


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


class Account:
    """Convenience view over one `lookup_account` result."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        now = parse_time(data.get("now"))
        self.now: datetime = now or datetime.now(UTC)
        self.dated = now is not None
        """The result says its own "now" (else the clock's is used): the view is a pure function of the data."""
        self.customer: dict[str, Any] = data.get("customer") or {}
        self.subscription: dict[str, Any] | None = data.get("subscription") or None
        self.charges: list[dict[str, Any]] = list(data.get("charges") or [])
        self.invoices: list[dict[str, Any]] = list(data.get("invoices") or [])
        self.refunds: list[dict[str, Any]] = list(data.get("refunds") or [])
        self.plans: list[dict[str, Any]] = list(data.get("plans") or [])
        cur = (self.subscription or {}).get("plan") or {}
        self.currency: str = str(cur.get("currency") or (self.charges[0]["currency"] if self.charges else "usd"))
        # what the view derives, kept: the data is never changed after the lookup, and one view serves
        # every request of a conversation until the next lookup (`dialogue.latest_account`)
        self._plan_names: tuple[str, ...] | None = None
        self._open_charges: list[dict[str, Any]] | None = None
        self._duplicates: list[dict[str, Any]] | None = None
        self._invoice_refs: dict[str, tuple[str, ...]] = {}
        self._object_ids: frozenset[str] | None = None

    # -- plan ---------------------------------------------------------------------------
    @property
    def plan(self) -> dict[str, Any] | None:
        """The current plan (id, name, amount, currency, interval, per_seat)."""
        sub = self.subscription
        plan = sub.get("plan") if sub else None
        return plan if isinstance(plan, dict) else None

    def plan_label(self, plan: dict[str, Any] | None = None) -> str:
        """ "Pro (monthly, $20.00)"."""
        plan = plan or self.plan
        if not plan:
            return "no plan"
        interval = {"month": "monthly", "year": "yearly"}.get(str(plan.get("interval")), str(plan.get("interval")))
        price = fmt_money(plan.get("amount"), plan.get("currency") or self.currency)
        per = " per seat" if plan.get("per_seat") else ""
        return f"{plan.get('name')} ({interval}, {price}{per})"

    def plan_names(self) -> tuple[str, ...]:
        """Lowercase plan names, also without interval words ("business annual" and "business")."""
        if self._plan_names is None:
            named = [p for p in self.plans if p.get("name")]
            self._plan_names = tuple(
                sorted({str(p.get("name", "")).lower() for p in named} | {plan_base(p) for p in named})
            )
        return self._plan_names

    def object_ids(self) -> frozenset[str]:
        """Every object id in the lookup result (customer, subscription, charges, invoices, ...)."""
        if self._object_ids is None:
            self._object_ids = frozenset(_object_ids(self.data, set()))
        return self._object_ids

    # -- charges ------------------------------------------------------------------------
    def charge_date(self, charge: dict[str, Any]) -> date | None:
        """The day a charge was created."""
        when = parse_time(charge.get("created"))
        return when.date() if when else None

    def describe_charge(self, charge: dict[str, Any]) -> str:
        """ "$20.00 on 1 November 2026 (invoice PUR-0006)"."""
        text = f"{fmt_money(charge.get('amount'), charge.get('currency'))} on {fmt_date(charge.get('created'))}"
        if charge.get("invoice_number"):
            text += f" (invoice {charge['invoice_number']})"
        refunded = _decimal(charge.get("refunded"))
        if charge.get("refunded") is True or not self.refundable(charge):
            text += " — already refunded"
        elif refunded:
            text += f" — {fmt_money(charge.get('refunded'), charge.get('currency'))} already refunded"
        return text

    @staticmethod
    def refundable(charge: dict[str, Any]) -> bool:
        """True when something of the charge is left to refund."""
        if charge.get("refunded") is True:
            return False
        left = _decimal(charge.get("refundable"))
        if isinstance(charge.get("refundable"), str) and left is not None:
            return left > 0
        return not charge.get("refunded")

    def open_charges(self) -> list[dict[str, Any]]:
        """Charges that succeeded and are not fully refunded, newest first."""
        if self._open_charges is None:
            self._open_charges = [
                c for c in self.charges if c.get("status", "succeeded") == "succeeded" and self.refundable(c)
            ]
        return list(self._open_charges)  # the caller's own list

    def duplicates(self) -> list[dict[str, Any]]:
        """Later charges that duplicate an earlier one (same invoice, or same amount within a day)."""
        if self._duplicates is None:
            self._duplicates = self._find_duplicates()
        return list(self._duplicates)  # the caller's own list

    def _find_duplicates(self) -> list[dict[str, Any]]:
        dups: list[dict[str, Any]] = []
        ordered = sorted(self.open_charges(), key=lambda c: str(c.get("created", "")))
        for i, charge in enumerate(ordered):
            for earlier in ordered[:i]:
                same_amount = earlier.get("amount") == charge.get("amount")
                if not same_amount or earlier.get("currency") != charge.get("currency"):
                    continue
                same_invoice = bool(charge.get("invoice")) and charge.get("invoice") == earlier.get("invoice")
                t1, t2 = parse_time(earlier.get("created")), parse_time(charge.get("created"))
                close = bool(t1 and t2 and abs((t2 - t1).total_seconds()) < 86400) and not (
                    charge.get("invoice") and earlier.get("invoice")
                )
                if same_invoice or close:
                    dups.append(charge)
                    break
        return sorted(dups, key=lambda c: str(c.get("created", "")), reverse=True)

    def filter_charges(
        self,
        charges: list[dict[str, Any]],
        spans: Sequence[DateSpan],
        amounts: list[AmountSlot],
        refs: list[str],
    ) -> list[dict[str, Any]]:
        """Charges matching the customer's references: ids/invoice numbers, dates, amounts."""
        out = charges
        if refs:
            lowered = {r.lower() for r in refs}
            out = [
                c
                for c in out
                if str(c.get("id", "")).lower() in lowered
                or str(c.get("invoice", "")).lower() in lowered
                or str(c.get("invoice_number", "")).lower() in lowered
            ]
        if spans:
            out = [c for c in out if any((d := self.charge_date(c)) and s.contains(d) for s in spans)]
        if amounts:
            out = [c for c in out if any(self.amount_matches(c, a) for a in amounts)]
        return out

    def amount_matches(self, item: dict[str, Any], slot: AmountSlot) -> bool:
        """True when the item's amount equals the slot's (same currency when one was named)."""
        currency = str(item.get("currency") or self.currency)
        if slot.currency and slot.currency != currency:
            return False
        try:
            return Decimal(str(item.get("amount", item.get("total")))) == slot.value
        except ArithmeticError:
            return False

    # -- invoices -----------------------------------------------------------------------
    def invoice_refs(self, raw: str) -> list[str]:
        """Invoice ids, invoice numbers and charge ids the raw text mentions (exact, case-insensitive)."""
        refs = self._invoice_refs.get(raw)
        if refs is None:
            if len(self._invoice_refs) >= 64:  # bounded: a turn asks about a handful of texts
                self._invoice_refs.clear()
            refs = self._invoice_refs[raw] = tuple(self._find_invoice_refs(raw))
        return list(refs)

    def _find_invoice_refs(self, raw: str) -> list[str]:
        found: list[str] = []
        lowered = raw.lower()
        for token in re.findall(r"\b(?:ch|in)_[A-Za-z0-9_]+", raw):
            found.append(token)
        for inv in self.invoices:
            number = str(inv.get("number") or "")
            if number and _mentions_word(lowered, number.lower()):
                found.append(number)
        if not found:
            # "invoice 0006" / "invoice #6": the numeric suffix of exactly one invoice number
            for m in re.finditer(r"\b(?:invoice|receipt|number|no\.?|#)\s*#?\s*(\d{1,6})\b", lowered):
                hits = [
                    str(inv.get("number"))
                    for inv in self.invoices
                    if re.search(r"(\d+)$", str(inv.get("number") or ""))
                    and int(re.search(r"(\d+)$", str(inv.get("number"))).group(1)) == int(m.group(1))  # type: ignore[union-attr]
                ]
                if len(hits) == 1:
                    found.append(hits[0])
        return found

    def invoice_by_ref(self, ref: str) -> dict[str, Any] | None:
        """The invoice with that id or number, or the invoice of that charge."""
        low = ref.lower()
        for inv in self.invoices:
            if str(inv.get("id", "")).lower() == low or str(inv.get("number", "")).lower() == low:
                return inv
        for charge in self.charges:
            if str(charge.get("id", "")).lower() == low and charge.get("invoice"):
                return self.invoice_by_ref(str(charge["invoice"]))
        return None

    def invoices_in(self, spans: Sequence[DateSpan]) -> list[dict[str, Any]]:
        """Invoices created inside any of the spans, newest first."""
        out = []
        for inv in self.invoices:
            when = parse_time(inv.get("created"))
            if when and any(s.contains(when.date()) for s in spans):
                out.append(inv)
        return sorted(out, key=lambda i: str(i.get("created", "")), reverse=True)

    def open_invoices(self) -> list[dict[str, Any]]:
        """Invoices still open (unpaid), oldest first."""
        return sorted((i for i in self.invoices if i.get("status") == "open"), key=lambda i: str(i.get("created", "")))


def _object_ids(data: Any, found: set[str]) -> set[str]:
    """Every object id in the customer's `lookup_account` result (customer, subscription, charges, ...), added
    to `found`: a string under "id" or a key ending in "_id", "invoice" or "charge", and a string in a list."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                if key == "id" or key.endswith(("_id", "invoice", "charge")):
                    found.add(value)
            elif isinstance(value, (dict, list)):
                _object_ids(value, found)
    elif isinstance(data, list):
        for value in data:
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, (dict, list)):
                _object_ids(value, found)
    return found
