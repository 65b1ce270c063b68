"""References to several invoices or charges in one request, and narrative dates that are no reference.

"Email the July and August invoices", "refund the 3rd and the 10th", "send PUR-0003 and
PUR-0004", "refund the $20 and the $35 charges": each named item becomes its own request, so
each gets its own proposal and its own confirmation. A request is only split when every
reference names exactly one item of the account and no two name the same one; otherwise it
stays one request and its handler asks which one.

"I know you gave me 20 back last month" tells a story: "last month" there is not the charge
the customer wants refunded. `strip_narrative` removes such clauses before charges are matched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from purser.models.offline.dates import DateSpan, parse_dates
from purser.models.offline.numbers import parse_amounts

if TYPE_CHECKING:
    from purser.models.offline.account import Account

__all__ = ["invoice_items", "refund_items", "strip_narrative"]

_NARRATIVE = re.compile(
    r"\b(?:you|they|we|u|someone|support)(?: guys)?(?: already| kindly| once)? (?:gave|refunded|credited|returned|"
    r"reimbursed|sent)\b[^.;,!?()]*"
    r"|\b(?:you|they|u|someone|support)(?: guys)?(?: already| kindly| once)? paid\b[^.;,!?()]*"
    r"|\b(?:i|we)(?: already)? (?:got|received|had)(?: \w+){0,3} (?:back|refunded|a refund|credited)\b[^.;,!?()]*"
    r"|\b(?:moved|switched|migrated|left|stopped using)\b[^.;,!?()]*"
)
"""Clauses about what already happened (a past refund, a move to another tool), with their dates."""

_PLURAL = re.compile(r"\b(?:invoices|receipts|bills|statements|charges|payments|both|each|all|every)\b")
_COORDINATED = re.compile(r"\b(?:and|&)\b")


def strip_narrative(norm: str) -> str:
    """The normalized text without clauses that tell a past refund or a past move ("you gave me 20 back
    last month", "the team moved to another tool in September")."""
    return _NARRATIVE.sub(" ", norm)


def _spans(acct: Account, norm: str) -> list[DateSpan]:
    seen: list[DateSpan] = []
    for span in parse_dates(norm, acct.now):
        if span.kind in ("month", "day") and all((s.start, s.end) != (span.start, span.end) for s in seen):
            seen.append(span)
    return seen


_EVERY = re.compile(r"\b(?:everything|all|every|each|invoices|receipts|bills|charges|payments)\b")


def _months_range(acct: Account, text: str) -> DateSpan | None:
    """The one span of several months the text asks about as a whole ("all charges since June")."""
    spans = parse_dates(text, acct.now)
    wide = [s for s in spans if s.kind == "range" and (s.end - s.start).days > 31]
    if len(spans) == 1 and wide and _EVERY.search(text):
        return wide[0]
    return None


def _distinct(ids: list[str | None]) -> list[str]:
    """The ids when every reference resolved to its own item, else []."""
    if len(ids) < 2 or any(i is None for i in ids) or len(set(ids)) != len(ids):
        return []
    return [str(i) for i in ids]


def _one(items: list[dict[str, Any]]) -> str | None:
    return str(items[0]["id"]) if len(items) == 1 else None


def _refs(acct: Account, raw: str) -> list[str]:
    """The invoice numbers and ids the text names, in the order it names them."""
    lowered = raw.lower()
    return sorted(dict.fromkeys(acct.invoice_refs(raw)), key=lambda ref: lowered.find(ref.lower()))


def refund_items(acct: Account, norm: str, raw: str) -> list[str]:
    """Charge ids, one per charge the refund request names, when it names two or more; else []."""
    pool = acct.open_charges()
    refs = _refs(acct, raw)
    if len(refs) >= 2:
        return _distinct([_one(acct.filter_charges(pool, [], [], [ref])) for ref in refs])
    text = strip_narrative(norm)
    amounts = parse_amounts(text)
    if refs:
        return []
    months = _months_range(acct, text)
    if months is not None and not amounts:  # "refund everything since June": each charge in it, one by one
        found = sorted(acct.filter_charges(pool, [months], [], []), key=lambda c: str(c.get("created", "")))
        return [str(c["id"]) for c in found] if len(found) >= 2 else []
    spans = _spans(acct, text)
    if len(spans) >= 2 and not amounts:
        return _distinct([_one(acct.filter_charges(pool, [span], [], [])) for span in spans])
    if len(amounts) >= 2 and not spans and _PLURAL.search(text):
        return _distinct([_one(acct.filter_charges(pool, [], [amount], [])) for amount in amounts])
    return []


def invoice_items(acct: Account, norm: str, raw: str) -> list[str]:
    """Invoice ids, one per invoice the request names, when it names two or more; else []."""
    refs = _refs(acct, raw)
    if len(refs) >= 2:
        return _distinct([str(inv["id"]) if (inv := acct.invoice_by_ref(ref)) else None for ref in refs])
    text = strip_narrative(norm)
    months = _months_range(acct, text)
    if months is not None and not refs:  # "the invoices from June to August": each invoice in it
        found = sorted(acct.invoices_in([months]), key=lambda i: str(i.get("created", "")))
        return [str(i["id"]) for i in found] if len(found) >= 2 else []
    spans = _spans(acct, text)
    if refs or len(spans) < 2 or not (_PLURAL.search(text) or _COORDINATED.search(text)):
        return []
    return _distinct([_one(acct.invoices_in([span])) for span in spans])
