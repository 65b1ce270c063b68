"""Escalation: code-side trigger detection and the handoff summary a human can act on.

`detect_triggers(text)` works with any model runtime (and with none): keyword and regex
patterns in English, Spanish, French, German, Portuguese and Italian, matched on text folded to
lowercase ASCII, plus fuzzy matching of the strongest single words to survive typos
("chargback", "lawer").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from rapidfuzz import fuzz

from purser.text import ascii_twin, required_needles


class EscalationReason(StrEnum):
    """Why a conversation goes to a human: the policy's triggers and the `handoff` tool's reasons.

    A `StrEnum`: each member equals its value (`EscalationReason.FRAUD == "fraud"`), so JSON,
    the database and the model's tool arguments keep plain strings.
    """

    DISPUTE = "dispute"
    FRAUD = "fraud"
    LEGAL_THREAT = "legal_threat"
    HUMAN_REQUEST = "human_request"
    ABUSE = "abuse"
    REPEATED_FAILURE = "repeated_failure"
    OUT_OF_SCOPE = "out_of_scope"
    """Not a trigger: the model hands over a request nothing in the catalog can serve."""


ESCALATION_TRIGGERS: tuple[EscalationReason, ...] = tuple(
    reason for reason in EscalationReason if reason is not EscalationReason.OUT_OF_SCOPE
)
"""The reasons the policy's `escalation.triggers` may list, in their order."""

HANDOFF_REASONS: tuple[str, ...] = tuple(reason.value for reason in EscalationReason)
"""Reasons the `handoff` action accepts (every `EscalationReason`)."""

