"""Answers that need no tool call: account questions, knowledge answers, small talk."""

from __future__ import annotations

import importlib
import re
from decimal import Decimal
from typing import Any

from purser.models.offline.account import Account, fmt_date, fmt_money, money_minor
from purser.models.offline.cues import VAT_ID_SHOWN_QUESTION, VAT_PAID_QUESTION
from purser.models.offline.questions import WHEN_CHARGED
from purser.money import InvalidAmount, Money

__all__ = ["account_answer", "knowledge_answer", "social_reply"]

CAPABILITIES = (
    "refunds, charges and invoices, billing details, plan and seat changes, payment methods, "
    "pausing, resuming or cancelling your subscription"
)


def _a(word: str) -> str:
    """`word` with its indefinite article ("a Visa", "an Amex")."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _period_total(acct: Account, quantity: int) -> str | None:
    """What `quantity` seats of the current plan cost per billing period ("$99.00 per month")."""
    plan = acct.plan or {}
    try:
        unit = Money.parse(str(plan.get("amount")), str(plan.get("currency") or acct.currency))
    except (InvalidAmount, ValueError):
        return None
    total = Money(unit.minor * quantity, unit.currency)
    return f"{fmt_money(total.amount_str(), total.currency)} per {plan.get('interval') or 'period'}"


def _next_retry(acct: Account) -> str:
    """When the open invoice's card is tried again (from `next_payment_attempt`)."""
    pending = [i for i in acct.open_invoices() if i.get("next_payment_attempt")]
    if pending:
        inv = pending[0]
        return (
            f"We'll try the card on file again on {fmt_date(inv['next_payment_attempt'])} for invoice "
            f"{inv.get('number') or inv.get('id')} ({fmt_money(inv.get('total'), inv.get('currency'))}); "
            "nothing is charged before then unless you ask me to retry."
        )
    if acct.open_invoices():
        return "There is no automatic retry scheduled for your open invoice; I can retry it when you're ready."
    return "Nothing is waiting to be retried — your account is paid up."


