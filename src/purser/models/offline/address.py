"""Postal-address grammar: labelled lines, comma- or line-separated addresses, country names.

Customers write addresses as

- labelled lines or fields: "street: 88 Queen St W / city: Toronto / postal code: M5H 2N2 /
  country: Canada", "zip: 14202", "Country = Deutschland";
- one line after "address": "Torstraße 1, 10119 Berlin, Germany";
- separate lines: "88 Queen St W\\nToronto ON M5H 2N2\\nCanada".

Labels never end up in a field. Countries are ISO 3166 alpha-2 codes, read from their names in
several languages (babel's territory names: "Canada", "Deutschland", "the Netherlands",
"Österreich"), a few abbreviations ("UK", "USA") and the codes themselves. `address_gaps`
says which fields a partial address leaves to the old one when that would mix two addresses (a
new city over the old street, a new country over the old city): the handler then asks for the
full address instead of proposing the mix.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from babel import Locale

__all__ = ["address_gaps", "country_code", "load_country_names", "parse_address"]

_LOCALES = ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "da", "nb", "fi", "pl")
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})
_ABBREVIATIONS = {
    "us": "US", "usa": "US", "u s": "US", "u s a": "US", "america": "US", "uk": "GB", "u k": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "great britain": "GB",
    "britain": "GB", "holland": "NL", "uae": "AE", "u a e": "AE", "south korea": "KR", "korea": "KR",
}  # fmt: skip


def _key(name: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text).strip()
    return text[4:] if text.startswith("the ") else text


@cache
def _countries() -> dict[str, str]:
    """Country name (in several languages, accents and "the" dropped) -> ISO code."""
    names: dict[str, str] = {}
    clashes: set[str] = set()
    for loc in _LOCALES:
        for code, name in Locale(loc).territories.items():
            code = str(code)
            if len(code) != 2 or not code.isalpha() or code in _NOT_COUNTRIES:
                continue
            key = _key(str(name))
            if names.get(key, code) != code:
                clashes.add(key)
            names[key] = code
    for key in clashes:
        del names[key]
    names.update(_ABBREVIATIONS)
    return names


def load_country_names() -> None:
    """Build the country table now (once per process) rather than on the first address."""
    _countries()


def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 code for a country name, alias or code ("France", "UK", "Deutschland", "de")."""
    key = _key(text)
    if not key:
        return None
    if key in _countries():
        return _countries()[key]
    if len(key) == 2 and key.upper() in set(_countries().values()):
        return key.upper()
    return None


_LABELS = {
    "line1": r"street(?: address)?|address line ?1|line ?1|street and number|address",
    "city": r"city|town|city/town|locality",
    "postal_code": r"post(?:al)? ?code|postcode|zip(?: ?code)?|zipcode|postleitzahl|plz|code postal|cap",
    "region": r"state|province|region|county|prefecture",
    "country": r"country|nation|country code",
}
_LABEL = re.compile(
    r"(?:^|(?<=[\n,;(>|/:-]))\s*(?:billing\s+|new\s+)?(?P<label>"
    + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items())
    + r")\s*[:=]\s*",
    re.IGNORECASE,
)  # fmt: skip
_POSTAL = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"  # UK: SW1A 1AA
    r"|[A-Z]\d[A-Z] ?\d[A-Z]\d"  # Canada: M5H 2N2
    r"|\d{4} ?[A-Z]{2}"  # Netherlands: 1012 AB
    r"|\d{3}-\d{4}"  # Japan: 810-0001
    r"|[A-Z]\d{2}(?: [A-Z\d]{4})?"  # Ireland: D02 X285
    r"|[A-Z]{1,3}-\d{2,6}"  # GA-123, L-1234
    r"|\d{3} \d{2}"  # Sweden, Czechia, Greece: 111 43
    r"|\d{3,6}(?:-\d{3,4})?)\b"  # 10119, 14202-1234
)
_REGION = re.compile(r"^[A-Z]{2,3}$")


def _labelled(raw: str) -> dict[str, str | None] | None:
    """Fields written as "label: value" (two labels at least, or one address part besides the street)."""
    matches = list(_LABEL.finditer(raw))
    fields: dict[str, str] = {}
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(raw)
        value = re.split(r"[\n;]", raw[m.end() : end])[0].strip(" ,.")
        field = next(name for name in _LABELS if m.group(name))
        if value and field not in fields:
            fields[field] = value
    parts = {k: v for k, v in fields.items() if k != "region"}
    if len(parts) < 2 and not (parts.keys() & {"city", "postal_code", "country"}):
        return None
    line1 = parts.get("line1")
    if line1 and not re.search(r"\d", line1) and "," in line1:
        return None  # "address: please use the new one, ..." is no street
    return {
        "line1": line1,
        "city": parts.get("city"),
        "postal_code": parts.get("postal_code"),
        "country": country_code(parts["country"]) if parts.get("country") else None,
    }


