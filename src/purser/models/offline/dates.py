"""Date grammars: days, months and ranges relative to the processor's clock; pause lengths.

Every parser is a pure function of the (normalized) text and of `now`, the clock from the
`lookup_account` result, never the machine's. Years are inferred as the latest past
occurrence. CJK forms are read as well: "10月5日", "2026年10月5日", "10월 5일", "10月".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from purser.models.offline.numbers import numbers_from_words

__all__ = ["DateSpan", "parse_dates", "parse_months", "parse_months_until"]

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


def _day_span(year: int, month: int, day: int) -> DateSpan | None:
    d = _safe_date(year, month, day)
    return DateSpan(d, d, "day") if d else None


def _recent_day(today: date, day: int) -> DateSpan | None:
    """The latest past occurrence of day-of-month `day` (this month, else the month before)."""
    year, month = (today.year, today.month) if day <= today.day else _months_back(today, 1)
    return _day_span(year, month, day)


def _month_allowed(text: str, m: re.Match[str]) -> bool:
    if m.group("month") != "may":
        return True
    before = text[: m.start()].split()[-1:] or [""]
    after = text[m.end() :].split()[:1] or [""]
    return (
        before[0] in {"in", "of", "from", "since", "on", "during", "last", "early", "late", "mid"}
        or bool(re.match(r"\d", after[0]))
        or bool(re.match(r"\d", before[0]))
    )


_SLASH_DAY = re.compile(
    r"(?<![\d/.-])(?<!\d [/.-] )\b(?:(\d{1,2}) ?/ ?(\d{1,2})(?: ?/ ?(20\d\d|\d\d))?"
    r"|(\d{1,2})\.(\d{1,2})\.(20\d\d|\d\d))"
    r"\b(?! ?[/.%] ?\d)"
)
"""A day written with slashes or dots: "5/11", "20/09/2026", "11.03.26"."""


def _slash_day(today: date, first: int, second: int, year_text: str | None) -> DateSpan | None:
    """Day/month or month/day: a number above 12 decides; otherwise the most recent past reading."""
    year = None if year_text is None else (int(year_text) + 2000 if len(year_text) == 2 else int(year_text))
    readings = [(second, first), (first, second)]  # (month, day): day/month first, as most of the world writes
    spans = []
    for month, day in readings:
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        span = _day_span(year if year is not None else _past_year(today, month, day), month, day)
        if span is not None and span.start <= today:
            spans.append(span)
    return max(spans, key=lambda sp: sp.start) if spans else None


_ISO_MONTH = re.compile(
    r"(?<!\d[-/.])(?<!\d [-/.] )\b(?:(20\d\d) ?[-/.] ?(0?[1-9]|1[0-2])(?! ?[-/.] ?\d)"
    r"|(0?[1-9]|1[0-2]) ?[-/.] ?(20\d\d))\b"
)
"""A month written with its year and no day ("2026-09", "09/2026")."""
_ISO = re.compile(r"\b(\d{4}) ?[-./] ?(\d{1,2}) ?[-./] ?(\d{1,2})\b")
_CJK_DAY = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
_CJK_MONTH = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*[月월](?!\s*\d)")
_DAY_MONTH = re.compile(r"\b(?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th)?(?: of)? (?P<month>" + _MONTH_RE + r")\b"
                        r"(?:,? (?P<year>20\d\d))?")  # fmt: skip
_MONTH_DAY = re.compile(r"\b(?P<month>" + _MONTH_RE + r")\.? (?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
                        r"(?!\d|,\d)(?:,? (?P<year>20\d\d))?")  # fmt: skip
_MONTH_ONLY = re.compile(r"\b(?P<month>" + _MONTH_RE + r")\b(?:,? (?P<year>20\d\d))?")
_MONTH_RANGE = re.compile(
    r"\b(?:(?P<since>since|starting (?:from|in|with)|from)|between) (?:the )?(?:start of |beginning of )?(?P<first>"
    + _MONTH_RE
    + r")\b(?:,? (?P<year1>20\d\d))?"
    r"(?: (?P<to>to|until|till|thru|through|up to|and|-|–) (?:the )?(?:end of )?(?P<last>" + _MONTH_RE + r")\b"
    r"(?:,? (?P<year2>20\d\d))?)?"
)
"""Months as a range: "since June" (to today), "from June to August", "between June and August"."""
_THROUGH = re.compile(
    r"\b(?P<first>" + _MONTH_RE + r") (?:through|thru|to|until|till|-|–) (?P<last>" + _MONTH_RE + r")\b"
)
"""A bare month range: "June through August", "june - august"."""
_DIGIT = re.compile(r"\d")
_RANGE_WORD = re.compile(r"\b(?:since|from|between|starting|through|thru|to|until|till)\b|[-–]")
_ORDINAL = r"(?:the )?\d{1,2}(?:st|nd|rd|th)"
_ORDINAL_LIST = re.compile(_ORDINAL + r"(?:(?: ,)? (?:and|&|or|,) " + _ORDINAL + r")+")
"""Two or more bare ordinal days in a row ("the 3rd and the 10th"): days of the recent past."""


def _range(today: date, first: str, year1: str | None, last: str | None, year2: str | None) -> DateSpan | None:
    """The months from `first` to `last` inclusive (to today when `last` is None), in the latest past years."""
    m1 = _MONTHS[first]
    y1 = int(year1) if year1 else _past_year(today, m1)
    if last is None:
        return DateSpan(date(y1, m1, 1), today, "range") if date(y1, m1, 1) <= today else None
    m2 = _MONTHS[last]
    y2 = int(year2) if year2 else (y1 if m2 >= m1 else y1 + 1)
    end = _month_span(y2, m2).end
    if date(y1, m1, 1) > end:
        return None
    return DateSpan(date(y1, m1, 1), end, "range")


def parse_dates(text: str, now: datetime) -> tuple[DateSpan, ...]:
    """Date references relative to `now`, in the order they appear.

    Understands "yesterday", "today", "N days/weeks/months ago", "last week", "last/this
    month", "November 1st", "1 November", "the 3rd of october", "on the 1st", "the 3rd and the
    10th", "in august", "august 2026", ISO dates ("2026-11-01", "2026/11/01") and CJK dates
    ("10月5日", "2026年10月5日", "10월 5일", "10月"). Years are inferred as the latest past occurrence.

    A pure function of the text and `now`'s calendar day, and a turn asks it about the same text a few
    times (the slots, the candidates, the follow-up checks): memoized (bounded LRU), hence a tuple.
    """
    return _parse_dates(text, now.date())


@lru_cache(maxsize=4096)
def _parse_dates(text: str, today: date) -> tuple[DateSpan, ...]:
    spans: list[tuple[int, DateSpan]] = []
    used: list[tuple[int, int]] = []

    def add(start: int, end: int, span: DateSpan | None) -> None:
        if span is None or any(s < end and start < e for s, e in used):
            return
        used.append((start, end))
        spans.append((start, span))

    digits = _DIGIT.search(text) is not None  # the patterns of numbered dates are skipped without a digit
    ranged = _RANGE_WORD.search(text) is not None  # most messages name no range: two regexes fewer for them
    for m in _MONTH_RANGE.finditer(text) if ranged else ():
        if m.group("last") is None and not (m.group("since") or "").startswith(("since", "starting")):
            continue  # "from June" alone names June; "since June" runs to today
        if m.group("to") == "and" and not m.group(0).startswith("between"):
            continue  # "from June and August" names two months, not the three between
        add(m.start(), m.end(), _range(today, m.group("first"), m.group("year1"), m.group("last"), m.group("year2")))
    for m in _THROUGH.finditer(text) if ranged else ():
        add(m.start(), m.end(), _range(today, m.group("first"), None, m.group("last"), None))
    for m in _ISO.finditer(text) if digits else ():
        add(m.start(), m.end(), _day_span(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _SLASH_DAY.finditer(text) if digits else ():
        first, second, year_text = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
        add(m.start(), m.end(), _slash_day(today, int(first), int(second), year_text))
    for m in _ISO_MONTH.finditer(text) if digits else ():  # "2026-09", "2026/09", "09/2026"
        year, month = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
        add(m.start(), m.end(), _month_span(year, month) if 1 <= month <= 12 else None)
    for m in _CJK_DAY.finditer(text) if digits else ():
        month, day = int(m.group(2)), int(m.group(3))
        year = int(m.group(1)) if m.group(1) else _past_year(today, month, day)
        add(m.start(), m.end(), _day_span(year, month, day) if 1 <= month <= 12 else None)
    for m in _CJK_MONTH.finditer(text) if digits else ():
        month = int(m.group(2))
        if 1 <= month <= 12:
            add(m.start(), m.end(), _month_span(int(m.group(1)) if m.group(1) else _past_year(today, month), month))
    for m in _DAY_MONTH.finditer(text) if digits else ():
        month, day = _MONTHS[m.group("month")], int(m.group("day"))
        year = int(m.group("year")) if m.group("year") else _past_year(today, month, day)
        add(m.start(), m.end(), _day_span(year, month, day))
    for m in _MONTH_DAY.finditer(text) if digits else ():
        if not _month_allowed(text, m) or int(m.group("day")) > 31:
            continue
        month, day = _MONTHS[m.group("month")], int(m.group("day"))
        year = int(m.group("year")) if m.group("year") else _past_year(today, month, day)
        add(m.start(), m.end(), _day_span(year, month, day))
    for m in _MONTH_ONLY.finditer(text):
        if not _month_allowed(text, m):
            continue
        month = _MONTHS[m.group("month")]
        year = int(m.group("year")) if m.group("year") else _past_year(today, month)
        add(m.start(), m.end(), _month_span(year, month))
    for m in re.finditer(r"\byesterday\b", text):
        d = today - timedelta(days=1)
        add(m.start(), m.end(), DateSpan(d, d, "day"))
    for m in re.finditer(r"\btoday\b", text):
        add(m.start(), m.end(), DateSpan(today, today, "day"))
    for m in re.finditer(r"\b(\d+) days? ago\b", text) if digits else ():
        d = today - timedelta(days=int(m.group(1)))
        add(m.start(), m.end(), DateSpan(d - timedelta(days=1), d + timedelta(days=1), "range"))
    for m in re.finditer(r"\b(\d+) weeks? ago\b", text) if digits else ():
        d = today - timedelta(weeks=int(m.group(1)))
        add(m.start(), m.end(), DateSpan(d - timedelta(days=3), d + timedelta(days=3), "range"))
    for m in re.finditer(r"\b(?:last|past) week\b", text):
        add(m.start(), m.end(), DateSpan(today - timedelta(days=7), today, "range"))
    for m in re.finditer(r"\b(\d+) months? ago\b", text) if digits else ():
        add(m.start(), m.end(), _month_span(*_months_back(today, int(m.group(1)))))
    for m in re.finditer(r"\b(?:last|previous|past) month\b", text):
        add(m.start(), m.end(), _month_span(*_months_back(today, 1)))
    for m in re.finditer(r"\bthis month\b|\bcurrent month\b", text):
        add(m.start(), m.end(), _month_span(today.year, today.month))
    for m in (
        re.finditer(r"\b(?:on|from|of) the (\d{1,2})(?:st|nd|rd|th)\b|\bon the (\d{1,2})\b", text) if digits else ()
    ):
        add(m.start(), m.end(), _recent_day(today, int(m.group(1) or m.group(2))))
    for m in _ORDINAL_LIST.finditer(text) if digits else ():
        for nth in re.finditer(r"\d{1,2}", m.group(0)):
            add(m.start() + nth.start(), m.start() + nth.end(), _recent_day(today, int(nth.group(0))))
    return tuple(span for _, span in sorted(spans, key=lambda item: item[0]))


# -- pause lengths ----------------------------------------------------------------------
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
_UNTIL = re.compile(
    r"\b(until|till|til|untill|up to|up until|through|thru|to|before|into)\s+(?:the\s+)?(?:(?:start|beginning|"
    r"end|middle) of\s+|early\s+|mid\s*-?\s*|late\s+|end\s+)?(next year|next month|" + "|".join(_MONTH_NUMBER) + r")\b"
)


def parse_months_until(text: str, now: datetime) -> int | None:
    """Months from `now` until a named month: "until January", "till March", "through Feb" (one more),
    "until next year" (January), "until next month" (1). None when no such phrase."""
    m = _UNTIL.search(text)
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
