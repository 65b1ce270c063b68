"""Slot grammars: amounts, dates, seats, months, plans, references, yes/no.

Every parser is a pure function of the text (normalized by `normalize`, except
where the docstring says the raw text is needed for identifiers) and, for
dates, of `now`: the processor's clock from the `lookup_account` result, never
the machine's. Nothing here decides what to do; `dialogue` does.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

__all__ = [
    "AmountSlot",
    "DateSpan",
    "SeatSlot",
    "match_plan",
    "numbers_from_words",
    "parse_amounts",
    "parse_dates",
    "parse_interval",
    "parse_months",
    "parse_months_until",
    "parse_seats",
    "plan_base",
    "yes_no",
]

# -- numbers ----------------------------------------------------------------------------
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
_UNIT_WORDS = (
    r"(?:seats?|users?|licen[cs]es?|members?|people|persons?|accounts?|months?|weeks?|days?|years?"
    r"|dollars?|euros?|pounds?|yen|more|fewer|less|extra|additional|new|of)"
)


def numbers_from_words(text: str) -> str:
    """Replace number words by digits: "two" -> "2", "twenty five" -> "25", "a couple of" -> "2".

    "one" and "a"/"an" are only converted before a unit ("one month", "a month", "add one
    seat"), so "the extra one" keeps its meaning.
    """
    text = re.sub(r"\ba (?:couple|pair) of\b", "2", text)
    text = re.sub(r"\ba couple\b", "2", text)
    text = re.sub(r"\ba dozen\b", "12", text)
    text = re.sub(r"\bhalf a year\b", "6 months", text)
    text = re.sub(r"\b(?:a|an|one|single)\s+(?=" + _UNIT_WORDS + r"\b)", "1 ", text)

    def tens(m: re.Match[str]) -> str:
        return str(_TENS[m.group(1)] + (_UNITS[m.group(2)] if m.group(2) else 0))

    text = re.sub(
        r"\b(" + "|".join(_TENS) + r")(?:[\s-]+(" + "|".join(k for k in _UNITS if 0 < _UNITS[k] < 10) + r"))?\b",
        tens,
        text,
    )
    words = [k for k in _UNITS if k != "one"]
    return re.sub(r"\b(" + "|".join(words) + r")\b", lambda m: str(_UNITS[m.group(1)]), text)


# -- amounts ----------------------------------------------------------------------------
_SYMBOLS = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr", "₩": "krw", "₣": "chf"}
_CURRENCY_WORDS = {
    "dollars": "usd", "dollar": "usd", "usd": "usd", "euros": "eur", "euro": "eur", "eur": "eur",
    "pounds": "gbp", "pound": "gbp", "gbp": "gbp", "yen": "jpy", "jpy": "jpy", "chf": "chf",
    "francs": "chf", "cad": "cad", "aud": "aud", "sek": "sek", "kronor": "sek", "inr": "inr",
    "rupees": "inr", "bucks": "usd", "cents": "cents",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AmountSlot:
    """An amount the customer wrote: exact decimal value and currency when one was named."""

    value: Decimal
    currency: str | None


def _to_decimal(number: str) -> Decimal | None:
    text = number.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", text):  # 1.500,50
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", text):  # 15,50
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


_NUM = r"\d+(?:[.,]\d+)*"
_AMOUNT_RES = (
    re.compile(r"(?P<sym>[$€£¥₹₩])\s?(?P<num>" + _NUM + r")"),
    re.compile(r"(?P<num>" + _NUM + r")\s?(?P<sym>[$€£¥₹₩])"),
    re.compile(r"\b(?P<word>usd|eur|gbp|jpy|chf|cad|aud|sek|inr)\s?(?P<num>" + _NUM + r")\b"),
    re.compile(r"\b(?P<num>" + _NUM + r")\s?(?P<word>" + "|".join(_CURRENCY_WORDS) + r")\b"),
)


def parse_amounts(text: str) -> list[AmountSlot]:
    """Amounts with a currency marker: "$20", "20 bucks", "€15,50", "1500 yen", "usd 20", "50 cents".

    A bare number is not an amount (it may be a day, a seat count or an invoice number).
    """
    found: list[tuple[int, AmountSlot]] = []
    taken: list[tuple[int, int]] = []
    for rx in _AMOUNT_RES:
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            value = _to_decimal(m.group("num"))
            if value is None:
                continue
            groups = m.groupdict()
            cur = _SYMBOLS.get(groups.get("sym") or "") or _CURRENCY_WORDS.get(groups.get("word") or "")
            if cur == "cents":
                value, cur = value / 100, None
            taken.append((m.start(), m.end()))
            found.append((m.start(), AmountSlot(value, cur)))
    for m in re.finditer(r"(?<![\d.,$€£¥-])\b(\d+[.,]\d{2})\b(?![\d.,]|\s?%)", text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        value = _to_decimal(m.group(1))
        if value is not None:
            taken.append((m.start(), m.end()))
            found.append((m.start(), AmountSlot(value, None)))
    return [slot for _, slot in sorted(found, key=lambda item: item[0])]


# -- dates ------------------------------------------------------------------------------
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class DateSpan:
    """An inclusive range of calendar days the customer referred to."""

    start: date
    end: date
    kind: Literal["day", "month", "range"]

    def contains(self, when: date) -> bool:
        """True when `when` falls inside the span."""
        return self.start <= when <= self.end


def _month_span(year: int, month: int) -> DateSpan:
    last = calendar.monthrange(year, month)[1]
    return DateSpan(date(year, month, 1), date(year, month, last), "month")


def _months_back(today: date, n: int) -> tuple[int, int]:
    index = today.year * 12 + (today.month - 1) - n
    return index // 12, index % 12 + 1


def _past_year(today: date, month: int, day: int | None = None) -> int:
    """The year of the latest occurrence of month (and day) not after today."""
    if day is None:
        return today.year if month <= today.month else today.year - 1
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_allowed(text: str, m: re.Match[str]) -> bool:
    word = m.group("month")
    if word not in {"may", "mar", "jan", "jun", "jul", "aug", "oct", "dec", "sep", "nov", "feb", "apr"}:
        return True
    before = text[: m.start()].split()[-1:] or [""]
    after = text[m.end() :].split()[:1] or [""]
    if word == "may":
        return (
            before[0] in {"in", "of", "from", "since", "on", "during", "last", "early", "late", "mid"}
            or bool(re.match(r"\d", after[0]))
            or bool(re.match(r"\d", before[0]))
        )
    return True


def parse_dates(text: str, now: datetime) -> list[DateSpan]:
    """Date references relative to `now`, in the order they appear.

    Understands "yesterday", "today", "N days/weeks/months ago", "last week", "last/this
    month", "November 1st", "1 November", "the 3rd of october", "on the 1st", "in august",
    "august 2026", ISO dates ("2026-11-01"). Years are inferred as the latest past occurrence.
    """
    today = now.date()
    spans: list[tuple[int, DateSpan]] = []
    used: list[tuple[int, int]] = []

    def add(m: re.Match[str], span: DateSpan | None) -> None:
        if span is None or any(s < m.end() and m.start() < e for s, e in used):
            return
        used.append((m.start(), m.end()))
        spans.append((m.start(), span))

    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        add(m, DateSpan(d, d, "day") if d else None)
    for m in re.finditer(r"\b(?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th)?(?: of)? (?P<month>" + _MONTH_RE + r")\b"
                         r"(?:,? (?P<year>20\d\d))?", text):  # fmt: skip
        month, day = _MONTHS[m.group("month")], int(m.group("day"))
        year = int(m.group("year")) if m.group("year") else _past_year(today, month, day)
        d = _safe_date(year, month, day)
        add(m, DateSpan(d, d, "day") if d else None)
    for m in re.finditer(r"\b(?P<month>" + _MONTH_RE + r")\.? (?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
                         r"(?!\d|,\d)(?:,? (?P<year>20\d\d))?", text):  # fmt: skip
        if not _month_allowed(text, m):
            continue
        month, day = _MONTHS[m.group("month")], int(m.group("day"))
        if day > 31:
            continue
        year = int(m.group("year")) if m.group("year") else _past_year(today, month, day)
        d = _safe_date(year, month, day)
        add(m, DateSpan(d, d, "day") if d else None)
    for m in re.finditer(r"\b(?P<month>" + _MONTH_RE + r")\b(?:,? (?P<year>20\d\d))?", text):
        if not _month_allowed(text, m):
            continue
        month = _MONTHS[m.group("month")]
        year = int(m.group("year")) if m.group("year") else _past_year(today, month)
        add(m, _month_span(year, month))
    for m in re.finditer(r"\byesterday\b", text):
        d = today - timedelta(days=1)
        add(m, DateSpan(d, d, "day"))
    for m in re.finditer(r"\btoday\b", text):
        add(m, DateSpan(today, today, "day"))
    for m in re.finditer(r"\b(\d+) days? ago\b", text):
        d = today - timedelta(days=int(m.group(1)))
        add(m, DateSpan(d - timedelta(days=1), d + timedelta(days=1), "range"))
    for m in re.finditer(r"\b(\d+) weeks? ago\b", text):
        d = today - timedelta(weeks=int(m.group(1)))
        add(m, DateSpan(d - timedelta(days=3), d + timedelta(days=3), "range"))
    for m in re.finditer(r"\b(?:last|past) week\b", text):
        add(m, DateSpan(today - timedelta(days=7), today, "range"))
    for m in re.finditer(r"\b(\d+) months? ago\b", text):
        add(m, _month_span(*_months_back(today, int(m.group(1)))))
    for m in re.finditer(r"\b(?:last|previous|past) month\b", text):
        add(m, _month_span(*_months_back(today, 1)))
    for m in re.finditer(r"\bthis month\b|\bcurrent month\b", text):
        add(m, _month_span(today.year, today.month))
    for m in re.finditer(r"\b(?:on|from|of) the (\d{1,2})(?:st|nd|rd|th)\b|\bon the (\d{1,2})\b", text):
        day = int(m.group(1) or m.group(2))
        year, month = (today.year, today.month) if day <= today.day else _months_back(today, 1)
        d = _safe_date(year, month, day)
        add(m, DateSpan(d, d, "day") if d else None)
    return [span for _, span in sorted(spans, key=lambda item: item[0])]


# -- seats, months, interval ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SeatSlot:
    """A seat count: an absolute total, or a number to add or remove."""

    mode: Literal["set", "add", "remove"]
    count: int


_SEAT = r"(?:seats?|users?|licen[cs]es?|members?|people|persons?|spots?|places?|logins?|accounts?)"


def parse_seats(text: str) -> SeatSlot | None:
    """ "10 seats" / "to 10 users" (set), "add 3 more seats" (add), "remove 2 users" (remove)."""
    text = numbers_from_words(text)
    span = re.search(r"\bfrom (\d+)(?: " + _SEAT + r")? (?:to|down to|up to) (\d+)\b", text)
    if span:
        return SeatSlot("set", int(span.group(2)))
    target = re.search(
        _SEAT + r"(?: count| number| quantity)? (?:to|at|down to|up to) (\d+)\b"
        r"|\b(?:reduce|decrease|lower|cut|increase|bump|raise|change|set|update|go|move)\b[^.?!]{0,30}?"
        r"\b(?:to|down to|up to) (\d+)\b",
        text,
    )
    if target and re.search(_SEAT, text):
        return SeatSlot("set", int(target.group(1) or target.group(2)))
    m = re.search(r"\b(add|plus|another|extra|additional|more|increase by|up by)\b[^.?!]*?\b(\d+)\b", text)
    m2 = re.search(r"\b(\d+) (?:more|extra|additional|new)\b", text)
    rem = re.search(
        r"\b(remove|drop|delete|minus|fewer|less|reduce by|cut|get rid of|down by|decrease by)\b[^.?!]*?\b(\d+)\b",
        text,
    )
    rem2 = re.search(r"\b(\d+) (?:fewer|less)\b", text)
    to = re.search(r"\b(?:to|at|have|need|want|total of|only|just)\s+(\d+)\s*" + _SEAT, text)
    bare = re.search(r"\b(\d+)\s*" + _SEAT + r"\b", text)
    if to:
        return SeatSlot("set", int(to.group(1)))
    if m2:
        return SeatSlot("add", int(m2.group(1)))
    if rem2:
        return SeatSlot("remove", int(rem2.group(1)))
    if rem and re.search(_SEAT, text):
        return SeatSlot("remove", int(rem.group(2)))
    if m and re.search(_SEAT, text):
        return SeatSlot("add", int(m.group(2)))
    if bare:
        return SeatSlot("set", int(bare.group(1)))
    if re.search(r"\b(?:add|another|1 more|extra)\b[^.?!]*" + _SEAT, text):
        return SeatSlot("add", 1)
    if re.search(r"\b(?:remove|drop|delete)\b[^.?!]*\b(?:a|one)\b[^.?!]*" + _SEAT, text):
        return SeatSlot("remove", 1)
    return None


def parse_months(text: str) -> int | None:
    """A number of months: "for 2 months", "two months", "a month", "a couple of months", "6 weeks" -> 2."""
    text = numbers_from_words(text)
    m = re.search(r"\b(\d+)\s*(?:-\s*)?months?\b", text)
    if m:
        return int(m.group(1))
    w = re.search(r"\b(\d+)\s*weeks?\b", text)
    if w:
        return max(1, (int(w.group(1)) + 3) // 4)
    if re.search(r"\b(?:a|one) month\b|\bmonth\b", text):
        return 1
    return None


_MONTH_NUMBER = (
    {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
    | {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
    | {"sept": 9}
)


def parse_months_until(text: str, now: datetime) -> int | None:
    """Months from `now` until a named month: "until January", "till March", "through Feb" (one more),
    "until next year" (January), "until next month" (1). None when no such phrase."""
    m = re.search(
        r"\b(until|till|til|untill|up to|up until|through|thru|to|before|into)\s+(?:the\s+)?(?:(?:start|beginning|"
        r"end|middle) of\s+|early\s+|mid\s*-?\s*|late\s+|end\s+)?(next year|next month|"
        + "|".join(_MONTH_NUMBER)
        + r")\b",
        text,
    )
    if not m:
        return None
    word, target = m.group(1), m.group(2)
    if target == "next month":
        return 1
    month = 1 if target == "next year" else _MONTH_NUMBER[target]
    months = (month - now.month) % 12 or 12
    if word in ("through", "thru") or re.search(r"\bend (?:of\s+)?$", text[m.start(2) - 8 : m.start(2)]):
        months += 1
    return months


def parse_interval(text: str) -> Literal["month", "year"] | None:
    """Billing interval the customer asks for: yearly/annual -> "year", monthly -> "month"."""
    if re.search(r"\b(?:year|yearly|annual|annually|12 months|per year|a year)\b", text):
        return "year"
    if re.search(r"\b(?:monthly|month to month|per month|a month|every month)\b", text):
        return "month"
    return None


# -- plans ------------------------------------------------------------------------------
def _close(word: str, name: str) -> bool:
    if word == name:
        return True
    if len(name) <= 3 or len(word) <= 3:
        return False
    limit = 1 if len(name) <= 6 else 2
    return Levenshtein.distance(word, name) <= limit and word[0] == name[0]


_INTERVAL_WORDS = {"annual": "year", "annually": "year", "yearly": "year", "year": "year",
                   "monthly": "month", "month": "month"}  # fmt: skip
_PLAN_FILLER = {"plan", "subscription", "tier", "package", "billing", "version", "edition"}


def plan_base(plan: dict[str, Any]) -> str:
    """A plan's name without its interval words: "Business Annual" -> "business", "Pro" -> "pro"."""
    words = re.findall(r"[a-z0-9]+", str(plan.get("name", "")).lower())
    base = [w for w in words if w not in _INTERVAL_WORDS]
    return " ".join(base or words)


def _mention_interval(words: list[str], start: int, end: int) -> str | None:
    """The interval word right before or after a plan-name mention ("annual Pro", "Pro plan, yearly")."""
    before = words[start - 1] if start > 0 else ""
    if before in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[before]
    after = words[end : end + 2]
    if after and after[0] in _PLAN_FILLER:
        after = after[1:]
    if after and after[0] in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[after[0]]
    return None


def match_plan(text: str, plans: list[dict[str, Any]], current: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Plans the text names, fuzzy on the plan name ("bussiness" -> Business), best first.

    Names are compared without their interval words ("Business Annual" is Business, yearly), and a
    mention takes the interval written next to it ("annual Pro", "Business yearly", "monthly Pro").
    Several plans may share a name with different intervals: the interval bound to the mention wins,
    else the interval the text names, else the current plan's, else monthly. When the text names no
    plan but asks for another interval ("switch to annual"), the current plan's name in that
    interval is returned.
    """
    words = re.findall(r"[a-z0-9]+", text.lower())
    interval = parse_interval(text)
    named: list[dict[str, Any]] = []
    bound: dict[str, set[str | None]] = {}
    for plan in plans:
        name_words = plan_base(plan).split()
        pid = str(plan.get("id", "")).lower()
        if not name_words:
            continue
        n = len(name_words)
        starts = [i for i in range(len(words) - n + 1) if all(_close(words[i + j], name_words[j]) for j in range(n))]
        if pid in text.lower():
            bound.setdefault(plan_base(plan), set()).add(str(plan.get("interval")))
            named.append(plan)
        elif starts:
            for i in starts:
                bound.setdefault(plan_base(plan), set()).add(_mention_interval(words, i, i + n))
            named.append(plan)
    named = [p for p in named if None in bound[plan_base(p)] or p.get("interval") in bound[plan_base(p)]] or named
    if not named and interval and current:
        named = [p for p in plans if plan_base(p) == plan_base(current)]
    if not named:
        return []
    want = interval or (str(current.get("interval")) if current else None) or "month"

    def rank(plan: dict[str, Any]) -> tuple[int, int]:
        same_interval = 0 if plan.get("interval") == want else 1
        is_current = 1 if current and plan.get("id") == current.get("id") else 0
        return (same_interval, is_current)

    names = {plan_base(p) for p in named}
    ordered = sorted(named, key=rank)
    if len(names) == 1:
        return [p for p in ordered if p.get("interval") == want] or ordered[:1]
    return ordered


# -- yes / no ---------------------------------------------------------------------------
_YES = re.compile(
    r"^(?:yes|yeah|yep|yah|ya|sure|okay|alright|all right|of course|definitely|absolutely|please do|"
    r"do it|go ahead|go for it|sounds good|that works|correct|right|confirm|confirmed|fine|perfect|great|"
    r"yes please|please|i agree|agreed|lets do it|let us do it|that would be great|ja|si|oui)\b"
)
_NO = re.compile(
    r"^(?:no|nope|nah|not really|no thanks|no thank you|do not|dont|never mind|nevermind|cancel that|"
    r"i do not want|not now|not interested|negative|i would rather not|rather not|nein|non|not at the moment|"
    r"not for now|not today|not yet|maybe later|later maybe|perhaps later|i will pass|i will skip|i pass|no need|"
    r"(?:thanks|thank you),? but no|(?:thanks|thank you),? but not now|i am good thanks|i am fine thanks)\b"
)


def yes_no(text: str) -> Literal["yes", "no"] | None:
    """ "yes"/"no" when the normalized text starts with an acceptance or a refusal."""
    t = text.strip(" .,!")
    if _NO.match(t):
        return "no"
    if _YES.match(t):
        return "yes"
    return None