_JOINED = re.compile(r"\s+(?:and|also|plus|but|then|&|e|et|und|y)\b", re.IGNORECASE)
"""A joining word after the postal code: the address part ends there."""


def _city_and_code(part: str) -> tuple[str | None, str | None]:
    """ "10119 Berlin" -> ("Berlin", "10119"); "Toronto ON M5H 2N2" -> ("Toronto", "M5H 2N2")."""
    m = _POSTAL.search(part)
    code = m.group(0) if m else None
    if m:
        # "Cambridge MA 02139 and also when is my next payment": what follows a joining word is another request
        joined = _JOINED.search(part, m.end())
        part = part[: joined.start()] if joined else part
    rest = (part[: m.start()] + " " + part[m.end() :]) if m else part
    words = [w for w in rest.split() if not _REGION.match(w) and not re.search(r"\d", w)]
    return (" ".join(words).strip(" ,.") or None), code


_UNIT = re.compile(
    r"^(?:unit|suite|ste|flat|apt|apartment|floor|fl|building|bldg|room|office|c/o|p\.? ?o\.? box)\b", re.IGNORECASE
)
"""A first part that is only a unit or building ("Unit 5", "Suite 200"): the street follows in the next part."""
_STREET = re.compile(
    r"\b(?:road|rd|street|st|avenue|ave|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|square|sq|terrace"
    r"|close|crescent|highway|hwy|parkway|pkwy)\b\.?"
    r"|(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|laan|straat|gracht|vej|gatan|gade)\b"
    r"|^\d*\s*(?:rue|avenue|via|calle|avenida|rua|plaza|piazza|chemin|boulevard)\b",
    re.IGNORECASE,
)
"""A part that names a street (its type word), so it belongs to the street line, not the city."""


_LABEL_STARTS = {name: re.compile(rf"(?:{pattern})\s+(?=\S)", re.IGNORECASE) for name, pattern in _LABELS.items()}
"""Each field's label starting a part, compiled once (not looked up in `re`'s cache part by part)."""


def _label_of(part: str) -> tuple[str, str] | None:
    """ "city Oakland" -> ("city", "Oakland"): a part that starts with a field's label and no colon."""
    for name, start in _LABEL_STARTS.items():
        m = start.match(part)
        if (m and name != "line1") or (m and name == "line1" and re.search(r"\d", part[m.end() :])):
            return name, part[m.end() :].strip()
    return None


def _from_labelled_parts(parts: list[str]) -> dict[str, str | None] | None:
    """ "street 455 Harbor Boulevard, city Oakland, ZIP 94607, country US": every part led by its label."""
    fields: dict[str, str] = {}
    for part in parts:
        found = _label_of(part)
        if found is None:
            continue
        fields.setdefault(found[0], found[1])
    if len(fields) < 2 or ("line1" not in fields and "city" not in fields):
        return None
    country = fields.get("country")
    return {
        "line1": fields.get("line1"),
        "city": fields.get("city"),
        "postal_code": fields.get("postal_code"),
        "country": country_code(country) if country else None,
    }


def _from_parts(parts: list[str]) -> dict[str, str | None] | None:
    """An address from its comma- or line-separated parts: street first, country last."""
    parts = [p.strip(" .,") for p in parts if p.strip(" .,")]
    labelled = _from_labelled_parts(parts)
    if labelled:
        return labelled
    if len(parts) < 2 or not re.search(r"\d", parts[0]):
        return None
    country = country_code(parts[-1]) if len(parts) > 1 else None
    middle = parts[1:-1] if country else parts[1:]
    line1 = parts[0]
    # "Unit 5, 40 Ancoats Road, Manchester": the street line spans parts until the one that is no street
    while len(middle) > 1 and (
        ((_UNIT.match(line1) or _STREET.search(middle[0])) and re.search(r"\d", middle[0])) or _UNIT.match(middle[0])
    ):
        line1, middle = f"{line1}, {middle[0]}", middle[1:]
    city: str | None = None
    postal: str | None = None
    for part in middle:
        found_city, code = _city_and_code(part)
        postal = postal or code
        city = city or found_city
    return {"line1": line1, "city": city, "postal_code": postal, "country": country}