def account_answer(acct: Account, normalized: str) -> str:
    """Answer a question about the account from the `lookup_account` result."""
    sub = acct.subscription
    parts: list[str] = []
    asked = {
        "plan": re.search(r"\b(?:plan|subscribed|subscription|tier|monthly|yearly|pay per|paying)\b", normalized),
        "next": re.search(r"\b(?:next|renew\w*|billing date|when will|due|end|period)\b", normalized)
        or WHEN_CHARGED.search(normalized),
        "seats": re.search(r"\b(?:seats?|users?|licen[cs]es?|members?)\b", normalized),
        "status": re.search(r"\b(?:status|active|paused|cancel\w*|pause)\b", normalized),
        "card": re.search(r"\b(?:card|payment method|digits|expired|visa|mastercard)\b", normalized),
        "balance": re.search(r"\b(?:balance|owe|unpaid|outstanding|past due)\b", normalized),
        "retry": re.search(r"\b(?:try|retry|re-try|attempt|charge)\w*\b[^.?!]{0,20}\b(?:again|next)\b", normalized),
        "email": re.search(r"\b(?:email|e-mail)\b", normalized),
        "vat_paid": VAT_PAID_QUESTION.search(normalized),
        "vat": re.search(r"\b(?:vat (?:id|number|no)|tax id|tax number)\b", normalized)
        or (not VAT_PAID_QUESTION.search(normalized) and re.search(r"\bvat\b", normalized)),
        "trial": re.search(
            r"\b(?:trial|trialing|free period|free (?:days|weeks|month)|first (?:time|charge|payment|invoice|bill)"
            r"|(?:start|begin) (?:paying|charging|billing)|(?:charged|billed|pay|paying) at all)\b",
            normalized,
        ),
    }
    if asked["trial"]:
        asked["next"] = asked["trial"]
    wanted = {k for k, v in asked.items() if v} or {"plan", "status", "next", "card"}
    if "plan" in wanted or "seats" in wanted:
        if sub:
            qty = int(sub.get("quantity") or 1)
            seats = f" with {qty} seat{'s' if qty != 1 else ''}" if (acct.plan or {}).get("per_seat") or qty > 1 else ""
            total = _period_total(acct, qty) if "seats" in wanted and seats else None
            seats += f" ({total} in total)" if total else ""
            parts.append(f"You're on the {acct.plan_label()} plan{seats}.")
            if sub.get("scheduled_plan"):
                parts.append(f"A change to {sub['scheduled_plan']} is scheduled for the end of the period.")
        else:
            parts.append("You don't have an active subscription.")
    if "status" in wanted and sub:
        status = str(sub.get("status"))
        text = f"Your subscription is {status.replace('_', ' ')}"
        if status == "paused" and sub.get("resumes_at"):
            text += f" and billing resumes on {fmt_date(sub['resumes_at'])}"
        if sub.get("cancel_at_period_end"):
            text += f"; it is set to cancel on {fmt_date(sub.get('current_period_end'))}"
        parts.append(text + ".")
    trial_end = sub.get("trial_end") if sub else None
    if ("trial" in wanted or ("next" in wanted and sub and sub.get("status") == "trialing")) and sub:
        if trial_end and sub.get("status") == "trialing":
            parts.append(f"Your free trial ends on {fmt_date(trial_end)}; nothing is charged before then.")
        elif "trial" in wanted:
            parts.append("You're not on a free trial at the moment.")
    if "next" in wanted:
        nxt = acct.data.get("next_invoice")
        if isinstance(nxt, dict) and nxt.get("date"):
            first = "first" if sub and sub.get("status") == "trialing" else "next"
            parts.append(
                f"Your {first} invoice is {fmt_money(nxt.get('amount'), nxt.get('currency'))} "
                f"on {fmt_date(nxt['date'])}."
            )
        elif sub:
            parts.append(f"The current period ends on {fmt_date(sub.get('current_period_end'))}.")
    if "card" in wanted:
        pm = acct.data.get("payment_method")
        if isinstance(pm, dict):
            expired = " (expired)" if pm.get("expired") else ""
            parts.append(
                f"The card on file is {_a(str(pm.get('brand', 'card')).title())} ending in {pm.get('last4')}, "
                f"expiring {pm.get('exp')}{expired}."
            )
        else:
            parts.append("There is no card on file.")
    if "balance" in wanted:
        due = acct.data.get("past_due")
        if isinstance(due, dict) and due.get("amount"):
            open_invoices = acct.open_invoices()
            why = ""
            if open_invoices:
                listed = ", ".join(
                    f"invoice {i.get('number') or i.get('id')} of {fmt_date(i.get('created'))}"
                    for i in open_invoices[:3]
                )
                why = f" It is the unpaid {listed}; the payment didn't go through."
            parts.append(f"You have {fmt_money(due.get('amount'), due.get('currency'))} past due.{why}")
        else:
            parts.append("You don't owe anything right now.")
    if "retry" in wanted:
        parts.append(_next_retry(acct))
    if "email" in wanted:
        parts.append(f"Invoices go to {acct.customer.get('email')}.")
    if "vat_paid" in wanted:
        parts.append(_vat_paid(acct))
    if "vat" in wanted:
        vat = acct.customer.get("vat_id")
        if VAT_ID_SHOWN_QUESTION.search(normalized):  # the invoices print the VAT id on file, if any
            parts.append(
                f"Yes — your VAT id {vat} is on file, and your invoices show it."
                if vat
                else "No — there's no VAT id on file, so your invoices don't show one. Send it to me and I'll add it."
            )
        else:
            parts.append(f"Your VAT id on file is {vat}." if vat else "There's no VAT id on file.")
    return " ".join(parts) or "Your account looks fine."


def _vat_paid(acct: Account) -> str:
    """The VAT on the latest invoice that has any, with its rate; or that the invoices carry none."""
    taxed = sorted(
        (i for i in acct.invoices if money_minor(i.get("tax"), i.get("currency") or acct.currency)),
        key=lambda i: str(i.get("created", "")),
        reverse=True,
    )
    if not taxed:
        return "Your invoices carry no VAT."
    inv = taxed[0]
    cur = str(inv.get("currency") or acct.currency)
    tax, total = money_minor(inv.get("tax"), cur) or 0, money_minor(inv.get("total") or inv.get("amount"), cur) or 0
    net = total - tax
    pct = f"{(Decimal(tax) * 100 / Decimal(net)).quantize(Decimal('0.1')):f}".rstrip("0").rstrip(".") if net > 0 else ""
    rate = f" ({pct} % VAT)" if pct else ""
    return (
        f"Your last invoice with VAT, {inv.get('number') or 'of ' + fmt_date(inv.get('created'))} of "
        f"{fmt_date(inv.get('created'))}, was {fmt_money(inv.get('total') or inv.get('amount'), cur)} including "
        f"{fmt_money(inv.get('tax'), cur)} of VAT{rate}."
    )


