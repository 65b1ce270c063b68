"""Billing-detail slots: email, VAT id, company name, address (`address`), from the raw message.

Returns the `update_billing_details` arguments of the tool contract: every key
present, `None` meaning "unchanged". Validation (e.g. the VAT id checksum) is
the gateway's job; this only finds what the customer wrote.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from stdnum.eu import vat as eu_vat

from purser.models.offline.address import address_gaps, country_code, parse_address

__all__ = ["address_gaps", "country_code", "extract_billing"]


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_VAT = re.compile(r"\b([A-Za-z]{2})[\s-]?(\d[0-9A-Za-z]*(?:[\s.-]\d[0-9A-Za-z]*)*)\b")
_VAT_SPACED = re.compile(r"\b[A-Z]{2}[\s-]?[A-Z]?(?:[\s.-]?\d){6,12}(?:[\s.-]?[A-Z0-9]{1,3})?\b")
"""A VAT id written in groups ("ATU 135 856 27", "NL 0044 954 45B01")."""
_VAT_LETTER_FIRST = re.compile(r"\b([A-Z]{2})([A-Z]\d{5,12}[A-Z0-9]?)\b")
"""A VAT id whose national part starts with a letter, as written on invoices (checked by python-stdnum)."""
_NAME = re.compile(
    r"(?:company|business|legal|organi[sz]ation)\s+name\s*(?:has changed to|changed to|is now|is|to|should be|"
    r"should read|=|:|as)?\s*[:\"']?\s*([^,.;!?\"'\n][^;!?\"'\n]{0,80}?)\s*"
    r"(?:[\"']|[.;!?\n]|,|$| and (?:my|our|the)\b| please\b| on (?:the|our|my) invoices?\b)"
    r"|(?:rename (?:us|it|the company|our company|the account|my account) to|name on (?:the |my |our )?"
    r"invoices? (?:should be|to|is))\s*[\"']?([^;!?\"'\n]{1,80}?)\s*(?:[\"']|[.;!?\n]|,|$| please\b)",
    re.IGNORECASE,
)


def _vat(raw: str, bare: bool = False) -> str | None:
    """The VAT id the text gives. `bare`: the text answers a question about billing details, so an id
    without the word "VAT" counts when it is a valid EU VAT number ("DE136695976")."""
    if bare and "@" not in raw:
        for m in _VAT.finditer(raw.upper()):
            candidate = m.group(1) + re.sub(r"[\s.-]", "", m.group(2))
            if eu_vat.is_valid(candidate):
                return candidate
    if not re.search(r"\b(?:vat|tax|tva|ust|btw|iva|mwst|moms|alv|uid|nif|cif|piva|p\.? ?iva)\b", raw, re.IGNORECASE):
        return None
    for m in _VAT.finditer(raw):
        prefix, rest = m.group(1).upper(), re.sub(r"[\s.-]", "", m.group(2)).upper()
        if sum(ch.isdigit() for ch in rest) >= 5 and prefix.isalpha():
            return prefix + rest
    for m in _VAT_SPACED.finditer(raw.upper()):  # "ATU 135 856 27": spaces inside, checksum-valid only
        candidate = re.sub(r"[\s.-]", "", m.group(0))
        if eu_vat.is_valid(candidate):
            return candidate
    for m in _VAT_LETTER_FIRST.finditer(raw):  # Spain "ESB58378431": only a checksum-valid id counts
        candidate = (m.group(1) + m.group(2)).upper()
        if eu_vat.is_valid(candidate):
            return candidate
    return None


def extract_billing(raw: str, bare_address: bool = False) -> dict[str, Any]:
    """The `update_billing_details` arguments the message asks for (None = unchanged).

    `bare_address`: the message may be an address alone (the answer to "what is the new address?").
    Every call returns fresh dicts (the analysis behind them is memoized), so a caller may change its copy.
    """
    name, email, vat_id, address = _billing(raw, bare_address)
    return {"name": name, "email": email, "vat_id": vat_id, "address": dict(address) if address is not None else None}


_Found = tuple[str | None, str | None, str | None, tuple[tuple[str, str | None], ...] | None]


@lru_cache(maxsize=2048)
def _billing(raw: str, bare_address: bool) -> _Found:
    # bounded memo of an immutable answer: a turn looks for billing details in the same clauses more than once
    # the patterns are slow to fail; both need a literal the text may lack ("@", and "name" in every form)
    email_match = _EMAIL.search(raw) if "@" in raw else None
    name_match = _NAME.search(raw) if "name" in raw.lower() else None
    name = None
    if name_match:
        name = (name_match.group(1) or name_match.group(2) or "").strip(" .\"'") or None
    address = parse_address(raw, bare=bare_address)
    return (
        name,
        email_match.group(0).rstrip(".") if email_match else None,
        _vat(raw, bare_address),
        tuple(address.items()) if address is not None else None,
    )