_ADDRESS = re.compile(
    r"\b(?:address|adress|addres|adresse)\b\s*"
    r"(?:(?:is now|is|to|should be|should read|reads|will be|becomes|as)\b|=|:)?\s*"
    r"(?:now\b\s*)?(?:to\b\s*)?:?[ \t]*\n?(.+?)\s*"
    r"(?:[;!?]|\n\s*\n|\.\s|\.$|$)",
    re.IGNORECASE | re.DOTALL,
)
_COUNTRY_ONLY = re.compile(
    r"\b(?:moved to|relocated to|relocating to|moving to|country (?:is|to|should be)|based in)\s+"
    r"([^\W\d_][\w .]{1,40})",
    re.IGNORECASE,
)


_FREE_ADDRESS = re.compile(
    r"(?:\b\d+[^\W\d_]?\s[^,.;:!?\n]{2,60}"
    r"|\b(?:rua|avenida|av\.|calle|rue|via|viale|piazza|plaza|paseo|travessa|largo|boulevard|chemin|allee)"
    r"\s[^,.;:!?\n\d]{2,60}\d+[^\W\d_]?)"
    r"(?:,(?:[^,;:!?.\n]|\.(?=\S)){2,40}){2,4}",
    re.IGNORECASE,
)
"""A street with its number (before the name, or after it where the street's type word comes first: "Avenida
da Liberdade 110"), then comma-separated parts: read as an address only when the last is a country."""


def _to_country(parts: list[str]) -> list[str]:
    """The parts up to the one naming a country ("…, Berlin, Deutschland, danke" ends at "Deutschland");
    that part cut to the country's words ("Spain — please change it" → "Spain")."""
    for end in range(len(parts) - 1, 1, -1):
        words = parts[end].split()
        for n in range(min(3, len(words)), 0, -1):
            if country_code(" ".join(words[:n]).strip(" .")):
                return [*parts[:end], " ".join(words[:n])]
    return parts


def parse_address(raw: str, bare: bool = False) -> dict[str, str | None] | None:
    """The address the raw message gives ({"line1", "city", "postal_code", "country"}, None = not given).

    `bare`: the whole message may be the address (the answer to "what is the new address?").
    """
    labelled = _labelled(raw)
    if labelled:
        return labelled
    m = _ADDRESS.search(raw)
    texts = [m.group(1)] if m else []
    if bare:
        texts.append(raw)
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        if lines and lines[0].count(",") >= 2:
            text = lines[0]  # an address written on one line ends with it (the next line is another request)
        parts = lines if len(lines) > 1 and "," not in lines[0] else re.split(r"[,\n]", text)
        found = _from_parts(parts)
        if found:
            return found
    for span in _FREE_ADDRESS.finditer(raw):  # "we moved: 120 King Street West, Toronto, M5H 1J9, Canada"
        found = _from_parts(_to_country(span.group(0).split(",")))
        if found and found["country"] and found["city"]:
            return found
    c = _COUNTRY_ONLY.search(raw)
    if c:
        words = c.group(1).strip(" .").split()
        for n in range(min(4, len(words)), 0, -1):
            code = country_code(" ".join(words[:n]))
            if code and not (n == 1 and len(words[0]) <= 3 and words[0].islower()):
                return {"line1": None, "city": None, "postal_code": None, "country": code}
    return None


def address_gaps(new: dict[str, Any], current: dict[str, Any] | None) -> list[str]:
    """Fields a partial new address would keep from `current` although they belong to the old address.

    A new country or city means a new street and postal code; a new street needs its city. Filling only
    the postal code (a correction) or giving every field leaves no gap.
    """
    old = current or {}
    given = {k for k in ("line1", "city", "postal_code", "country") if new.get(k)}
    moved_country = (
        bool(new.get("country")) and str(new.get("country")).upper() != str(old.get("country") or "").upper()
    )
    moved_city = bool(new.get("city")) and _key(str(new.get("city"))) != _key(str(old.get("city") or ""))
    needed: set[str] = set()
    if moved_country:
        needed |= {"line1", "city", "postal_code"}
    if moved_city:
        needed |= {"line1", "postal_code"}
    if "line1" in given:
        needed |= {"city"}
    missing: list[str] = [k for k in ("line1", "postal_code", "city", "country") if k in needed - given and old.get(k)]
    return missing