_PATTERNS: dict[str, tuple[str, ...]] = {
    "dispute": (
        r"\bchargebacks?\b",
        # "a charge back" is the bank's; "put the charge back", "charge back the duplicate" ask us for a refund
        r"(?<!\bthe )(?<!\bthat )(?<!\bthis )(?<!\bmy )\bcharge backs?\b"
        r"(?! (?:the|my|that|this|it|on|onto|to|for|please)\b)",
        r"\bdisput\w*",
        r"\b(my|the) (bank|card issuer|card company)\b.{0,60}\b(revers|disput|charge ?back|claim|contest|refund)",
        r"\b(revers|disput|charge ?back|claim|contest)\w*\b.{0,60}\b(my|the) (bank|card issuer|card company)\b",
        r"\b(going to|gonna|will|'ll|shall) (call|contact|phone|tell) (my|the) (bank|card issuer|card company)\b",
        r"\breverse the (charge|payment)\b",
        r"\bcontracargo\w*",
        r"\bmi banco\b.{0,60}\b(reclam|disput|devol|anul|contracargo)",
        r"\bma banque\b.{0,60}\b(contest|rembours|annul|opposition|litige)",
        r"\bmeine?n? bank\b.{0,60}\b(zuruck|storn|widerspr|reklam)",
        r"\bruckbuchung\b",
        r"\bmeu banco\b.{0,60}\b(contest|estorn|reclam|cancel)",
        r"\bla mia banca\b.{0,60}\b(contest|storn|rimbors|reclam)",
    ),
    "fraud": (
        r"\bfraud\w*",
        r"\bstolen (card|credit card|identity)\b",
        r"\b(card|account) (was |has been )?(stolen|hacked|compromised)\b",
        r"\bhacked\b",
        r"\bdid ?n[o']?t (make|authori[sz]e|recogni[sz]e) (this|these|that|the) (charge|payment|purchase)s?\b",
        r"\bunauthori[sz]ed\b",
        r"\bidentity theft\b",
        # "charges I never made", "someone stole my card details", "somebody used my card"
        r"\b(charges?|payments?|purchases?|transactions?)\b[^.?!]{0,40}\b(i|we) (never|did ?n[o']?t) "
        r"(made?|authori[sz]ed?|sign(ed)? up|order(ed)?)\b",
        r"\b(stole|stolen|steal|skimmed|cloned)\b[^.?!]{0,20}\b(card|card details|card number|identity|account)\b",
        r"\b(some ?one|somebody) (else )?(has )?(used|is using|charged|signed up with) my (card|details|account)\b",
        r"\bfraude\b",
        r"\btarjeta robada\b",
        r"\bcarte volee\b",
        r"\bbetrug\b",
        r"\bcartao roubado\b",
        r"\bcarta rubata\b",
    ),
    "legal_threat": (
        r"\blawyers?\b",
        r"\battorneys?\b",
        r"\bsu(e|ing)\b",
        r"\blaw ?suit\b",
        r"\blegal action\b",
        r"\bsmall claims\b",
        r"\bcourt\b",
        r"\bconsumer protection\b",
        r"\bregulator\b",
        r"\babogad[oa]s?\b",
        r"\bdemandar\w*",
        r"\bavocat\b",
        r"\bpoursuites?\b",
        r"\btribunal\b",
        r"\banwalt\b",
        r"\bverklagen\b",
        r"\bgericht\b",
        r"\badvogad[oa]\b",
        r"\bprocess(ar|o)\b",
        r"\bavvocato\b",
    ),
    "human_request": (
        r"\b(talk|speak|chat) (to|with) (a |an |some ?one |the )?(real |actual |live )?"
        r"(human|person|agent|representative|rep|manager|supervisor|someone|people)\b",
        r"\b(real|live|actual) (human|person|agent)\b",
        r"\bhuman (agent|being|support)\b",
        r"\b(get|want|need) (me )?(a |an )?(human|person|manager|supervisor)\b",
        r"\bare you a (bot|robot|human)\b",
        r"\bescalat\w*",
        # a person from a team, or a person to reach out: "could someone from sales get in touch"
        r"\b(can|could|would|please|like|want|need)\b[^.?!]{0,40}\b(some ?one|somebody|a person|a colleague) "
        r"(from|in|on) (your |the )?(sales|billing|finance|accounts?|account management|support)\b",
        r"\b(talk|speak) (to|with) (your |the |a )?(sales|account manager|billing team|finance team)\b",
        r"\bwho (can|should|do|could) (i|we) (talk|speak|write) (to|with)\b",
        r"\b(have|get|can|could|would) (some ?one|somebody|a person|your sales team|sales) (please )?"
        r"(call|phone|contact|email|reach|get in touch with|get back to) (me|us)\b",
        r"\bhablar con (una persona|un humano|un agente|alguien)\b",
        r"\bparler a (un humain|une personne|un conseiller|quelqu'un)\b",
        r"\bmit einem (menschen|mitarbeiter)\b",
        r"\bfalar com (um humano|uma pessoa|um atendente|alguem)\b",
        r"\bparlare con (un operatore|una persona)\b",
    ),
    "abuse": (
        r"\bf+u+c+k+\w*",
        r"\b(bull)?sh[i1]t+\w*",
        r"\bbitch\w*",
        r"\bbastard\w*",
        r"\basshole\w*",
        r"\bidiot\w*",
        r"\bmoron\w*",
        r"\bstupid\b",
        r"\bretard\w*",
        r"\bi('ll| will) (kill|hurt|find) you\b",
        r"\bcunt\w*",
        r"\bdickhead\w*",
        r"\bmierda\b",
        r"\bputa\w*",
        r"\bpendejo\b",
        r"\bconnard\w*",
        r"\bputain\b",
        r"\bmerde\b",
        r"\bscheisse\b",
        r"\barschloch\b",
        r"\bcaralho\b",
        r"\bporra\b",
        r"\bvaffanculo\b",
        r"\bstronzo\b",
    ),
}

_COMPILED = {trigger: tuple(re.compile(p) for p in patterns) for trigger, patterns in _PATTERNS.items()}


# Most messages fold to plain ASCII: there each pattern runs as its ASCII twin (the same matches on ASCII
# text, without a Unicode lookup per `\b`/`\w`; folded text holds no Unicode-only whitespace, which `fold`
# turned into spaces), and only when the folded text contains one of the pattern's required needles (C
# substring scans instead of a `\b` test at every position; see `purser.text`). Equality with `_COMPILED`
# is tested message by message.
_SCANS_ASCII: dict[str, tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]] = {
    trigger: tuple((tuple(sorted(required_needles(p))), ascii_twin(p)) for p in patterns)
    for trigger, patterns in _COMPILED.items()
}


