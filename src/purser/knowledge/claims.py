"""Policy statements found in document sentences: patterns over normalized text.

`extract_claims(sentence)` returns what a sentence says about a policy key: a refund window,
a per-refund cap, a per-customer limit, a pause length, when downgrades, upgrades and
cancellations take effect, the dunning retry schedule or the largest seat change. The patterns
work on `normalize_sentence` output, so "thirty days", "30-day", "a month" and "4 weeks" read
as durations however the document phrases them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from purser.knowledge.normalize import DURATION, Duration, duration_from, normalize_sentence


@dataclass(frozen=True)
class Claim:
    """One statement: `kind` names the policy key it bears on, `value` is comparable, `stated` is for people."""

    kind: str
    value: int | str | tuple[int, ...]
    stated: str
    currencies: tuple[str, ...] = ()
    """For amounts: the currencies the symbol or word can mean ("$" -> usd, cad, aud, ...); () if unsaid."""


# -- refunds -------------------------------------------------------------------------------
_REFUND = re.compile(r"\brefund")
_LOOKBACK = re.compile(
    r"\b(?:per|every|each|a|an|in any|in a|in one|in the same|within any|within a|within the same|over any|"
    r"over a|during any|during a|in the last|in the past|in a rolling|in any rolling)\s+"
    r"(?:rolling\s+|single\s+|calendar\s+)?" + DURATION.replace("an?\\s+|", "")
)
_COUNT = re.compile(
    r"\b(?P<c>\d+)\s+(?:\w+\s+)?refunds?\b(?!\s+(?:window|period|limit|polic|rule))"
    r"|\brefund(?:s|ed)?\s+(?:\w+\s+){0,3}?(?P<t>\d+)\s+times?\b"
)
_PER_CUSTOMER = re.compile(r"\b(?:per|each|every|a)\s+(?:customer|account|subscriber|user)\b")
_WINDOW_NOISE = re.compile(r"business days|working days|bank days|\barriv|\bappear|show up|statement|notice")
_WINDOW = [
    re.compile(
        r"\b(?:within|for up to|up to|no later than|not later than|no more than|not more than|at most|"
        r"older than|more than|last|past|previous|first)\s+(?:the\s+(?:first|last|past)\s+)?" + DURATION
    ),
    re.compile(DURATION + r"\s*(?:refund\s+)?(?:window|guarantee)"),
    re.compile(r"\bwindow\s+(?:is|of|lasts)\s+" + DURATION),
    re.compile(DURATION + r"\s+(?:to|in which to)\s+(?:request|ask|claim|apply|get|receive)\b"),
    re.compile(
        DURATION + r"\s+(?:after|of|from|since|following)\s+(?:the\s+|your\s+|a\s+|an\s+|its\s+|their\s+)?"
        r"(?:date\s+of\s+(?:the\s+)?)?(?:charge|payment|purchase|billing|invoice|transaction|renewal|being charged)"
    ),
]
_NOT_A_WINDOW_AFTER = re.compile(r"^(?:'s|s'|\s+of\s+(?:fees?|charges?|subscription|service|the price|payments?))")
_CAP_CUE = re.compile(
    r"\b(?:at most|up to|no more than|not more than|maximum|max|capped|limited to|cannot exceed|can't exceed|"
    r"never exceeds?|must not exceed|may not exceed|no greater than|cap of|cap is)\b"
)
_CYCLES = re.compile(
    r"\b(?P<n>\d+)\s+(?:full\s+)?(?:billing\s+)?(?:cycle|period|interval)s?\b"
    r"|\b(?P<m>\d+)\s+(?:full\s+)?(?:month|year)(?:'s|s'|s)?\s+(?:of\s+)?(?:worth|fees?|charges?|price|payments?|subscription)\b"
)
_AMOUNT = re.compile(
    r"(?:(?P<s>[$€£¥])\s?(?P<a>\d+(?:\.\d{1,2})?))"
    r"|(?:\b(?P<b>\d+(?:\.\d{1,2})?)\s*(?P<w>usd|eur|gbp|jpy|cad|aud|chf|dollars?|euros?|pounds?|yen)\b)"
)
_DOLLARS = ("usd", "cad", "aud", "nzd", "sgd", "hkd", "mxn")
_CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    "$": _DOLLARS,
    "dollar": _DOLLARS,
    "dollars": _DOLLARS,
    "€": ("eur",),
    "euro": ("eur",),
    "euros": ("eur",),
    "£": ("gbp",),
    "pound": ("gbp",),
    "pounds": ("gbp",),
    "¥": ("jpy", "cny"),
    "yen": ("jpy",),
}


def _currencies(match: re.Match[str]) -> tuple[str, ...]:
    word = match.group("s") or match.group("w") or ""
    return _CURRENCY_WORDS.get(word, (word,) if word else ())


_DAILY = re.compile(r"\b(?:per|a|each|every|in one|in a)\s+(?:single\s+)?(?:calendar\s+)?day\b|\bdaily\b")


def _refund_claims(text: str) -> list[Claim]:
    claims: list[Claim] = []
    rest = text
    counts = list(_COUNT.finditer(text))
    lookbacks = list(_LOOKBACK.finditer(text))
    if counts and lookbacks:
        count = counts[0]
        lookback = lookbacks[0]
        number = int(count.group("c") or count.group("t"))
        duration = duration_from(lookback)
        claims.append(Claim("refund_count", number, f"{number} refund{'s' if number != 1 else ''} per {duration}"))
        claims.append(Claim("refund_lookback", duration.days, f"a look-back of {duration}"))
        rest = text[: lookback.start()] + " " + text[lookback.end() :]
    elif counts and _PER_CUSTOMER.search(text):
        # "Limited to two refunds per customer": a count without its look-back.
        number = int(counts[0].group("c") or counts[0].group("t"))
        claims.append(Claim("refund_count", number, f"{number} refund{'s' if number != 1 else ''} per customer"))
    if not _WINDOW_NOISE.search(rest):
        seen: set[int] = set()
        for pattern in _WINDOW:
            for match in pattern.finditer(rest):
                if _NOT_A_WINDOW_AFTER.match(rest[match.end() :]):
                    continue
                duration = duration_from(match)
                if duration.days not in seen:
                    seen.add(duration.days)
                    stated = str(duration) if duration.unit == "day" else f"{duration} ({duration.days} days)"
                    claims.append(Claim("refund_window", duration.days, stated))
    if _CAP_CUE.search(text):
        daily = _DAILY.search(text)
        for match in _AMOUNT.finditer(text):
            amount = match.group("a") or match.group("b")
            kind = "daily_budget" if daily else "refund_max"
            stated = match.group(0).strip() + (" per day" if daily else "")
            claims.append(Claim(kind, amount, stated, _currencies(match)))
        if not daily:
            for match in _CYCLES.finditer(text):
                n = int(match.group("n") or match.group("m"))
                claims.append(Claim("refund_max", f"{n}_cycle", f"{n} billing cycle{'s' if n != 1 else ''}"))
    return claims


# -- plan changes and cancellation: when they take effect ---------------------------------------
_PERIOD_END = re.compile(
    r"\b(?:end|close)\s+of\s+(?:the\s+|your\s+|each\s+|their\s+|that\s+)?(?:current\s+|paid\s+|billing\s+|"
    r"subscription\s+|prepaid\s+)*(?:period|cycle|term|month|year|interval)\b"
    r"|\bperiod[- ]end\b"
    r"|\b(?:next|upcoming)\s+(?:renewal|billing\s+(?:date|period|cycle)|period|cycle|invoice|billing)\b"
    r"|\b(?:when|once|after)\s+(?:the\s+|your\s+)?(?:current\s+)?(?:paid\s+)?(?:billing\s+)?(?:period|cycle|term|"
    r"year|month)\s+(?:ends|is over|runs out|expires)\b"
    r"|\bat\s+(?:the\s+)?(?:next\s+)?renewal\b|\bkeep\s+(?:full\s+)?access\s+until\b"
)
_NOW = re.compile(
    r"\b(?:immediately|right away|at once|straight away|instantly|effective now|effective today|same day|"
    r"the moment|as soon as)\b|\b(?:takes?|take)\s+effect\s+(?:now|today)\b"
    r"|\b(?:charged|billed|applied|applies|apply|effective|ends?|stops?)\s+now\b"
)
_NEGATION = re.compile(r"\b(?:not|never|no longer|rather than|instead of|n't)\b[^;:,]{0,40}$")
_CLAUSES = re.compile(r";|\s+-\s+|,?\s+(?:whereas|while)\s+|,\s+but\s+")
_TOPICS = {
    "downgrade": re.compile(
        r"\bdowngrad\w*|\b(?:remov|reduc|lower|decreas)\w*\s+(?:the\s+)?(?:number\s+of\s+|your\s+)?seats\b"
        r"|\bfewer\s+seats\b|\b(?:cheaper|lower|smaller)\s+plan\b"
    ),
    "upgrade": re.compile(
        r"\bupgrad\w*|\badd\w*\s+(?:more\s+|extra\s+)?seats\b|\bmore\s+seats\b|\b(?:higher|bigger|larger)\s+plan\b"
    ),
    "cancellation": re.compile(r"\bcancel\w*"),
}


# Between a topic and a timing cue, these words mean the cue times something else
# ("if you cancel, we email you immediately").
_ASIDE = re.compile(
    r"\b(?:email|e-mail|notif|send|sent|confirm|receiv|tell|told|contact|respond|repl|refund|credit|"
    r"receipt|message|let you know|access to (?:the|your) data|export|process|schedul|handl|request|submit|"
    r"record|acknowledg)\w*"
)
# "You can cancel immediately" says when you may act, not when it takes effect.
_ABILITY = re.compile(r"\b(?:can|may|able to|free to)\s+(?:\w+\s+)?$")
# The company ending an account for cause is not the customer's cancellation policy.
_FOR_CAUSE = re.compile(r"\b(?:fraud|breach|violat\w*|abuse|chargeback|terminat\w*|suspend\w*|non-?payment)\b")
_UNDO = re.compile(r"\b(?:undo|reverse|withdraw)\w*\s+(?:a|the|your)\s+$")


def _aside(clause: str, start: int, cue: int) -> bool:
    """True when the few words just before a cue say it times something else (an email, a refund)."""
    words = clause[start:cue].split()[-4:]
    return bool(_ASIDE.search(" ".join(words)))


def _timings(pattern: re.Pattern[str], clause: str) -> list[int]:
    return [m.start() for m in pattern.finditer(clause) if not _NEGATION.search(clause[: m.start()])]


def _timing_claims(text: str) -> list[Claim]:
    claims: list[Claim] = []
    carried: list[tuple[int, str]] = []
    for clause in _CLAUSES.split(text):
        cues = [(pos, "period_end") for pos in _timings(_PERIOD_END, clause)]
        cues += [(pos, "now") for pos in _timings(_NOW, clause)]
        cues.sort()
        mentions = sorted((m.start(), kind) for kind, pattern in _TOPICS.items() for m in pattern.finditer(clause))
        # "Downgrades do not apply now; they wait for the period end": the subject carries over.
        if not mentions and carried:
            mentions = [(0, carried[-1][1])]
        carried = mentions
        if not cues:
            continue
        for index, (pos, kind) in enumerate(mentions):
            if kind == "cancellation" and (_UNDO.search(clause[:pos]) or _FOR_CAUSE.search(text)):
                continue
            next_other = next((p for p, k in mentions[index + 1 :] if k != kind), len(clause))
            after = [c for c in cues if pos <= c[0] < next_other and not _aside(clause, pos, c[0])]
            before = [c for c in cues if c[0] < pos and not _aside(clause, 0, c[0])]
            if after and _ABILITY.search(clause[:pos]) and len(clause[pos : after[0][0]].split()) <= 2:
                after = after[1:]
            chosen = after[0] if after else (before[-1] if before and len({k for _, k in mentions}) == 1 else None)
            if chosen is None:
                continue
            value = chosen[1]
            if kind in ("downgrade", "upgrade"):
                value = "now_prorated" if value == "now" else value
            stated = "at the end of the billing period" if chosen[1] == "period_end" else "immediately"
            claim = Claim(kind, value, stated)
            if claim not in claims:
                claims.append(claim)
    return claims


# -- pause -----------------------------------------------------------------------------------
_PAUSE = re.compile(r"\bpaus")
_PAUSE_LENGTH = [
    re.compile(
        r"\b(?:for\s+up\s+to|up\s+to|at\s+most|a\s+maximum\s+of|maximum\s+of|max(?:imum)?|no\s+(?:more|longer)\s+than|"
        r"not\s+(?:more|longer)\s+than|for|as\s+long\s+as|limited\s+to|as\s+many\s+as)\s+" + DURATION
    ),
    re.compile(DURATION + r"\s+(?:pause|break)"),
]


_PAUSE_NOISE = re.compile(r"\b(?:data|keep|kept|retain\w*|stor\w*|delet\w*|archiv\w*)\b")


def _about_pause(text: str, start: int) -> bool:
    """True when a pause word shortly precedes `start` with nothing about data in between."""
    window = text[max(0, start - 45) : start]
    mentions = list(_PAUSE.finditer(window))
    return bool(mentions) and not _PAUSE_NOISE.search(window[mentions[-1].start() :])


def _pause_claims(text: str) -> list[Claim]:
    claims: list[Claim] = []
    for pattern in _PAUSE_LENGTH:
        for match in pattern.finditer(text):
            if pattern is _PAUSE_LENGTH[0] and not _about_pause(text, match.start()):
                continue
            duration = duration_from(match)
            months = duration.months
            value = months if months is not None else -duration.days
            claim = Claim("pause_max", value, str(duration))
            if claim not in claims:
                claims.append(claim)
    return claims


# -- dunning -----------------------------------------------------------------------------------
_DUNNING = re.compile(r"\bretr(?:y|ies|ied|ying)\b|\bre-?attempt|\btry\s+(?:again|charging)|\battempts?\b")
_PAYMENT = re.compile(r"\b(?:payment|charg|card|invoice|billing|renewal|dunning)")
_RETRY_COUNT = re.compile(
    r"\b(?P<n>\d+)\s+(?:more\s+|additional\s+|further\s+|automatic\s+|extra\s+)?"
    r"(?:payment\s+|charge\s+|collection\s+)?(?:times|retries|retry attempts|attempts|re-?attempts|tries)\b"
)
_DAY_LIST = re.compile(
    r"\bdays?\s+(?P<a>\d+(?:\s*,\s*\d+)*(?:\s*,?\s*(?:and|&)\s*\d+)?)\b"
    r"|\b(?P<b>\d+(?:\s*,\s*\d+)*\s*,?\s*(?:and|&)\s*\d+)\s+days\b"
)
_SPAN = re.compile(r"\b(?:over|within|during|across)\s+(?:the\s+(?:next|following)\s+)?" + DURATION)
_EVERY = re.compile(r"\bevery\s+" + DURATION)


def _dunning_claims(text: str) -> list[Claim]:
    claims: list[Claim] = []
    count = _RETRY_COUNT.search(text)
    if count:
        n = int(count.group("n"))
        if re.search(r"\bin total\b|\btotal of\b|\bincluding the first\b", text) and "attempt" in count.group(0):
            n -= 1
        claims.append(Claim("dunning_count", n, f"{n} retr{'y' if n == 1 else 'ies'}"))
    days = _DAY_LIST.search(text)
    if days:
        numbers = tuple(int(x) for x in re.findall(r"\d+", days.group("a") or days.group("b")))
        claims.append(Claim("dunning_days", numbers, "days " + ", ".join(map(str, numbers))))
    span = _SPAN.search(text)
    if span:
        duration = duration_from(span)
        claims.append(Claim("dunning_span", duration.days, f"over {duration}"))
    every = _EVERY.search(text)
    if every:
        duration = duration_from(every)
        claims.append(Claim("dunning_every", duration.days, f"every {duration}"))
    return claims


# -- seats -----------------------------------------------------------------------------------
_SEAT_LIMIT = re.compile(
    r"\b(?:up to|at most|no more than|not more than|a maximum of|maximum of|more than|over|beyond)\s+"
    r"(?P<n>\d+)\s+seats?\b"
    r"(?=[^.]*\b(?:at a time|at once|per change|in one change|in a single change|per request|in one go|"
    r"larger|bigger|handled by|need|require|go(?:es)? to|change))"
)


def _seat_claims(text: str) -> list[Claim]:
    match = _SEAT_LIMIT.search(text)
    if not match:
        return []
    n = int(match.group("n"))
    return [Claim("max_seat_change", n, f"{n} seats per change")]


def extract_claims(sentence: str) -> list[Claim]:
    """Every policy statement `sentence` makes (empty when it makes none)."""
    text = normalize_sentence(sentence)
    claims: list[Claim] = []
    if _REFUND.search(text):
        claims += _refund_claims(text)
    claims += _timing_claims(text)
    if _PAUSE.search(text):
        claims += _pause_claims(text)
    if _DUNNING.search(text) and _PAYMENT.search(text) and not _REFUND.search(text):
        claims += _dunning_claims(text)
    if "seat" in text:
        claims += _seat_claims(text)
    return claims


__all__ = ["Claim", "Duration", "extract_claims"]
