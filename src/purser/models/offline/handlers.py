"""Request handlers: one function per intent, driven by `dialogue.decide`.

Each handler first claims the tool call it already made in this turn (if any)
and follows it to its outcome; only when there is none does it resolve slots
against the account and ask for a call. It never guesses a write: when the
slots leave more than one candidate (or none) it asks which one, listing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from purser.models.offline.account import Account, fmt_date, fmt_money, money_minor
from purser.models.offline.amount_rules import amount_problem
from purser.models.offline.billing import address_gaps, extract_billing
from purser.models.offline.dialogue import Call, NeedCall, Open, StopTurn, Turn, _outcome_of
from purser.models.offline.history import ToolRecord
from purser.models.offline.normalize import normalize
from purser.models.offline.outcomes import confirm_prompt, outcome_text
from purser.models.offline.references import strip_narrative
from purser.models.offline.shares import share_minor, share_of
from purser.models.offline.slots import (
    numbers_from_words,
    parse_amounts,
    parse_dates,
)
from purser.money import Money

__all__ = ["Job", "h_charge_question", "h_refund", "h_send_invoice", "h_update_billing"]

_LAST = re.compile(r"\b(?:last|latest|most recent|recent|newest)\b(?! (?:month|week|year|time|\d))")
_CHARGED_TWICE = re.compile(
    r"\b(?:double[- ]?(?:charg|bill)\w*|(?:charged|billed|took|taken|show\w*)\b[^.?!]{0,20}"
    r"\b(?:twice|double|two times?|2 times?"
    r"|three times|3 times|2x|3x|thrice)|duplicate (?:charges?|payments?|transactions?))\b"
)
"""The customer says they were charged more than once (checked against the account before any refund)."""
_DUP = re.compile(
    r"\b(?:duplicate\w*|double\w*|twice|2 times?|two times?|extra|second|2nd|other 1|other one|the same|again)\b"
)


@dataclass
class Job:
    """A request ready to handle: intent, its clause text and data carried from an open item."""

    intent: str
    text: str
    normalized: str
    data: dict[str, Any] = field(default_factory=dict)


def _account(turn: Turn) -> Account:
    if turn.account is None:
        raise StopTurn("I couldn't load your account just now. Please try again in a moment.")
    return turn.account


def followed(turn: Turn, tool: str) -> bool:
    """True when this request already called `tool` in the turn (its result is reported); otherwise
    checks that the tool is available and returns False so the handler goes on to call it."""
    rec = turn.claim(tool)
    if rec:
        _follow(turn, rec)
        return True
    _need_tool(turn, tool)
    return False


def _need_tool(turn: Turn, tool: str) -> None:
    if tool not in turn.tools:
        raise StopTurn("I'm not able to do that in this conversation. A teammate can help — just ask for a human.")


def _follow(turn: Turn, rec: ToolRecord) -> None:
    """Report a write's outcome; stop the turn while it awaits the customer's confirmation."""
    res = rec.result or {}
    status = res.get("status")
    turn.cursor = max(turn.cursor, rec.index)
    if status == "needs_confirmation":
        action_id = str(res.get("action_id") or "")
        conf = turn.event_for("confirmation", action_id)
        if conf is None:
            raise StopTurn(confirm_prompt(res), Open("await_confirmation", rec.name, {"action_id": action_id}))
        outcome = _outcome_of(conf)
        turn.cursor = max(turn.cursor, conf.index)
        turn.report(conf.index, outcome_text(outcome, rec.name))
        if outcome.get("status") == "pending_approval":
            appr = turn.event_for("approval", action_id)
            if appr is not None:
                turn.cursor = max(turn.cursor, appr.index)
                turn.report(appr.index, outcome_text(_outcome_of(appr), rec.name))
        return
    if status == "pending_approval":
        appr = turn.event_for("approval", str(res.get("action_id") or ""))
        turn.report(rec.index, outcome_text(res, rec.name))
        if appr is not None:
            turn.cursor = max(turn.cursor, appr.index)
            turn.report(appr.index, outcome_text(_outcome_of(appr), rec.name))
        return
    if status == "escalated":
        turn.handed_off = True
    turn.report(rec.index, outcome_text(res, rec.name))


def _say(turn: Turn, text: str) -> None:
    turn.report(turn.cursor + 0.5, text)


def _charge_list(acct: Account, charges: list[dict[str, Any]], limit: int = 6) -> str:
    """One "- " line per distinct charge description (a charge taken twice is one line that says so)."""
    lines: dict[str, int] = {}
    for charge in charges[:limit]:
        line = acct.describe_charge(charge)
        lines[line] = lines.get(line, 0) + 1
    times = {2: " — charged twice"}
    return "\n".join(f"- {line}{times.get(n, f' — charged {n} times') if n > 1 else ''}" for line, n in lines.items())


# -- refunds and charges ----------------------------------------------------------------
def h_refund(turn: Turn, job: Job) -> None:
    if followed(turn, "refund"):
        return
    acct = _account(turn)
    problem = amount_problem(job.text, acct.currency)
    if problem:  # "-20", "1e3", "20.001": named and asked again, never read as "the whole charge"
        raise StopTurn(problem, Open("clarify", "refund"))
    partial: str | None = None
    reason = "requested_by_customer"
    if job.data.get("charge_id"):
        target = next((c for c in acct.charges if c.get("id") == job.data["charge_id"]), None)
        if target is None:
            raise StopTurn("I can't find that charge any more. Which charge would you like refunded?")
        reason = "duplicate" if job.data.get("duplicate") else reason
        if job.data.get("ask_amount"):  # the answer to "how much of it?": "$5", "10 dollars please"
            partial = _share_part(acct, target, job.normalized) or _part_of(
                acct, target, parse_amounts(numbers_from_words(job.normalized))
            )
            if partial is None:
                raise StopTurn(_how_much(acct, target), Open("clarify", "refund", dict(job.data)))
    else:
        target, partial, reason = _resolve_refund(turn, acct, job)
        share = _share_part(acct, target, job.normalized) if reason != "duplicate" else None
        partial = share or partial  # "half of this month's $50": the $50 names the charge, the half is the amount
        if partial is None and _asks_part(job.normalized) and reason != "duplicate":
            # "a partial refund of the November charge": never a full refund, ask how much
            raise StopTurn(_how_much(acct, target), Open("clarify", "refund", {"charge_id": target["id"],
                                                                                "ask_amount": True}))  # fmt: skip
    raise NeedCall(Call("refund", {"charge_id": target["id"], "amount": partial, "reason": reason}))


_PARTIAL_ASK = re.compile(r"\b(?:partial(?:ly)?|part of|some of|a portion of|portion|half of|a bit of)\b")
"""A refund of part of a charge, with no amount given."""
_WHOLE = re.compile(r"\b(?:full|whole|entire|all of it|everything|complete)\b")


def _asks_part(norm: str) -> bool:
    """ "a partial refund of the November charge" — not "the full amount, not part of it"."""
    negated = re.compile(r"\b(?:not|no|nor|never|rather than|instead of)\b(?: \w+){0,2}? " + _PARTIAL_ASK.pattern)
    rest = negated.sub(" ", norm)
    return bool(_PARTIAL_ASK.search(rest)) and not _WHOLE.search(rest)


def _share_part(acct: Account, charge: dict[str, Any], norm: str) -> str | None:
    """ "half of it", "a third of the last charge", "30% of it": that share of `charge`, as a decimal string."""
    share = share_of(norm)
    if share is None:
        return None
    cur = str(charge.get("currency") or acct.currency)
    whole = money_minor(charge.get("amount"), cur)
    have = charge.get("refundable") if isinstance(charge.get("refundable"), str) else charge.get("amount")
    left = money_minor(have, cur)
    if whole is None or left is None:
        return None
    amount = share_minor(whole, share, left)
    return Money(amount, cur).amount_str() if amount > 0 else None


def _how_much(acct: Account, charge: dict[str, Any]) -> str:
    return f"How much of the {acct.describe_charge(charge)} should I refund?"


def _part_of(acct: Account, charge: dict[str, Any], amounts: list[Any]) -> str | None:
    """The one amount given, as a partial refund of `charge` when it is less than what remains of it."""
    cur = str(charge.get("currency") or acct.currency)
    if len(amounts) != 1 or amounts[0].currency not in (None, cur):
        return None
    if acct.amount_matches(charge, amounts[0]):
        return fmt_plain(amounts[0].value, cur)  # the whole charge, said as an amount
    return fmt_plain(amounts[0].value, cur) if _below(acct, charge, amounts[0]) else None


def _candidates(acct: Account, pool: list[dict[str, Any]], norm: str, raw: str) -> tuple[list[dict[str, Any]], str]:
    """Charges the words point at, and the refund reason they imply."""
    refs = acct.invoice_refs(raw)
    spans = parse_dates(norm, acct.now)
    amounts = parse_amounts(norm)
    if _DUP.search(norm):
        dups = acct.filter_charges(acct.duplicates(), spans, [], refs)
        if not dups and _CHARGED_TWICE.search(norm) and len(acct.duplicates()) == 1:
            dups = acct.duplicates()  # "charged double" names the one duplicate, whatever else the dates say
        if dups:
            return dups, "duplicate"
    cands = acct.filter_charges(pool, spans, [], refs) if (spans or refs) else list(pool)
    matching = [c for c in cands if any(acct.amount_matches(c, a) for a in amounts)]
    if matching:
        cands = matching
    if len(cands) > 1 and any(s.kind == "day" for s in spans):
        days = [s for s in spans if s.kind == "day"]
        cands = acct.filter_charges(cands, days, [], []) or cands
    elif amounts and not matching and not (spans or refs or _LAST.search(norm)):
        # an amount that matches no charge names nothing — unless it is part of the latest charge
        # ("refund us $28 for the two unused seats"): the confirmation shows which charge and how much
        latest = pool[0] if pool else None
        if latest is not None and _PART_OF.search(norm) and all(_below(acct, latest, a) for a in amounts):
            return [latest], "requested_by_customer"
        return [], "requested_by_customer"
    if len(cands) > 1 and _LAST.search(norm):
        cands = cands[:1]
    if len(cands) > 1 and len({acct.describe_charge(c) for c in cands}) == 1:
        # the same invoice charged twice, named by what both share: the refund is of the second charge
        dups = [c for c in acct.duplicates() if c in cands]
        if len(dups) == 1:
            return dups, "duplicate"
    return cands, "requested_by_customer"


_PART_OF = re.compile(
    r"\b(?:for|of) (?:the|those|these|that|this|our|my|\d+|one|two|three|unused|extra|missing)\b[^.?!]{0,30}"
    r"\b(?:seats?|users?|licen[cs]es?|days?|weeks?|months?|members?|people)\b|\bpartial\b|\bpro-?rat\w*\b"
)
"""The amount is asked for a part of a charge (some seats, some days), not as a charge of its own."""


def _below(acct: Account, charge: dict[str, Any], amount: Any) -> bool:
    """`amount` (a slot) is less than what remains refundable on `charge`, in its currency."""
    cur = str(charge.get("currency") or acct.currency)
    if amount.currency not in (None, cur):
        return False
    have = charge.get("refundable") if isinstance(charge.get("refundable"), str) else charge.get("amount")
    wanted, left = money_minor(amount.value, cur), money_minor(have, cur)
    return wanted is not None and left is not None and 0 < wanted < left


def _already_refunded(acct: Account, norm: str, raw: str) -> None:
    """The customer names (by date or invoice) a charge refunded in full before: say so rather than list others."""
    spans, refs = parse_dates(norm, acct.now), acct.invoice_refs(raw)
    if not (spans or refs):
        return
    done = [c for c in acct.charges if c.get("status", "succeeded") == "succeeded" and not acct.refundable(c)]
    named = acct.filter_charges(done, spans, [], refs)
    if len(named) == 1:
        raise StopTurn(
            f"The {fmt_money(named[0].get('amount'), named[0].get('currency'))} charge of "
            f"{fmt_date(named[0].get('created'))} has already been refunded in full, so there is nothing left to "
            "refund on it. Refunds usually take 5 to 10 business days to reach the card.",
            Open("clarify", "refund"),
        )


def _has_hint(acct: Account, norm: str, raw: str) -> bool:
    return bool(
        acct.invoice_refs(raw) or parse_dates(norm, acct.now) or parse_amounts(norm) or _LAST.search(norm)
        or _DUP.search(norm)
    )  # fmt: skip


def _resolve_refund(turn: Turn, acct: Account, job: Job) -> tuple[dict[str, Any], str | None, str]:
    """The charge to refund, the partial amount (None = all that remains) and the reason; or ask."""
    norm = numbers_from_words(job.normalized)
    whole = numbers_from_words(normalize(turn.message))
    if _has_hint(acct, strip_narrative(norm), job.text) or _has_hint(acct, strip_narrative(whole), turn.message):
        norm, whole = strip_narrative(norm), strip_narrative(whole)  # "you gave me 20 back last month" names nothing
    pool = sorted(acct.open_charges(), key=lambda c: str(c.get("created", "")), reverse=True)
    if _CHARGED_TWICE.search(whole) and not acct.duplicates():
        # a claimed double charge that the account does not show is not a reason to refund the real one
        spans = parse_dates(whole, acct.now)
        on_day = acct.filter_charges(pool, spans, [], []) if spans else []
        seen = f" I can see one charge: {acct.describe_charge(on_day[0])}." if len(on_day) == 1 else ""
        raise StopTurn(
            "I can't find a duplicate charge on your account — each invoice was charged once." + seen + " A pending "
            "card authorisation can show on a statement for a few days and then drops off by itself. If you still "
            "see two settled charges from us, tell me their dates and amounts."
        )
    cands, reason = _candidates(acct, pool, norm, job.text)
    named = bool(acct.invoice_refs(job.text) or parse_dates(norm, acct.now) or _LAST.search(norm) or _DUP.search(norm))
    if (
        (len(cands) != 1 or not named)  # an amount alone names a charge less surely than a date or invoice elsewhere
        and whole != norm
        and _has_hint(acct, whole, turn.message)
    ):
        more, more_reason = _candidates(acct, pool, whole + " . " + norm, turn.message + ". " + job.text)
        if len(more) == 1 or (not cands and more):
            cands, reason = more, more_reason
    if not _has_hint(acct, norm, job.text) and not _has_hint(acct, whole, turn.message) and len(pool) > 1:
        cands = pool
    amounts = parse_amounts(norm) or parse_amounts(whole)
    if not cands:
        _already_refunded(acct, norm, job.text)
        what = " of that amount" if amounts else ""
        listing = _charge_list(acct, pool)
        raise StopTurn(
            f"I couldn't find a refundable charge{what} on your account."
            + (f" Your recent charges are:\n{listing}\n\nWhich one would you like refunded?" if pool else ""),
            Open("clarify", "refund"),
        )
    if len(cands) > 1:
        raise StopTurn(
            f"I found {len(cands)} charges that could match:\n{_charge_list(acct, cands)}\n\n"
            "Which one would you like refunded? You can tell me the date or the invoice number.",
            Open("clarify", "refund"),
        )
    target = cands[0]
    partial: str | None = None
    cur = str(target.get("currency") or acct.currency)
    have = money_minor(
        target.get("refundable") if isinstance(target.get("refundable"), str) else target.get("amount"), cur
    )
    for slot in amounts:
        if slot.currency not in (None, cur):
            if not any(acct.amount_matches(target, a) for a in amounts):
                raise StopTurn(
                    f"That charge was in {cur.upper()}, so I can't refund it in {slot.currency.upper()}. "
                    f"It was {acct.describe_charge(target)}. How much of it should I refund?",
                    Open("clarify", "refund"),
                )
            continue
        wanted = money_minor(slot.value, cur)
        if wanted is not None and have is not None and 0 < wanted < have and not acct.amount_matches(target, slot):
            partial = fmt_plain(slot.value, cur)
            break
    # a claimed duplicate that is on the account is refunded as it is, whatever amount was claimed
    if (
        amounts
        and partial is None
        and reason != "duplicate"
        and not any(acct.amount_matches(target, a) for a in amounts)
    ):
        # the customer's figure is not said back: a restated wrong amount reads like an agreement to it
        raise StopTurn(
            "I couldn't find a charge of that amount on your account. "
            f"The closest match is {acct.describe_charge(target)}. Should I refund that charge instead?",
            Open("offer_refund", "refund", {"charge_id": target["id"]}),
        )
    return target, partial, reason


def fmt_plain(value: Any, currency: str) -> str:
    """A decimal string with exactly the currency's decimals ("20.00", "1500")."""
    from purser.money import Money

    try:
        return Money.parse(str(value), currency).amount_str()
    except ValueError:
        return str(value)


