"""From a customer message to an ordered list of requests (intent + the clause's text).

1. Sentences are split on . ? ! ; and new lines (not inside "$15.50" or emails).
2. A sentence is split further on connectors ("and", "also", "then", "plus") only
   when both sides are confidently different actionable intents, so "update my
   VAT id and address" stays one request while "upgrade me to Business and send
   me the receipt" becomes two.
3. Each clause is classified; clauses below the confidence threshold are
   attached to the neighbouring request as extra slot text.
4. Escalation triggers (dispute, fraud, legal threat, human request, abuse) come
   from `purser.policy.escalation.detect_triggers` when that module exists, with
   the classifier and a few high-precision patterns as the fallback.
5. Greetings, thanks and bare yes/no are dropped when the message also asks for
   something; consecutive clauses with the same intent are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from purser.models.offline.classifier import DEFAULT_PLAN_NAMES, get_classifier
from purser.models.offline.cues import (
    ACTIONS,
    CARD_ASK,
    CARD_DONE,
    CARD_HOW_TO,
    CHANGE_VERB,
    CHARGE_AGAIN,
    DO_IT,
    FALLBACKS,
    HYPOTHETICAL,
    IF_IT_FAILS,
    KEEP_SEATS,
    MONEY_BACK,
    NO_PAUSE,
    NOT_CANCEL,
    ON_PLAN,
    OWE_QUESTION,
    PAST_CANCEL,
    PAST_CHANGE,
    PAST_PAUSE,
    PAST_REFUND,
    PAUSE_ASK,
    PAUSE_END,
    REMEDY,
    RETRY_ASK,
    SEAT_CHANGE_CUE,
    TRIAL_QUESTION,
    UNDO_CANCEL,
    VAT_ID_SHOWN_QUESTION,
    VAT_PAID_QUESTION,
    VAT_ZERO_QUESTION,
    WHEN_RETRY,
    WHICH_CARD,
)
from purser.models.offline.escalations import ESCALATIONS, detect_escalation
from purser.models.offline.intents import Intent
from purser.models.offline.normalize import normalize
from purser.models.offline.numbers import numbers_from_words
from purser.models.offline.plans import mentions_plan
from purser.models.offline.questions import (
    PRICE_QUESTION,
    WHEN_CHARGED,
    answer_only,
    info_only,
    is_polite_request,
    merge_conditions,
    reroute,
)
from purser.models.offline.seats import parse_seats
from purser.text import Prefilter

__all__ = ["ACTIONABLE", "ESCALATIONS", "Request", "detect_escalation", "understand"]

SOCIAL: frozenset[str] = frozenset({Intent.GREETING, Intent.THANKS, Intent.AFFIRM, Intent.DENY, Intent.UNKNOWN})
ACTIONABLE: frozenset[str] = frozenset(
    {
        Intent.REFUND,
        Intent.CHARGE_QUESTION,
        Intent.SEND_INVOICE,
        Intent.UPDATE_BILLING,
        Intent.CHANGE_PLAN,
        Intent.CHANGE_SEATS,
        Intent.PREVIEW_CHANGE,
        Intent.RETRY_PAYMENT,
        Intent.PAYMENT_METHOD,
        Intent.PAUSE,
        Intent.RESUME,
        Intent.CANCEL,
        Intent.ACCOUNT_QUESTION,
        Intent.POLICY_QUESTION,
        PRICE_QUESTION,
        *ESCALATIONS,
    }
)
THRESHOLD = 0.45
ESCALATION_CONFIDENCE = 0.85


_ELLIPSIS = re.compile(r"(?:and|or|plus|also|and also|what about|how about|and what about|and how about|and for)"
                       r" ((?:the |a )?(?:\w+ ){0,2}\w+)(?: plan| one| tier)?")  # fmt: skip
"""A clause that is only a new object for the clause before ("and Basic?", "what about the yearly Pro?")."""
_ASKING = frozenset({Intent.PREVIEW_CHANGE, "price_question", Intent.POLICY_QUESTION})
"""Questions an elliptical clause repeats on its new object."""


@dataclass(frozen=True, slots=True)
class Request:
    """One thing the customer asked for."""

    intent: str
    text: str
    """The clause(s) of the raw message this request came from."""
    normalized: str
    confidence: float


_LIST_ITEM = re.compile(r"(?:^|(?<=[\s:,]))\(?(\d{1,2}|[a-e])[).]\s+(?=[^\d\s])|(?:^|(?<=\n))\s*[•*·–-]\s+")
"""An enumeration marker ("1) ", "2. ", "(3) ", "b) ", or "- " / "• " starting a line)."""
_LIST_HINT = re.compile(r"[\da-e][).]\s|[•*·–-]\s")
"""What every enumeration marker contains: no hint, no marker."""


def _list_items(raw: str) -> str:
    """Each item of an enumeration on its own line, when the markers really count ("1) … 2) …")."""
    if not _LIST_HINT.search(raw):  # the common case, found by a scan much cheaper than the full pattern's
        return raw
    marks = [m.group(1) for m in _LIST_ITEM.finditer(raw) if m.group(1)]
    ordinal = [ord(m) - ord("a") + 1 if m.isalpha() else int(m) for m in marks]
    counted = len(ordinal) >= 2 and all(b == a + 1 for a, b in pairwise(ordinal))
    return _LIST_ITEM.sub(lambda m: "\n" if counted or not m.group(1) else m.group(0), raw)


def _sentences(raw: str) -> list[str]:
    parts = re.split(r"[.](?!\d|[a-z])|[?!;\n¿¡]+", _list_items(raw))
    return [p.strip(" ,") for p in parts if p and p.strip(" ,.")]


_CONNECTOR = re.compile(
    r",?\s+(?:and then|and also|and|also|then|plus|as well as|\+|&)\s+|,\s+|\s*\+\s*(?=[a-z])", re.IGNORECASE
)


@lru_cache(maxsize=4096)
def _classify(text: str, plan_names: tuple[str, ...]) -> tuple[str, float, str]:
    # bounded memo: a message's clauses are classified once alone and once in their sentence
    norm = normalize(text)
    pred = get_classifier().predict(norm, plan_names)
    intent, conf = _override(text, pred.intent, pred.confidence, norm, plan_names)
    return intent, conf, norm


_DATE_ONLY = re.compile(
    r"^(?:(?:the|my|our|that|those)\s+)?(?:(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\d{1,2}(?:st|nd|rd|th)?\b)"
    r"(?:\s+(?:\d{1,2}(?:st|nd|rd|th)?|\d{4}|one|ones|charges?|payments?|invoices?|bills?|too|as well|also))*\s*$"
)
"""A clause that is only a date ("October charges", "the 3rd one"): it continues the previous request."""


def _split_clause(sentence: str, plan_names: tuple[str, ...]) -> list[tuple[str, str, float, str]]:
    whole_intent, whole_conf, whole_norm = _classify(sentence, plan_names)
    pieces: list[str] = []
    for piece in (p for p in _CONNECTOR.split(sentence) if p.strip()):
        if pieces and _DATE_ONLY.match(normalize(piece)):
            pieces[-1] += " and " + piece  # "refund September and October charges": one request, two dates
        else:
            pieces.append(piece)
    if len(pieces) < 2 or (whole_intent == Intent.RESUME and UNDO_CANCEL.search(whole_norm)):
        # "changed our minds, we want to keep it": one request, however the clauses read alone
        return [(sentence, whole_intent, whole_conf, whole_norm)]
    classified = [(p, *_classify(p, plan_names)) for p in pieces]
    confident = [c for c in classified if c[1] in ACTIONABLE and c[2] >= THRESHOLD]
    if len({c[1] for c in confident}) < 2:
        return [(sentence, whole_intent, whole_conf, whole_norm)]
    # attach unconfident or social pieces to the previous confident one
    out: list[list[Any]] = []
    for piece, intent, conf, norm in classified:
        if intent in ACTIONABLE and conf >= THRESHOLD:
            if out and out[-1][1] == intent:
                out[-1][0] += ", " + piece
                out[-1][3] += " , " + norm
            else:
                out.append([piece, intent, conf, norm])
        elif out:
            out[-1][0] += ", " + piece
            out[-1][3] += " , " + norm
        else:
            out.append([piece, intent, conf, norm])
    return [(str(a), str(b), float(c), str(d)) for a, b, c, d in out]


_REFUND_WORDS = re.compile(r"\brefund|\bmoney back\b")


# The override's own word tests, each run only on text holding one of its needles and as its ASCII twin
# on ASCII text (see purser.text): the same answers as `re.search` with the pattern written inline.
_WH_WORD = Prefilter(re.compile(r"\b(?:how|what|when|why|which|where|whether)\b"))
_NOT_CONTINUE = Prefilter(
    re.compile(
        r"\b(?:not|never|no longer|don't|dont|do not) (?:to |going to |gonna |planning to )?(?:want to )?"
        r"(?:continue|keep|stay|renew|go on)\b"
    )
)
_CANCEL_WORD = Prefilter(re.compile(r"\bcancel"))
_NO_RETRY = Prefilter(
    re.compile(
        r"\b(?:do not|don't|dont|never|stop|no more|not)\b[^.?!]{0,15}\b(?:charg\w*|bill\w*|take|collect|debit\w*"
        r"|retry\w*|re-try|try)"
    )
)
_PAUSE_WORD = Prefilter(re.compile(r"\bpaus"))
_CAN_I = Prefilter(re.compile(r"(?:can|could|may|is it possible to|how (?:do|can)) (?:i|we)\b"))
_CHANGE_WORD = Prefilter(re.compile(r"\b(?:downgrad|upgrad|switch|chang|mov)\w*"))
_FROM_NOW_ON = Prefilter(re.compile(r"\b(?:from now on|going forward|in future|future)\b"))
_NEW_ADDRESS = Prefilter(
    re.compile(r"\b(?:future|from now on|instead|going forward|billing|change|update|use|set|switch|new)\b")
)
_SEAT_NOUN = Prefilter(
    re.compile(r"\b(?:seats?|users?|licen[cs]es?|members?|people|persons?|quantity|spots?|logins?|employees?|hires?)\b")
)
_CHANGING = Prefilter(re.compile(r"\b(?:upgrad|downgrad|switch|seat|plan|add|remov)"))
_ACTING = Prefilter(re.compile(r"\b(?:send|email|resend|update|change|add|remove)\b"))
_CHARGE_NOUN = Prefilter(re.compile(r"\b(?:charge[sd]?|payments?|billed|bill|debit|transaction)\b"))


def _override(text: str, intent: str, conf: float, norm: str, plan_names: tuple[str, ...]) -> tuple[str, float]:
    """High-precision rules that correct the classifier on open-class values it cannot see."""
    from purser.models.offline.billing import extract_billing

    if (
        intent == Intent.POLICY_QUESTION
        and _REFUND_WORDS.search(norm)
        and is_polite_request(norm)
        and not _WH_WORD.search(norm)
        and not HYPOTHETICAL.search(norm)
        and not info_only(norm)
    ):
        return Intent.REFUND, max(conf, 0.8)  # "can I get a refund for that?": a request, politely put
    if intent == Intent.RESUME and _NOT_CONTINUE.search(norm):
        intent, conf = Intent.UNKNOWN, 0.0  # "we decided not to continue": the opposite of keeping the plan
    if intent == Intent.REFUND and PAST_REFUND.search(norm) and not MONEY_BACK.search(PAST_REFUND.sub("", norm)):
        return Intent.UNKNOWN, 0.0  # "you already gave me one refund for September": history, not a request
    if intent == Intent.CANCEL and NOT_CANCEL.search(norm) and not _CANCEL_WORD.search(NOT_CANCEL.sub("", norm)):
        return Intent.UNKNOWN, 0.0  # "I do not want to cancel": the opposite of a cancellation
    if intent == Intent.RETRY_PAYMENT and _NO_RETRY.search(norm):
        return Intent.UNKNOWN, 0.0  # "don't charge me again": the opposite of a retry
    if (intent in (*SOCIAL, Intent.CHARGE_QUESTION, Intent.PAYMENT_METHOD) or conf < THRESHOLD) and CHARGE_AGAIN.search(
        norm
    ):
        return Intent.RETRY_PAYMENT, max(conf, 0.8)  # "please charge the December invoice again"

    if UNDO_CANCEL.search(norm) and not _PAUSE_WORD.search(norm) and not _CAN_I.match(norm):
        return Intent.RESUME, max(conf, 0.85)  # "changed my mind, keep my plan": withdraw the scheduled cancellation
    if intent == Intent.CANCEL and PAST_CANCEL.search(norm) and not _CANCEL_WORD.search(PAST_CANCEL.sub("", norm)):
        return Intent.UNKNOWN, 0.0  # "I forgot to cancel": a reason for something else, not a cancellation
    if intent == Intent.PAUSE and NO_PAUSE.search(norm):
        return Intent.UNKNOWN, 0.0  # "no pause, please": not a pause request
    if intent == Intent.CHANGE_PLAN and PAST_CHANGE.search(norm) and not _CHANGE_WORD.search(PAST_CHANGE.sub("", norm)):
        intent, conf = Intent.UNKNOWN, 0.0  # "I forgot to downgrade": the reason for a refund, not a change now
    if intent == Intent.PAUSE and PAST_PAUSE.search(norm) and not _PAUSE_WORD.search(PAST_PAUSE.sub("", norm)):
        intent, conf = Intent.UNKNOWN, 0.0  # "I forgot to pause it in January": history, the reason for what follows
    if intent in (Intent.CHANGE_PLAN, Intent.PREVIEW_CHANGE, *SOCIAL) and ON_PLAN.fullmatch(norm.strip(" .,!")):
        return Intent.UNKNOWN, 0.0  # "we're on the yearly Glow plan": where the customer is, not where to go
    billing = extract_billing(text)
    if (
        (
            intent not in (Intent.SEND_INVOICE, *ESCALATIONS)
            or conf < THRESHOLD
            or (intent == Intent.SEND_INVOICE and _FROM_NOW_ON.search(norm))
        )
        and "@" in text  # cheap test first: the address pattern is slow on text without one
        and re.search(r"[\w.+-]+@[\w-]+\.\w", text)
        and _NEW_ADDRESS.search(norm)
    ):
        return Intent.UPDATE_BILLING, max(conf, 0.9)
    if (billing["vat_id"] or billing["address"] or billing["name"]) and (
        intent not in (Intent.SEND_INVOICE, *ESCALATIONS) or conf < THRESHOLD
    ):
        return Intent.UPDATE_BILLING, max(conf, 0.9)
    if intent == Intent.CHANGE_SEATS and (
        KEEP_SEATS.search(norm) or (conf < 0.6 and not SEAT_CHANGE_CUE.search(numbers_from_words(norm)))
    ):
        return Intent.UNKNOWN, 0.0  # "we paid for 5 seats", "keep the seat count": context, not a change
    if intent == Intent.CHANGE_SEATS and not _SEAT_NOUN.search(norm):
        return Intent.UNKNOWN, 0.0
    if (intent in SOCIAL or conf < THRESHOLD or intent == Intent.PAYMENT_METHOD) and WHICH_CARD.search(norm):
        return Intent.ACCOUNT_QUESTION, max(conf, 0.8)  # "which card are you charging?": a read of the account
    if (intent in (*SOCIAL, Intent.CANCEL) or conf < THRESHOLD) and PAUSE_ASK.search(numbers_from_words(norm)):
        return Intent.PAUSE, max(conf, 0.8)  # "stop the payment only for 1 month and then continue"
    if intent in (*SOCIAL, Intent.ACCOUNT_QUESTION, Intent.POLICY_QUESTION) and CARD_HOW_TO.search(norm):
        return Intent.PAYMENT_METHOD, max(conf, 0.8)  # "how do I put the new card in?": send the secure link
    if intent in (*SOCIAL, Intent.RETRY_PAYMENT, Intent.POLICY_QUESTION, Intent.ACCOUNT_QUESTION) and WHEN_RETRY.search(
        norm
    ):
        if IF_IT_FAILS.search(norm):
            return Intent.POLICY_QUESTION, max(conf, 0.8)  # "if my payment fails, when do you retry?": the rules
        return Intent.ACCOUNT_QUESTION, max(conf, 0.8)  # "when will you try my card again?"
    if (
        intent in (*SOCIAL, Intent.POLICY_QUESTION, Intent.CHARGE_QUESTION, Intent.PREVIEW_CHANGE)
        and WHEN_CHARGED.search(norm)
        and not _CONDITIONAL.search(norm)
    ):
        return Intent.ACCOUNT_QUESTION, max(conf, 0.8)  # "when do I actually get charged?": the account's next bill
    changing = _CHANGING.search(norm)
    priced = intent == Intent.PREVIEW_CHANGE and not changing  # "how much do I owe?" is not a price quote
    if (intent in SOCIAL or conf < THRESHOLD or priced) and OWE_QUESTION.search(norm):
        return Intent.ACCOUNT_QUESTION, max(conf, 0.8)  # "how much do I owe right now?": read, never a charge
    if intent in (
        *SOCIAL,
        Intent.ACCOUNT_QUESTION,
        Intent.POLICY_QUESTION,
        Intent.CHARGE_QUESTION,
        Intent.PREVIEW_CHANGE,
    ) and (TRIAL_QUESTION.search(norm)):
        return Intent.ACCOUNT_QUESTION, max(conf, 0.8)
    if intent in (*ACTIONS, *SOCIAL, Intent.POLICY_QUESTION) and HYPOTHETICAL.search(norm):
        return Intent.POLICY_QUESTION, max(conf, 0.8)
    if (intent in SOCIAL or conf < THRESHOLD) and MONEY_BACK.search(norm):
        return Intent.REFUND, 0.8
    if intent in SOCIAL or conf < THRESHOLD:
        for fallback, pattern in FALLBACKS:
            if pattern.search(norm):
                return fallback, 0.7
    if (intent in SOCIAL or conf < THRESHOLD) and mentions_plan(norm, plan_names) and CHANGE_VERB.search(norm):
        return Intent.CHANGE_PLAN, 0.8
    return intent, conf


def _gives_billing(raw: str) -> bool:
    """The message carries a VAT id or an address (something to save, not only a question)."""
    from purser.models.offline.billing import extract_billing

    found = extract_billing(raw)
    return bool(found["vat_id"] or found["address"])


_CONDITIONAL = re.compile(r"\b(?:if|after|once|upgrade|downgrade|switch|refund\w*|change|cancel\w*|pause|resume)\b")
"""Words that make a "when am I charged" question one about a change or a rule ("after I upgrade")."""
_SEAT_WORDS = re.compile(r"\b(?:seats?|users?|licen[cs]es?)\b")


def understand(raw: str, plan_names: tuple[str, ...] = DEFAULT_PLAN_NAMES) -> tuple[Request, ...]:
    """The ordered requests of one customer message (see the module docstring).

    A pure function of its arguments, memoized (bounded): the model plans a customer turn, and again
    the turns before it, from the same texts. The answer is a tuple of frozen requests, so a caller
    cannot change what the next caller gets.
    """
    return _understood(raw, tuple(plan_names))


@lru_cache(maxsize=2048)
def _understood(raw: str, plan_names: tuple[str, ...]) -> tuple[Request, ...]:
    return tuple(_requests(raw, plan_names))


def _requests(raw: str, plan_names: tuple[str, ...]) -> list[Request]:
    clauses: list[tuple[str, str, float, str]] = []
    for sentence in _sentences(raw) or [raw]:
        clauses.extend(_split_clause(sentence, plan_names))
    clauses = merge_conditions(clauses)  # "if my payment fails, what happens?": one question
    requests: list[Request] = []
    for text, intent, conf, norm in clauses:
        if intent in ESCALATIONS:
            # handing off on the classifier alone needs high confidence; else the detector must agree
            triggers = detect_escalation(text, norm)
            # disputes, fraud and legal threats need a detector or pattern hit; a human request or abuse
            # may also rest on a very confident classifier
            if not triggers and (
                intent in (Intent.DISPUTE, Intent.FRAUD, Intent.LEGAL_THREAT) or conf < ESCALATION_CONFIDENCE
            ):
                intent, conf = Intent.UNKNOWN, 0.0
        if intent in ACTIONABLE and conf < THRESHOLD:
            intent = Intent.UNKNOWN
        if intent not in ESCALATIONS:
            intent, conf = reroute(intent, conf, norm, plan_names)  # questions are answered, not acted on
        asked_too = _ELLIPSIS.fullmatch(norm.strip(" ?.!"))
        if (
            asked_too
            and requests
            and requests[-1].intent in _ASKING
            and mentions_plan(asked_too.group(1) + " plan", plan_names)
        ):
            # "what would Business cost? and Basic?": the same question about another plan, asked on its own
            requests.append(Request(requests[-1].intent, text, asked_too.group(1) + " plan", requests[-1].confidence))
            continue
        if requests and requests[-1].intent == intent:
            prev = requests[-1]
            requests[-1] = Request(intent, prev.text + ". " + text, prev.normalized + " . " + norm, prev.confidence)
        elif requests and intent == Intent.UNKNOWN and requests[-1].intent in ACTIONABLE:
            prev = requests[-1]
            requests[-1] = Request(
                prev.intent, prev.text + ". " + text, prev.normalized + " . " + norm, prev.confidence
            )
        else:
            requests.append(Request(intent, text, norm, conf))
    # escalation patterns anywhere in the message win over the classifier
    triggers = detect_escalation(raw, normalize(raw))
    for reason in triggers:
        if not any(r.intent == reason for r in requests):
            requests.insert(0, Request(reason, raw, normalize(raw), 1.0))
    whole = normalize(raw)
    if any(r.intent == Intent.PREVIEW_CHANGE for r in requests) and DO_IT.search(whole):
        # "show me what it costs and do it": the confirmation carries the exact quote, so propose the change
        seats = re.compile(r"\b(?:seats?|users?|licen[cs]es?|members?)\b")
        requests = [
            Request(
                Intent.CHANGE_SEATS if seats.search(r.normalized) else Intent.CHANGE_PLAN,
                r.text,
                r.normalized,
                r.confidence,
            )
            if r.intent == Intent.PREVIEW_CHANGE
            else r
            for r in requests
        ]
        merged: list[Request] = []
        for r in requests:  # the preview and the change it priced are one request
            if merged and merged[-1].intent == r.intent:
                prev = merged[-1]
                r = Request(
                    r.intent, prev.text + ". " + r.text, prev.normalized + " . " + r.normalized, prev.confidence
                )
                merged[-1] = r
            else:
                merged.append(r)
        requests = merged
    asks = [r for r in requests if r.intent == Intent.PREVIEW_CHANGE]
    if (
        len(asks) == 1
        and not any(r.intent in (Intent.CHANGE_PLAN, Intent.CHANGE_SEATS) for r in requests)
        and not re.search(r"\d", asks[0].normalized)
        and not mentions_plan(asks[0].normalized, plan_names)
        and _SEAT_WORDS.search(whole)
        and parse_seats(whole) is not None
    ):
        # "sorry — 9 seats, not 8. what's the price for that?": the question prices the seats said before it
        ask = asks[0]
        requests = [
            Request(ask.intent, raw, whole, ask.confidence) if r is ask else r
            for r in requests
            if r is ask or r.intent not in (Intent.UNKNOWN, *SOCIAL)
        ]
    if any(r.intent == Intent.CHANGE_PLAN for r in requests) and not any(
        r.intent == Intent.CHANGE_SEATS for r in requests
    ):
        # "switch me to Pro. how much is that now?": a bare price question is the change's own price, which
        # its confirmation quotes; one naming another plan or a number is a second question
        requests = [
            r
            for r in requests
            if r.intent not in (Intent.PREVIEW_CHANGE, PRICE_QUESTION)
            or re.search(r"\d", r.normalized)
            or mentions_plan(r.normalized, plan_names)
        ]
    if not any(r.intent in ACTIONABLE for r in requests):
        from purser.models.offline.billing import extract_billing

        found = extract_billing(raw)  # a VAT id or address split across sentences ("our USt-IdNr.: DE 136 ...")
        if found["vat_id"] or found["address"]:
            requests = [Request(Intent.UPDATE_BILLING, raw, whole, 0.8)]
    acting = _ACTING.search(whole)
    if VAT_ID_SHOWN_QUESTION.search(whole) and not acting and not _gives_billing(raw):
        # "do my invoices show my VAT id?": a question about what is on file, not a change to it
        requests = [Request(Intent.ACCOUNT_QUESTION, raw, whole, 0.8)]
    elif VAT_ZERO_QUESTION.search(whole) and not acting:
        requests = [Request(Intent.POLICY_QUESTION, raw, whole, 0.8)]  # "0% VAT on our invoice — is that a mistake?"
    elif VAT_PAID_QUESTION.search(whole) and not acting:
        requests = [Request(Intent.ACCOUNT_QUESTION, raw, whole, 0.8)]  # "how much VAT did I pay?": the invoices say
    if any(r.intent == Intent.ACCOUNT_QUESTION for r in requests):
        # "when is my next bill, and how much?": the bare "how much" is about that bill, not a change to price
        requests = [
            r
            for r in requests
            if r.intent not in (Intent.PREVIEW_CHANGE, PRICE_QUESTION)
            or re.search(
                r"\d|\b(?:add|remove|upgrade|downgrade|switch|move|more|fewer|extra|change)\w*\b", r.normalized
            )
        ]
    intents = [r.intent for r in requests]
    if (
        Intent.PAUSE in intents
        and Intent.RESUME in intents
        and intents.index(Intent.RESUME) > intents.index(Intent.PAUSE)
    ):
        # "stop billing for 2 months and then start again by itself": the resume is the pause's own end
        requests = [r for r in requests if r.intent != Intent.RESUME or not PAUSE_END.search(r.normalized)]
    if KEEP_SEATS.search(whole) and any(r.intent != Intent.CHANGE_SEATS for r in requests):
        requests = [r for r in requests if r.intent != Intent.CHANGE_SEATS]  # "…, keep the seat count as it is"
    asked = {r.intent for r in requests}
    if Intent.REFUND not in asked and REMEDY.search(whole):
        # "you charged me twice, fix it": the complaint asks for the money back, not an explanation
        if Intent.CHARGE_QUESTION in asked:
            complaint = next(r for r in requests if r.intent == Intent.CHARGE_QUESTION)
            requests.insert(requests.index(complaint) + 1, Request(Intent.REFUND, raw, whole, complaint.confidence))
        elif asked <= SOCIAL and _CHARGE_NOUN.search(whole):
            requests = [Request(Intent.REFUND, raw, whole, 0.7)]
    if any(r.intent == Intent.RETRY_PAYMENT for r in requests):
        # "card got declined, I called the bank, retry": the card is fine, no new card link is asked for;
        # "done, I put the new card in, try again": the card was already changed
        requests = [
            r
            for r in requests
            if r.intent != Intent.PAYMENT_METHOD
            or (CARD_ASK.search(r.normalized) and not CARD_DONE.search(r.text.lower()))
        ]
    if any(r.intent == Intent.PAYMENT_METHOD for r in requests):
        # "payment failed again. send me the link": the failure is the reason, the link is the request
        requests = [r for r in requests if r.intent != Intent.RETRY_PAYMENT or RETRY_ASK.search(r.normalized)]
    requests = answer_only(requests, normalize(raw), plan_names)  # "only asking": no write survives
    # a legal threat, fraud or a dispute is handled before anything else; a request for a person keeps its
    # place ("refund the duplicate, then let me talk to someone")
    requests.sort(key=lambda r: r.intent not in (Intent.LEGAL_THREAT, Intent.FRAUD, Intent.DISPUTE, Intent.ABUSE))
    actionable: list[Request] = []
    for r in requests:
        if r.intent not in ACTIONABLE:
            continue
        if actionable and actionable[-1].intent == r.intent:
            # "1) new address … 2) new VAT id …" split by a dropped "Please:": one request, one confirmation
            prev = actionable[-1]
            r = Request(r.intent, prev.text + ". " + r.text, prev.normalized + " . " + r.normalized, prev.confidence)
            actionable[-1] = r
        else:
            actionable.append(r)
    if actionable:
        return actionable
    return requests[:1] if requests else [Request(Intent.UNKNOWN, raw, normalize(raw), 0.0)]
