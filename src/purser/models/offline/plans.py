"""Plan mentions: which words of a message name a plan of the catalogue, and which plan.

Plan names come from the world and are often ordinary words ("Business", "Team", "Pro",
"Basic", "Starter", "Plus", "Growth", "Crew"). A name therefore only counts as a plan mention
in plan context, never on its own:

- a plan noun or an interval next to it: "the Business plan", "Team tier", "annual Pro",
  "Pro yearly", "the business one";
- a preposition of change before it, with the noun phrase ending there: "to Business",
  "into Team?", "from Pro to Growth", "than Basic", "instead of Pro", "between Pro and
  Business", "stay on Pro", "go with Team", "how much for Pro";
- a choosing verb before it: "upgrade business", "try Pro", "I'd like Business instead";
- a price question: "what does Pro cost", "how much is Business";
- a message that is the name alone (the answer to "which plan?"): "Business", "team please";
- a coordination with another mention: "Pro or Business plan", "Basic vs Team".

"our seasonal business", "the whole team moved to another tool", "our business is closing",
"talk to your team members" name no plan. The rule only looks at the words around the name,
so it holds for any catalogue. Names match fuzzily ("bussiness"), except short ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

__all__ = ["mark_plan_mentions", "match_plan", "mentions_plan", "parse_interval", "plan_base", "plan_mentions"]

_INTERVAL_WORDS = {"annual": "year", "annually": "year", "yearly": "year", "year": "year",
                   "monthly": "month", "month": "month"}  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PLAN_FILLER = _words("plan subscription tier package billing version edition")
_PLAN_NOUNS = _words(
    "plan plans tier tiers subscription package packages edition editions version level option one ones offering "
    "bundle features feature benefits limits"
)
"""Words after a name that make it a plan: "the Business plan", "the team one", "Pro features"."""
_ARTICLES = _words("the a an")
_PREPOSITIONS = _words("than vs versus between")
_MOVES = _words("to into onto from over -> => > \u2192")
_CHANGE_VERBS = _words(
    "upgrade upgrading upgraded downgrade downgrading downgraded switch switching switched move moving moved change "
    "changing changed go going went put swap swapping migrate migrating transfer bump convert back get getting plan "
    "subscription tier cost costs pay price much stay staying instead rather prefer drop dropping bumping step "
    "stepping knock shift shifting trade trading down take taking off"
)
"""Words that, within six words before "to"/"from"/"into", make the move one between plans."""
_GUARDED = {
    "on": _words(
        "me us are am is be been stay staying remain currently still now keep put get was were already it them back"
    ),
    "with": _words("go going stay staying stick sticking continue remain keep went bill pay"),
    "for": _words(
        "price prices pricing cost costs quote rate rates much go going opt settle swap switch trade exchange change "
        "plan subscription tier"
    ),
    "of": _words("price cost pricing instead rate version features"),
}
"""Prepositions that name a plan only after these words: "stay on Pro", "go with Team", "instead of Pro"."""
_VERBS = _words(
    "upgrade upgrading downgrade downgrading switch switching try choose pick prefer select activate want take get "
    "give like buy plan tier subscription"
)
_VERB_SKIP = _words("me us it")
_SUFFICES = _words("enough do suffice plenty sufficient fine")
_SWAPS = _words("change changing swap swapping convert move moving switch switching")
_PRICE_AFTER = _words("cost costs price priced pricing include includes cheaper pricier")
_PRICE_BEFORE = _words("much expensive cheap pricey costly")
_ENDS = _words(
    ". , ? ! ; : ) ( - > => \u2192 -> please instead now today tomorrow tonight asap soon later and or but then rather "
    "from for right too as at if so because since starting beginning effective next this immediately again which "
    "when while whilst where who that how what is are was were be would will could can do does has have had should "
    "shall may might must not no yes ok okay thanks thank plz pls with without by in on to of after before until once "
    "per vs versus over than via about within during going cost costs price pricing include includes cheaper pricier "
    "sounds works monthly yearly annual annually seats seat users license licenses also though me us it my our your "
    "their we i you they already just only still each every anyway either both there here"
) | {""}
"""Words that may follow a name when it ends its noun phrase ("to Team." yes, "to team members" no)."""
_ALONE = _words(
    "the a an please one plan i we would like want let lets us go with for ok okay yes yeah yep then maybe think "
    "guess take choose pick prefer to me thanks thank you so just do it that is fine sure and sounds good great works "
    "perfect will tier option actually on put switch move upgrade downgrade make of course definitely hmm hm well "
    "alright right cool now instead rather plz pls ' num"
)
"""Words a message may have besides the name and still be the name alone ("the business one, please")."""
_VOCATIVE = _words("hi hello hey thanks cheers dear you morning evening afternoon")
_COORD = _words("or and vs versus , / &")
_TOKEN = re.compile(r"[a-z0-9]+|->|=>|[.?!,;:()/'>\u2192-]")


def _close(word: str, name: str) -> bool:
    if word == name:
        return True
    if len(name) < 6 or len(word) < 5 or word[:2] != name[:2]:
        return False  # short names are ordinary words too often: "term" is not "team", "basis" not "basic"
    return Levenshtein.distance(word, name) <= (1 if len(name) < 8 else 2)


def _prev(tokens: list[str], i: int, skip: frozenset[str] = _ARTICLES) -> tuple[str, int]:
    """The word before position i, skipping `skip` words; and its position."""
    p = i - 1
    while p >= 0 and tokens[p] in skip:
        p -= 1
    return (tokens[p], p) if p >= 0 else ("", -1)


def _at(tokens: list[str], i: int) -> str:
    return tokens[i] if 0 <= i < len(tokens) else ""


def _in_context(tokens: list[str], i: int, j: int) -> bool:
    """True when the name at tokens[i:j] is used as a plan name (the rules of the module docstring)."""
    nxt = _at(tokens, j + 1) if _at(tokens, j) == "-" else _at(tokens, j)
    after = _at(tokens, j + 1) if nxt in _INTERVAL_WORDS else nxt
    if after in _PLAN_NOUNS or nxt in _INTERVAL_WORDS or _at(tokens, i - 1) in _INTERVAL_WORDS:
        return True
    if nxt in ("is", "will", "would", "should") and _at(tokens, j + 1) in _SUFFICES:
        return True  # "Basic is enough", "Basic will do": the plan the customer settles for
    if (nxt == "per" and _at(tokens, j + 1) in _INTERVAL_WORDS) or nxt in _PRICE_AFTER:
        return True
    if nxt not in _ENDS or (nxt == "as" and _at(tokens, j + 1) == "usual"):
        return False  # "to team members", "back to business as usual"
    word, p = _prev(tokens, i)
    if word in _PREPOSITIONS:
        return True
    if word in _MOVES and _CHANGE_VERBS & set(tokens[max(0, p - 6) : p]):
        return True  # "switch us to Team", "how much if I moved to Business"
    if (word == "from" and "to" in tokens[j : j + 2]) or (word == "to" and "from" in tokens[max(0, p - 4) : p]):
        return True  # "from Pro to Growth"
    if word in _GUARDED and _prev(tokens, p, frozenset())[0] in _GUARDED[word]:
        return True
    if word in ("is", "does", "would", "about") and _PRICE_BEFORE & set(tokens[max(0, p - 3) : p]):
        return True
    verb = _prev(tokens, i, _VERB_SKIP)[0]
    return verb in _VERBS or (verb in _SWAPS and nxt in _MOVES)  # "change Pro to Business"


@lru_cache(maxsize=256)
def _name_words(names: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each distinct name, lowercased, with its tokens."""
    distinct = sorted({n.lower().strip() for n in names if n and n.strip()})
    return tuple((name, tuple(_TOKEN.findall(name))) for name in distinct)


