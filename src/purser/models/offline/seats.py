"""Seat-count grammar: what the customer wants the seat total to become.

A message can carry several numbers about seats, with different roles:

- a relative change: "add the 2 missing seats", "2 more users", "another 3", "one less user",
  "remove a seat", "reduce by 2";
- an absolute target: "drop to 4 seats", "we need 10 licences", "from 3 to 5", "8 seats in total";
- a head count, which is a target: "we are 5 people now", "there are 7 of us";
- the customer's statement of the current count, which is never the target: "we have 3
  seats", "we currently pay for 4 users", "instead of 6".

`parse_seats` reads the roles; `seat_target` turns them into the new total against the
account's real count, and answers None (ask) when the customer's numbers disagree with each
other or with the account. Pure functions of normalized text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from purser.models.offline.numbers import numbers_from_words

__all__ = ["SeatSlot", "parse_seats", "seat_target"]


@dataclass(frozen=True, slots=True)
class SeatSlot:
    """A seat count: an absolute total, or a number to add or remove.

    `stated` is the current count as the customer stated it, `total` the total they said
    they want besides a relative change; both only serve to check the change.
    """

    mode: Literal["set", "add", "remove"]
    count: int
    stated: int | None = None
    total: int | None = None


_SEAT = r"(?:seats?|users?|licen[cs]es?|members?|people|persons?|spots?|places?|logins?|accounts?)"
_SEAT_RE = re.compile(_SEAT)
_PEOPLE = (
    r"(?:people|persons|members|employees|colleagues|staff|users|folks|agents|teammates|hires|developers|engineers"
    r"|designers|reps|of us|in (?:the|our) team)"
)
_N = r"(\d{1,5})"
_SKIP = r"(?: (?:the|a|an|another|extra|additional|more|us|me|on|our|my|those|these|them|it|of|just|only))*"

_ADD = (
    re.compile(r"\b(?:add|adding|plus)\b" + _SKIP + r" " + _N + r"\b(?! ?%)"),
    re.compile(r"\b" + _N + r" (?:more|extra|additional|new|missing|further)\b"),
    re.compile(r"\b" + _N + r" " + _SEAT + r" more\b"),
    re.compile(r"\banother " + _N + r"\b"),
    re.compile(r"\b(?:increase|up|raise|bump|grow|expand)(?: it| them| that| the \w+| our \w+)?(?: up)? by " + _N),
    re.compile(r"\+ ?" + _N + r"\b"),
    re.compile(r"\badd\b(?: " + _SEAT + r"| more| extra| some)* for " + _N + r"\b"),
    re.compile(r"\b(?:hired|onboarded|onboarding|welcomed|taken on) " + _N + r" (?:new )?" + _PEOPLE + r"\b"),
    re.compile(r"\b" + _N + r" (?:new )?" + _PEOPLE + r" (?:joined|are joining|will join|started|are starting)\b"),
)
_REMOVE = (
    re.compile(r"\b" + _N + r" (?:fewer|less)\b"),
    re.compile(r"\b" + _N + r" " + _SEAT + r" (?:fewer|less)\b"),
    re.compile(r"\b(?:take|knock|cut|drop|switch|turn) " + _N + r"(?: " + _SEAT + r")? off\b"),
    re.compile(r"\b" + _N + r" " + _PEOPLE + r" (?:left|have left|are leaving|quit|departed)\b"),
    re.compile(
        r"\b(?:remove|removing|delete|drop|dropping|cut|minus|lose|take away|take off|get rid of|free up"
        r"|release|cancel|deactivate)\b" + _SKIP + r" " + _N + r"\b(?! ?%)"
    ),
    re.compile(
        r"\b(?:reduce|decrease|lower|down|cut|drop|shrink)(?: it| them| that| the \w+| our \w+)?(?: down)? by " + _N
    ),
)
_FROM_TO = re.compile(r"\bfrom " + _N + r"(?: " + _SEAT + r")? (?:to|down to|up to|->) " + _N + r"\b")
_SET = (
    re.compile(_SEAT + r"(?: count| number| quantity| total)? (?:to|at|down to|up to) " + _N + r"\b"),
    re.compile(
        r"\b(?:to|need|want|total of|only need|only want|exactly|just need|keep)\s+(?:only |just )?"
        + _N
        + r"\s*"
        + _SEAT
    ),
    re.compile(r"\b" + _N + r"(?: " + _SEAT + r")? (?:in total|altogether|overall)\b"),
    re.compile(r"\b" + _N + r" " + _SEAT + r" total\b"),
    re.compile(r"\b(?:make it|make that|make them|go for|settle on) " + _N + r"\b"),
)
_SET_VERB = re.compile(
    r"\b(?:reduce|decrease|lower|cut|increase|bump|raise|change|set|update|go|move|drop|bring|adjust|scale|make it"
    r"|take|downsize|upsize|shrink|expand)\b[^.?!]{0,30}?\b(?:to|down to|up to) " + _N + r"\b"
)
_HEADCOUNT = (
    re.compile(
        r"\b(?:we are|we will be|there are|there will be|we have grown to|grown to|team of|company of|"
        r"we now are|we are now)\b(?: now| already| currently)? " + _N + r"\b(?! " + _SEAT.replace("people|", "") + r")"
        r"(?! ?(?:weeks?|days?|months?|years?|hours?|minutes?|%|percent|dollars|euros|pounds|late|behind|over)\b)"
    ),
    re.compile(
        r"\b(?:we have|we now have|now we have|we got|there are)(?: now| already)? "
        + _N
        + r" "
        + _PEOPLE
        + r"\b(?! (?:more|less|fewer))"
    ),
)
_CURRENT = (
    re.compile(
        r"\b(?:we|i)(?: currently| now| already| only| still)? (?:have|pay for|are paying for|got|have got|use"
        r"|are using|are on|own|hold|are at)(?: only| just)? " + _N + r" (?:paid )?" + _SEAT
    ),
    re.compile(
        r"\b(?:currently|right now|at the moment)(?: (?:we|i) (?:have|are on|pay for|use))?(?: on| at)? "
        + _N
        + r"\b(?! (?:people|persons|employees|members|colleagues|of us))"
    ),
    re.compile(r"\b(?:our|my) (?:current )?" + _N + r" " + _SEAT),
    re.compile(r"\b" + _N + r" " + _SEAT + r" (?:currently|right now|at the moment|today)\b"),
    re.compile(r"\b(?:instead of|out of|rather than) " + _N + r"\b"),
)
_BARE = re.compile(r"\b" + _N + r"\s*" + _SEAT + r"\b")


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    found = [m for m in (p.search(text) for p in patterns) if m]
    return min(found, key=lambda m: m.start()) if found else None


def _numbers(patterns: tuple[re.Pattern[str], ...], text: str) -> list[tuple[int, int]]:
    """(position, number) of every match of the patterns."""
    return sorted((m.start(1), int(m.group(1))) for p in patterns for m in p.finditer(text))


_CORRECTION = re.compile(
    r"\b(?:no wait|wait no|no sorry|sorry no|no actually|actually no|i mean|i meant|scratch that|correction"
    r"|make that|or rather|oops|my mistake|my bad)\b[\s,:;.!-]*"
)
"""A self-correction inside one message ("add 3 — no wait, make it 4"): the value after it replaces the one before."""
_REJECTED = re.compile(r"[,;]? ?\b(?:not|rather than) " + _N + r"\b(?! ?(?:more|less|fewer|extra|%))")
"""A value the customer withdraws ("9 seats, not 8"): it names nothing."""
_RELATIVE_WORD = re.compile(r"\b(?:add|remove|more|fewer|less|extra|another|drop|cut|minus|plus)\b")


def parse_seats(text: str) -> SeatSlot | None:
    """The seat change the normalized text asks for (see the module docstring), or None.

    Within one message the last value wins: "add 3 seats, no wait, make it 4" adds 4; "9 seats, not 8" is 9.
    """
    text = _REJECTED.sub(" ", numbers_from_words(text))
    fixes = [m for m in _CORRECTION.finditer(text) if re.search(r"\d", text[m.end() :])]
    if not fixes:
        return _parse(text)
    fix = fixes[-1]
    before, after = _parse(text[: fix.start()]), text[fix.end() :]
    if before is None:
        return _parse(after)
    clause = next((c for c in re.split(r"[,.;!?]", after) if re.search(r"\d", c)), after)
    number = re.search(r"\b\d{1,5}\b", clause)
    if number is None or _RELATIVE_WORD.search(clause) or _FROM_TO.search(clause) or _SEAT_RE.search(clause):
        return _parse(clause) or before  # the correction says it all ("no wait — add 2 more", "i mean 9 seats")
    # "make it 4", "4 instead": the new number in the role the first one had
    return SeatSlot(before.mode, int(number.group(0)), before.stated, None)


def _parse(text: str) -> SeatSlot | None:
    """The seat change of text with no self-correction in it."""
    add, remove = _first(_ADD, text), _first(_REMOVE, text)
    relative = min((m for m in (add, remove) if m), key=lambda m: m.start(), default=None)
    skip = {relative.start(1)} if relative else set()
    current = [(pos, n) for pos, n in _numbers(_CURRENT, text) if pos not in skip]
    stated = current[0][1] if current else None
    targets = [(m.start(1), int(m.group(1))) for m in [_first(_SET, text)] if m]
    verb = _SET_VERB.search(text)
    if verb and _SEAT_RE.search(text):
        targets.append((verb.start(1), int(verb.group(1))))
    targets = [(pos, n) for pos, n in targets if pos not in skip]  # "make it 3 more": the 3 is added, not the total
    span = _FROM_TO.search(text)
    if span:
        stated, targets = int(span.group(1)), [(span.start(2), int(span.group(2)))]
    taken = skip | {pos for pos, _ in current}
    heads = [(pos, n) for pos, n in _numbers(_HEADCOUNT, text) if pos not in taken]
    target = min(targets)[1] if targets else (heads[0][1] if heads else None)
    if relative is not None:
        mode: Literal["add", "remove"] = "add" if relative is add else "remove"
        return SeatSlot(mode, int(relative.group(1)), stated, target)
    if target is not None:
        return SeatSlot("set", target, stated)
    bare = next((m for m in _BARE.finditer(text) if m.start(1) not in taken), None)
    if bare:
        return SeatSlot("set", int(bare.group(1)))
    if current:
        return SeatSlot("set", current[0][1])
    one = re.search(r"\b(?:add|another|1 more|extra|additional)\b[^.?!]*?\b" + _SEAT + r"\b", text)
    vague = re.search(r"\b(?:some|a few|several|couple)\b", text)
    if one and not re.search(r"(?:s|people)$", one.group(0)) and not vague:
        return SeatSlot("add", 1)  # "add a seat", "another user"; "add some people" names no number: ask
    if re.search(r"\b(?:remove|drop|delete|cut)\b[^.?!]*\b(?:a|one|1)\b[^.?!]*" + _SEAT, text):
        return SeatSlot("remove", 1)
    return None


def seat_target(slot: SeatSlot, current: int) -> int | None:
    """The new seat total for an account with `current` seats; None when the numbers disagree (ask)."""
    if slot.mode == "set":
        return slot.count if slot.count >= 1 else None
    if slot.stated is not None and slot.stated != current:
        return None  # "we have 3, add 2" on an account with 4: 5 or 6? ask
    total = current + slot.count if slot.mode == "add" else current - slot.count
    if slot.total is not None and slot.total != total:
        return None
    return total if total >= 1 else None
