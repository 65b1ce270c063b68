"""Billing-detail slots: email, VAT id, company name, address (from the raw message).

Returns the `update_billing_details` arguments of the tool contract: every key
present, `None` meaning "unchanged". Validation (e.g. the VAT id checksum) is
the gateway's job; this only finds what the customer wrote.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from babel import Locale

__all__ = ["country_code", "extract_billing"]

_ALIASES = {
    "usa": "US", "us": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "united states of america": "US",
    "uk": "GB", "u.k.": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "great britain": "GB",
    "britain": "GB", "holland": "NL", "the netherlands": "NL", "deutschland": "DE", "españa": "ES",
    "espana": "ES", "italia": "IT", "suisse": "CH", "schweiz": "CH", "österreich": "AT", "brasil": "BR",
}  # fmt: skip


@cache
def _countries() -> dict[str, str]:
    names = {str(name).lower(): str(code) for code, name in Locale("en").territories.items()
             if len(str(code)) == 2 and str(code).isalpha()}  # fmt: skip
    names.update(_ALIASES)
    return names


def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 code for a country name, alias or code ("France", "UK", "de")."""
    key = text.strip(" .,").lower()
    if not key:
        return None
    if key in _countries():
        return _countries()[key]
    if len(key) == 2 and key.upper() in {c for c in _countries().values()}:
        return key.upper()
    return None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_VAT = re.compile(r"\b([A-Za-z]{2})[\s-]?(\d[0-9A-Za-z]*(?:[\s.-]\d[0-9A-Za-z]*)*)\b")
_NAME = re.compile(
    r"(?:company|business|legal|organi[sz]ation)\s+name\s*(?:has changed to|changed to|is now|is|to|should be|"
    r"should read|=|:|as)?\s*[:\"']?\s*([^,.;!?\"'\n][^;!?\"'\n]{0,80}?)\s*"
    r"(?:[\"']|[.;!?\n]|,|$| and (?:my|our|the)\b| please\b| on (?:the|our|my) invoices?\b)"
    r"|(?:rename (?:us|it|the company|our company|the account|my account) to|name on (?:the |my |our )?"
    r"invoices? (?:should be|to|is))\s*[\"']?([^;!?\"'\n]{1,80}?)\s*(?:[\"']|[.;!?\n]|,|$| please\b)",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"\baddress\b\s*(?:(?:is now|is|to|should be|as)\b|=|:)?\s*(?:now\b\s*)?(?:to\b\s*)?:?\s*(.+?)\s*"
    r"(?:[;!?\n]|\.\s|\.$|$)",
    re.IGNORECASE,
)
_COUNTRY_ONLY = re.compile(r"\b(?:moved to|relocated to|country (?:is|to|should be)|based in)\s+([A-Za-z .]{2,40})",
                           re.IGNORECASE)  # fmt: skip


def _vat(raw: str) -> str | None:
    if not re.search(r"\b(?:vat|tax|tva|ust|btw|iva|mwst|moms|alv)\b", raw, re.IGNORECASE):
        return None
    for m in _VAT.finditer(raw):
        prefix, rest = m.group(1).upper(), re.sub(r"[\s.-]", "", m.group(2)).upper()
        if sum(ch.isdigit() for ch in rest) >= 5 and prefix.isalpha():
            return prefix + rest
    return None


def _address(raw: str) -> dict[str, str | None] | None:
    m = _ADDRESS.search(raw)
    if m:
        parts = [p.strip(" .") for p in m.group(1).split(",") if p.strip(" .")]
        if parts and re.search(r"\d", m.group(1)):
            line1: str | None = parts[0]
            city: str | None = None
            postal: str | None = None
            country: str | None = None
            rest = parts[1:]
            if rest and country_code(rest[-1]):
                country = country_code(rest[-1])
                rest = rest[:-1]
            for part in rest:
                words = part.split()
                code_words = [w for w in words if re.search(r"\d", w)]
                other = [w for w in words if not re.search(r"\d", w)]
                if code_words and postal is None:
                    postal = " ".join(code_words)
                    city = " ".join(other) or city
                elif other and city is None:
                    city = " ".join(other)
            return {"line1": line1, "city": city, "postal_code": postal, "country": country}
    c = _COUNTRY_ONLY.search(raw)
    if c:
        words = c.group(1).strip(" .").split()
        for n in range(min(4, len(words)), 0, -1):
            code = country_code(" ".join(words[:n]))
            if code:
                return {"line1": None, "city": None, "postal_code": None, "country": code}
    return None


def extract_billing(raw: str) -> dict[str, Any]:
    """The `update_billing_details` arguments the message asks for (None = unchanged)."""
    email_match = _EMAIL.search(raw)
    name_match = _NAME.search(raw)
    name = None
    if name_match:
        name = (name_match.group(1) or name_match.group(2) or "").strip(" .\"'") or None
    return {
        "name": name,
        "email": email_match.group(0).rstrip(".") if email_match else None,
        "vat_id": _vat(raw),
        "address": _address(raw),
    }