def h_charge_question(turn: Turn, job: Job) -> None:
    acct = _account(turn)
    norm = numbers_from_words(job.normalized)
    spans, amounts, refs = parse_dates(norm, acct.now), parse_amounts(norm), acct.invoice_refs(job.text)
    dups = acct.filter_charges(acct.duplicates(), spans, [], refs) or (acct.duplicates() if not spans else [])
    if dups:
        dup = dups[0]
        first = next(
            (c for c in sorted(acct.charges, key=lambda c: str(c.get("created", "")))
             if c is not dup and c.get("amount") == dup.get("amount")
             and (c.get("invoice") == dup.get("invoice") or acct.charge_date(c) == acct.charge_date(dup))),
            None,
        )  # fmt: skip
        amount = fmt_money(dup.get("amount"), dup.get("currency"))
        inv = f" for invoice {dup['invoice_number']}" if dup.get("invoice_number") else ""
        day = fmt_date(dup.get("created"))
        # the customer knows charges by day, amount and invoice number; the processor's ids stay internal
        at = str(dup.get("created") or "")[11:16]
        text = f"You're right — I can see two charges of {amount} on {day}{inv}. "
        text += f"The second one{f' (at {at} UTC)' if at and first else ''} is a duplicate."
        if "refund" in job.data.get("other_intents", ()):
            _say(turn, text)
            return
        raise StopTurn(
            text + f" Would you like me to refund the duplicate charge of {amount}?",
            Open("offer_refund", "refund", {"charge_id": dup["id"], "duplicate": True}),
        )
    if "refund" in job.data.get("other_intents", ()):
        return  # the refund request resolves and explains the charge
    if not (spans or amounts or refs):
        # "My invoice AJ-0008 is £22.80. Why the difference?": the reference is in the sentence before
        whole = numbers_from_words(normalize(turn.message))
        spans, amounts, refs = parse_dates(whole, acct.now), parse_amounts(whole), acct.invoice_refs(turn.message)
        if refs:
            spans, amounts = (), []  # an invoice number names the charge; the other figures are the complaint
    matches = acct.filter_charges(sorted(acct.charges, key=lambda c: str(c.get("created", "")), reverse=True),
                                  spans, amounts, refs)  # fmt: skip
    if not matches and not (spans or amounts or refs):
        matches = sorted(acct.charges, key=lambda c: str(c.get("created", "")), reverse=True)[:1]
    if not matches:
        _say(turn, "I couldn't find a charge matching that on your account. Your recent charges are:\n"
             + _charge_list(acct, acct.charges))  # fmt: skip
        return
    turn.soft_open = Open("discussed_charge", "refund", {"charge_id": matches[0].get("id")})
    plan = acct.plan_label() if acct.plan else "your subscription"
    lines = [f"- {acct.describe_charge(c)}: your {plan} subscription" for c in matches[:4]]
    tax = _tax_note(acct, matches[0]) if len(matches) == 1 else ""
    once = "it was charged once" if len(lines) == 1 else "each of these was charged once"
    _say(turn, "Here is what I found:\n" + "\n".join(lines) + tax + f"\n\nI don't see a duplicate: {once}. "
         "Let me know if you'd like a refund or a copy of the invoice.")  # fmt: skip