_META = re.compile(
    r"^(?:(?:hi|hello|hey)\b[^,:.]*[,:.]?\s*)?(?:(?:just )?(?:a )?(?:quick |general )?question|"
    r"just (?:curious|wondering)|out of curiosity|hypothetically(?: speaking)?|in theory|"
    r"not (?:asking for|requesting) anything(?: yet)?)\b[^:,.]*[:,.]?\s*",
    re.IGNORECASE,
)
_TIME_SPAN = re.compile(r"\b(?:after|within|older|days?|weeks?|months?|years?|late|window|how long)\b")
_MONEY_BACK = re.compile(r"\b(?:money back|refund\w*|reimburs\w*|get (?:it|that) back|repaid|repay\w*)\b")


_PREAMBLE = re.compile(
    r"^[^:?]{0,80}\b(?:question|curious|wondering|hypothetical\w*|theory|asking|requesting)\b[^:?]{0,60}:\s*",
    re.IGNORECASE,
)
_REFUND = re.compile(r"\brefund")
_FEES = re.compile(r"\b(?:fee|fees|penalty|penalties|extra cost)\b")
_CANCEL = re.compile(r"\bcancel")


def knowledge_query(text: str, normalized: str) -> str:
    """The `search_knowledge` query for a policy question: the question without its preamble ("just a
    question, not asking for anything yet: ..."), led by the policy topic its words point at."""
    query = _PREAMBLE.sub("", text.strip())
    for _ in range(3):
        query = _META.sub("", query).strip() or query
    topics: list[str] = []
    if _MONEY_BACK.search(normalized) and _TIME_SPAN.search(normalized) and "window" not in normalized:
        topics.append("refund window")
    elif _MONEY_BACK.search(normalized) and not _REFUND.search(normalized):
        topics.append("refund")
    if _FEES.search(normalized):
        topics.append("cancellation" if _CANCEL.search(normalized) else "fees")
    return " ".join([*topics, query]) if topics else query


def knowledge_answer(question: str, result: dict[str, Any]) -> str:
    """Answer from `search_knowledge` passages, via `purser.knowledge.answer_from_passages` when present."""
    passages = [p for p in (result.get("passages") or []) if isinstance(p, dict)]
    if not passages:
        return "I couldn't find that in our help articles. A teammate can answer it — just ask for a human."
    try:
        module: Any = importlib.import_module("purser.knowledge")
        answer_fn = getattr(module, "answer_from_passages", None)
    except ImportError:
        answer_fn = None
    if answer_fn is not None:
        try:
            answer = answer_fn(question, passages)
            text = answer if isinstance(answer, str) else getattr(answer, "text", None)
            if isinstance(text, str) and text.strip():
                return text.strip()
        except Exception:  # fall back to the top passage rather than fail the turn
            pass
    top = passages[0]
    text = re.sub(r"\s+", " ", str(top.get("text", ""))).strip()
    if len(text) > 700:
        text = text[:700].rsplit(" ", 1)[0] + "…"
    source = top.get("heading") or top.get("document")
    return f"{text}" + (f" (from “{source}”)" if source else "")


def social_reply(intent: str, first_name: str = "") -> str:
    """Greetings, thanks, bare yes/no and anything not understood."""
    hello = f"Hi {first_name}!" if first_name else "Hi!"
    if intent == "greeting":
        return f"{hello} How can I help with your billing today?"
    if intent == "thanks":
        return "You're welcome! Is there anything else I can help you with?"
    if intent == "affirm":
        return "Could you tell me a bit more about what you'd like me to do?"
    if intent == "deny":
        return "Okay, no problem — I haven't changed anything. Is there anything else I can help with?"
    return "Sorry, I'm not sure I understood. I can help with " + CAPABILITIES + ". Could you tell me what you need?"