_FUZZY_WORDS: dict[str, tuple[str, ...]] = {
    "dispute": ("chargeback", "chargebacks"),
    "fraud": ("fraudulent", "unauthorized", "unauthorised"),
    "legal_threat": ("lawyer", "attorney", "lawsuit"),
}


def fold(text: str) -> str:
    """Lowercase ASCII with accents removed and whitespace collapsed."""
    if text.isascii():  # nothing to decompose, no accents, no curly quote
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = ascii_text.replace("’", "'").lower()
    # `str.split()` splits on exactly the characters `\s` matches in a str pattern: the same as
    # collapsing `\s+` to one space and stripping, without the regex
    return " ".join(ascii_text.split())


def detect_triggers(text: str, enabled: Iterable[str] = ESCALATION_TRIGGERS) -> list[str]:
    """The escalation triggers present in a customer's message, in the order of `ESCALATION_TRIGGERS`.

    `repeated_failure` is not a property of text: the gateway counts failures instead.
    """
    if not isinstance(text, str):
        raise TypeError(f"detect_triggers expects text, got {type(text).__name__}")
    allowed = set(enabled)
    folded = fold(text)
    words = set(_WORD.findall(folded))
    ascii_only = folded.isascii()
    found: list[str] = []
    for trigger in ESCALATION_TRIGGERS:
        if trigger not in allowed or trigger not in _COMPILED:
            continue
        if ascii_only:
            hit = _scan_ascii(_SCANS_ASCII[trigger], folded)
        else:
            hit = any(p.search(folded) for p in _COMPILED[trigger])
        if hit or _fuzzy_hit(trigger, words):
            found.append(trigger.value)
    return found


_WORD = re.compile(r"[a-z']+")


def _scan_ascii(scans: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...], folded: str) -> bool:
    """Whether one of the patterns matches ASCII `folded`, each run only when one of its needles is there."""
    for needles, pattern in scans:
        if (not needles or any(needle in folded for needle in needles)) and pattern.search(folded):
            return True
    return False


def _fuzzy_hit(trigger: str, words: set[str]) -> bool:
    lengths = _FUZZY_LENGTHS.get(trigger)
    if not lengths:  # a trigger without fuzzy words
        return False
    targets = _FUZZY_WORDS[trigger]
    return any(fuzz.ratio(w, t) >= 85 for w in words if len(w) in lengths for t in targets)


def _may_reach(a: int, b: int) -> bool:
    """Whether words of lengths `a` and `b` can score 85: `fuzz.ratio` is at most 200·min/(a+b).

    The bound is taken at 84 so that rounding inside the library can never turn a skipped pair into a hit.
    """
    return 200 * min(a, b) >= 84 * (a + b)


# Word lengths that can come within 85 of a trigger's fuzzy words (words shorter than 5 never count): the
# other words are skipped before any fuzzy comparison. 64 is far above the longest reachable length (~17).
_FUZZY_LENGTHS: dict[str, frozenset[int]] = {
    trigger: frozenset(a for a in range(5, 64) if any(_may_reach(a, len(t)) for t in targets))
    for trigger, targets in _FUZZY_WORDS.items()
}


REPEATED_FAILURE_THRESHOLD = 3
"""Failed or invalid action outcomes in one conversation that trigger `repeated_failure`."""


def handoff_summary(
    *,
    reason: str,
    customer: str,
    asked: str,
    done: list[str],
    amounts: list[str],
    left: str,
) -> str:
    """A summary a human can act on without the transcript: who, what they asked, what was done,
    amounts involved and what is left to do."""
    lines = [
        f"Reason: {reason}",
        f"Customer: {customer}",
        f"Asked: {asked.strip() or 'not stated'}",
        "Done: " + ("; ".join(done) if done else "nothing yet"),
    ]
    if amounts:
        lines.append("Amounts: " + "; ".join(amounts))
    lines.append(f"Left to do: {left}")
    return "\n".join(lines)


__all__ = [
    "ESCALATION_TRIGGERS",
    "HANDOFF_REASONS",
    "REPEATED_FAILURE_THRESHOLD",
    "EscalationReason",
    "detect_triggers",
    "fold",
    "handoff_summary",
]