def _tax_note(acct: Account, charge: dict[str, Any]) -> str:
    """ " The total includes £3.80 of VAT (20 %) on £19.00.": why a charge is more than the plan's price."""
    inv = next((i for i in acct.invoices if i.get("id") == charge.get("invoice")), None)
    if inv is None:
        return ""
    cur = str(inv.get("currency") or charge.get("currency") or acct.currency)
    tax = money_minor(inv.get("tax"), cur) or 0
    total = money_minor(inv.get("total") or inv.get("amount"), cur) or 0
    if tax <= 0 or total <= tax:
        return ""
    net = total - tax
    pct = f"{(Decimal(tax) * 100 / Decimal(net)).quantize(Decimal('0.1')):f}".rstrip("0").rstrip(".")
    before = Money(net, cur).amount_str()
    return (
        f"\n\nThe total includes {fmt_money(inv.get('tax'), cur)} of VAT ({pct} %) on top of "
        f"{fmt_money(before, cur)} before tax."
    )


# -- invoices and billing details -------------------------------------------------------
def h_send_invoice(turn: Turn, job: Job) -> None:
    if followed(turn, "send_invoice"):
        return
    acct = _account(turn)
    norm = job.normalized
    invoices = sorted(acct.invoices, key=lambda i: str(i.get("created", "")), reverse=True)
    if not invoices:
        _say(turn, "I can't find any invoices on your account yet.")
        return
    refs = [str(job.data["invoice"])] if job.data.get("invoice") else acct.invoice_refs(job.text)
    unknown = _unknown_number(acct, job.text) if not refs else None
    if unknown:  # "resend invoice KAI-0099" that isn't on the account: ask, never send another one
        listing = "\n".join(f"- {i.get('number')} from {fmt_date_short(i)}" for i in invoices[:6])
        raise StopTurn(
            f"I couldn't find invoice {unknown} on your account. Your latest invoices are:\n{listing}\n\n"
            "Which one should I send?",
            Open("clarify", "send_invoice"),
        )
    spans = parse_dates(norm, acct.now)
    chosen: dict[str, Any] | None = None
    amounts = parse_amounts(numbers_from_words(norm))
    by_amount = [i for i in invoices if any(acct.amount_matches(i, a) for a in amounts)]
    if by_amount and spans:
        by_amount = [i for i in by_amount if i in acct.invoices_in(spans)] or by_amount
    if refs:
        chosen = acct.invoice_by_ref(refs[0])
    elif len(by_amount) == 1:
        chosen = by_amount[0]  # "the invoice of €87,50": the only one of that amount
    elif spans:
        found = acct.invoices_in(spans)
        if not found:
            listing = "\n".join(f"- {i.get('number')} from {fmt_date_short(i)}" for i in invoices[:6])
            raise StopTurn(f"I couldn't find an invoice from that date. Your invoices are:\n{listing}\n\n"
                           "Which one should I send?", Open("clarify", "send_invoice"))  # fmt: skip
        chosen = found[0]
    else:
        chosen = invoices[0]
    if chosen is None:
        raise StopTurn("I couldn't find that invoice. Which one should I send?", Open("clarify", "send_invoice"))
    kind = "receipt" if re.search(r"\b(?:receipt|receipts|proof of payment)\b", norm) else "invoice"
    raise NeedCall(Call("send_invoice", {"invoice": chosen["id"], "kind": kind}))