def _find(tokens: list[str], at: dict[str, list[int]], words: tuple[str, ...], fuzzy: bool) -> list[tuple[int, int]]:
    """Where the name's words stand in `tokens` (`at`: token -> positions), exactly or with a typo."""
    first, n = words[0], len(words)
    starts = list(at.get(first, ()))
    if fuzzy and len(first) >= 6:
        starts += [i for tok, pos in at.items() if tok != first and _close(tok, first) for i in pos]
    same = _close if fuzzy else str.__eq__
    return [
        (i, i + n) for i in starts if i + n <= len(tokens) and all(same(tokens[i + k], words[k]) for k in range(1, n))
    ]


def _coordinated(tokens: list[str], a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when only "or", "and", "vs", commas or articles stand between the two mentions."""
    between = tokens[a[1] : b[0]] if a[1] <= b[0] else tokens[b[1] : a[0]]
    coordinated = any(t in _COORD for t in between) and all(t in _COORD | _ARTICLES for t in between)
    return 1 <= len(between) <= 3 and coordinated


def _mentions(text: str, names: Sequence[str], fuzzy: bool) -> tuple[list[re.Match[str]], list[tuple[int, int, str]]]:
    matches = list(_TOKEN.finditer(text.lower()))
    tokens = [m.group(0) for m in matches]
    at: dict[str, list[int]] = {}
    for k, tok in enumerate(tokens):
        at.setdefault(tok, []).append(k)
    found: list[tuple[int, int, str]] = []
    loose: list[tuple[int, int, str]] = []
    for name, words in _name_words(tuple(names)):
        if not words:
            continue
        for i, j in _find(tokens, at, words, fuzzy):
            exact_multi = len(words) > 1 and tuple(tokens[i:j]) == words
            (found if exact_multi or _in_context(tokens, i, j) else loose).append((i, j, name))
    if loose and not found:
        covered = {k for i, j, _ in loose for k in range(i, j)}
        rest = [t for k, t in enumerate(tokens) if k not in covered and t.isalnum() and t not in _ALONE
                and t not in _INTERVAL_WORDS]  # fmt: skip
        if not rest and not any(_at(tokens, i - 1) in _VOCATIVE for i, _, _ in loose):
            return matches, sorted(loose)  # the message is the name alone: "Business", "the team one please"
    grown = True
    while grown and loose and found:  # "Pro or Business plan", "between Basic and Team"
        grown = False
        for item in list(loose):
            if any(_coordinated(tokens, (item[0], item[1]), (f[0], f[1])) for f in found):
                found.append(item)
                loose.remove(item)
                grown = True
    return matches, sorted(found)


def plan_mentions(text: str, names: Sequence[str], fuzzy: bool = True) -> list[tuple[int, int, str]]:
    """Plan-name mentions in plan context: (start, end, name) over `_TOKEN` tokens of the lowercased text."""
    return _mentions(text, names, fuzzy)[1]


def mentions_plan(text: str, names: Sequence[str]) -> bool:
    """True when the text names one of the plans in plan context."""
    return bool(_mentions(text, names, True)[1])


def mark_plan_mentions(text: str, names: Sequence[str], placeholder: str = "planname") -> str:
    """The text with every exact plan mention in context replaced by `placeholder` (for the classifier)."""
    matches, mentions = _mentions(text, names, False)
    for i, j, _ in reversed(mentions):
        text = text[: matches[i].start()] + placeholder + text[matches[j - 1].end() :]
    return text


def parse_interval(text: str) -> Literal["month", "year"] | None:
    """Billing interval the customer asks for: yearly/annual -> "year", monthly -> "month"."""
    if re.search(r"\b(?:year|yearly|annual|annually|12 months|per year|a year)\b", text):
        return "year"
    if re.search(r"\b(?:monthly|month to month|per month|a month|every month)\b", text):
        return "month"
    return None


def plan_base(plan: dict[str, Any]) -> str:
    """A plan's name without its interval words: "Business Annual" -> "business", "Pro" -> "pro"."""
    words = re.findall(r"[a-z0-9]+", str(plan.get("name", "")).lower())
    base = [w for w in words if w not in _INTERVAL_WORDS]
    return " ".join(base or words)


def _mention_interval(tokens: list[str], start: int, end: int) -> str | None:
    """The interval word right before or after a plan-name mention ("annual Pro", "Pro plan, yearly")."""
    before = _at(tokens, start - 1)
    if before in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[before]
    after = [t for t in tokens[end : end + 3] if t not in (",", "-")][:2]
    if after and after[0] in _PLAN_FILLER:
        after = after[1:]
    if after and after[0] in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[after[0]]
    return None


def match_plan(text: str, plans: list[dict[str, Any]], current: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Plans the text names in plan context (see the module docstring), fuzzy on the name, best first.

    Names are compared without their interval words ("Business Annual" is Business, yearly), and a
    mention takes the interval written next to it ("annual Pro", "Business yearly", "monthly Pro").
    Several plans may share a name with different intervals: the interval bound to the mention wins,
    else the interval the text names, else the current plan's, else monthly. When the text names no
    plan but asks for another interval ("switch to annual"), the current plan's name in that
    interval is returned.
    """
    lowered = text.lower()
    tokens = _TOKEN.findall(lowered)
    interval = parse_interval(text)
    bases = {plan_base(p) for p in plans if plan_base(p)}
    mentions = plan_mentions(text, sorted(bases))
    named: list[dict[str, Any]] = []
    bound: dict[str, set[str | None]] = {}
    for plan in plans:
        base = plan_base(plan)
        pid = str(plan.get("id", "")).lower()
        if not base:
            continue
        starts = [(i, j) for i, j, name in mentions if name == base]
        if pid and re.search(r"(?<![\w-])" + re.escape(pid) + r"(?![\w-])", lowered):
            bound.setdefault(base, set()).add(str(plan.get("interval")))
            named.append(plan)
        elif starts:
            for i, j in starts:
                bound.setdefault(base, set()).add(_mention_interval(tokens, i, j))
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