_NUMBER_LIKE = re.compile(r"(?<![\w-])(?:[A-Za-z]{1,8}-)+[A-Za-z]*\d{2,}(?:-\d+)*(?![\w-])|#\s?\d{3,}\b")
"""Something written like an invoice number ("KAI-0099", "INV-2026-114", "#10045")."""


def _unknown_number(acct: Account, raw: str) -> str | None:
    """An invoice number the message names that is none of the account's invoices (nor a charge id)."""
    known = {str(i.get(k) or "").lower() for i in acct.invoices for k in ("number", "id")}
    known |= {str(c.get(k) or "").lower() for c in acct.charges for k in ("id", "invoice", "invoice_number")}
    for m in _NUMBER_LIKE.finditer(raw):
        token = m.group(0)
        if token.lower().lstrip("# ") not in known and not re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", token):
            return token
    return None


def fmt_date_short(invoice: dict[str, Any]) -> str:
    """The invoice's creation date, readable."""
    from purser.models.offline.account import fmt_date

    return fmt_date(invoice.get("created"))


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _with_earlier(args: dict[str, Any], earlier: Any) -> dict[str, Any]:
    """The billing arguments completed with those of the message before a clarifying question."""
    if not isinstance(earlier, dict):
        return args
    merged = {k: args.get(k) if args.get(k) is not None else earlier.get(k) for k in args}
    old, new = earlier.get("address"), args.get("address")
    if isinstance(old, dict) and isinstance(new, dict):
        merged["address"] = {k: new.get(k) or old.get(k) for k in ("line1", "city", "postal_code", "country")}
    return merged


def h_update_billing(turn: Turn, job: Job) -> None:
    if followed(turn, "update_billing_details"):
        return
    clarified = bool(job.data.get("clarified"))
    args = extract_billing(job.text if clarified else turn.message, bare_address=clarified)
    args = _with_earlier(args, job.data.get("partial"))
    gaps = address_gaps(args["address"], (_account(turn).customer or {}).get("address")) if args["address"] else []
    if gaps:
        labels = {"line1": "street", "postal_code": "postal code", "city": "city", "country": "country"}
        raise StopTurn(
            "To change the address I need the whole new address, so nothing of the old one stays behind by mistake. "
            f"Could you send the {_and([labels[g] for g in gaps])} too (or the full address: street, postal "
            "code, city, country)?",
            Open("clarify", "update_billing", {"clarified": True, "partial": args}),
        )
    if not any(v is not None for v in args.values()):
        raise StopTurn(
            "Sure — what should I change? Send me the new billing email, VAT id, company name or full address "
            "(street, postal code, city, country).",
            Open("clarify", "update_billing", {"clarified": True}),
        )
    raise NeedCall(Call("update_billing_details", args))
