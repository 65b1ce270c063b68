"""`run_turn`, which ties a message's requests to handlers: the jobs of the message (resolved
against what the last reply left open), account answers, escalation and small talk. The
subscription flows live in `subscriptions.py`, refunds/invoices/billing details in `handlers.py`,
policy and price answers in `policy_answers.py`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from purser.models.offline.account import Account
from purser.models.offline.billing import extract_billing
from purser.models.offline.classifier import DEFAULT_PLAN_NAMES
from purser.models.offline.dialogue import Call, NeedCall, Open, StopTurn, Turn, last_write
from purser.models.offline.handlers import (
    Job,
    _account,
    _follow,
    _has_hint,
    _say,
    h_charge_question,
    h_refund,
    h_send_invoice,
    h_update_billing,
)
from purser.models.offline.intents import Intent
from purser.models.offline.normalize import normalize
from purser.models.offline.policy_answers import h_policy, h_price
from purser.models.offline.references import invoice_items, refund_items
from purser.models.offline.replies import account_answer, social_reply
from purser.models.offline.slots import (
    match_plan,
    numbers_from_words,
    parse_dates,
    parse_months,
    parse_seats,
    yes_no,
)
from purser.models.offline.subscriptions import (
    h_cancel,
    h_change_plan,
    h_change_seats,
    h_pause,
    h_payment_method,
    h_preview,
    h_resume,
    h_retry,
)
from purser.models.offline.understand import ESCALATIONS, understand

__all__ = ["run_turn"]


def h_account(turn: Turn, job: Job) -> None:
    _say(turn, account_answer(_account(turn), job.normalized))


def h_escalate(turn: Turn, job: Job) -> None:
    rec = turn.claim("handoff")
    if rec:
        _follow(turn, rec)
        turn.handed_off = True
        return
    if "handoff" not in turn.tools:
        _say(turn, "I'll make sure a teammate sees this conversation.")
        return
    acct = turn.account
    context = f" Account: {acct.plan_label()}, status {(acct.subscription or {}).get('status')}." if acct else ""
    summary = f'{job.intent.replace("_", " ")}: the customer wrote "{turn.message[:400]}".{context}'
    raise NeedCall(Call("handoff", {"reason": job.intent, "summary": summary}))


def h_await_confirmation(turn: Turn, job: Job) -> None:
    if job.data.get("answer") == "yes":
        _say(turn, "To go ahead, please press the confirm button on the request above — for your security I "
             "can only act on that button, not on a typed reply.")  # fmt: skip
    else:
        _say(turn, "No problem — you can press decline on the request above, or simply ignore it; nothing "
             "happens without your confirmation.")  # fmt: skip


def h_social(turn: Turn, job: Job) -> None:
    name = str(((turn.account.customer if turn.account else {}) or {}).get("name") or "").split(" ")[0]
    item = turn.open_item
    if job.intent == Intent.AFFIRM and (
        (item is not None and (item.kind == "done" or item.data.get("last_done"))) or _answered_done(turn)
    ):
        _say(turn, social_reply(Intent.THANKS, name).replace("You're welcome!", "Great!"))  # "yes" after it's done
        return
    _say(turn, social_reply(job.intent, name))


def _answered_done(turn: Turn) -> bool:
    """The agent's last turn carried out a write ("ok, sounds good" after it is an acknowledgement)."""
    before = [e.index for e in turn.events[: turn.start] if e.kind == "customer"]
    return bool(before) and last_write(turn.events[: turn.start]) > before[-1]


HANDLERS: dict[str, Callable[[Turn, Job], None]] = {
    Intent.REFUND: h_refund,
    Intent.CHARGE_QUESTION: h_charge_question,
    Intent.SEND_INVOICE: h_send_invoice,
    Intent.UPDATE_BILLING: h_update_billing,
    Intent.CHANGE_PLAN: h_change_plan,
    Intent.CHANGE_SEATS: h_change_seats,
    Intent.PREVIEW_CHANGE: h_preview,
    Intent.RETRY_PAYMENT: h_retry,
    Intent.PAYMENT_METHOD: h_payment_method,
    Intent.PAUSE: h_pause,
    Intent.RESUME: h_resume,
    Intent.CANCEL: h_cancel,
    Intent.ACCOUNT_QUESTION: h_account,
    Intent.POLICY_QUESTION: h_policy,
    "price_question": h_price,
    "await_confirmation": h_await_confirmation,
    **{reason: h_escalate for reason in ESCALATIONS},
}


_CARRIED_OPEN = frozenset({"clarify", "save_offer", "offer_refund", "offer_change"})
"""Open items after which the message's remaining requests wait for the customer's answer."""


def _jobs(turn: Turn) -> list[Job]:
    """The jobs of this message, then the requests an earlier message left waiting behind a question."""
    jobs = _message_jobs(turn)
    item = turn.open_item
    waiting = item.data.get("rest") if item is not None else None
    if not waiting:
        return jobs
    have = {j.intent for j in jobs}
    others = tuple(have) + tuple(str(w[0]) for w in waiting)
    for intent, text, normalized in waiting:
        if intent not in have:
            jobs.append(Job(str(intent), str(text), str(normalized), {"other_intents": others}))
    return jobs


_MORE_OF_THE_SAME = re.compile(
    r"\b(?:too|also|as well|same (?:for|with|goes for)|likewise|another one|one more|the other (?:one|two)|again)\b"
    r"|^(?:and|plus|what about|how about|oh and)\b"
)
"""A message asking for the same again ("and the one from the 12th too", "same for August")."""

_FRAGMENT_INTENTS = frozenset(
    {Intent.CHARGE_QUESTION, Intent.UNKNOWN, Intent.AFFIRM, Intent.DENY, Intent.THANKS, Intent.GREETING}
)
"""What the classifier makes of a bare reference ("the one from october 1", "sorry typo, KAI-0004")."""

_REPEATABLE = frozenset(
    {Intent.REFUND, Intent.SEND_INVOICE, Intent.RETRY_PAYMENT, Intent.CHARGE_QUESTION, Intent.PREVIEW_CHANGE}
)
"""Requests a follow-up can repeat on another charge, invoice or date."""


def _follow_up(turn: Turn, jobs: list[Job], norm: str, bare: bool) -> bool:
    """Nothing actionable was understood, but the message asks for the same again on a new reference.

    `bare`: no question is open, so a bare reference ("september", "sorry, KAI-0004", "ok, just November
    then?") is the last request again on it — a correction or a follow-up of what was just done.
    """
    fragment = bare and len(norm.split()) <= 7 and not {j.intent for j in jobs} - _FRAGMENT_INTENTS
    if not (_MORE_OF_THE_SAME.search(norm) or fragment) or turn.account is None:
        return False
    # a short "same for August" repeats the last request whatever the classifier guessed for it alone
    vague = {
        Intent.CHARGE_QUESTION,
        Intent.ACCOUNT_QUESTION,
        Intent.POLICY_QUESTION,
        Intent.UNKNOWN,
        Intent.GREETING,
        Intent.THANKS,
        Intent.AFFIRM,
    }
    if any(j.intent in HANDLERS for j in jobs) and (len(norm.split()) > 8 or {j.intent for j in jobs} - vague):
        return False
    return _has_hint(turn.account, numbers_from_words(norm), turn.message)


def _with_rest(stop: StopTurn, rest: list[Job], done: list[Job]) -> StopTurn:
    """`stop`, its open item carrying the requests not handled yet (answered on the next message) and
    the last request completed before it (so "same for August" can still repeat it)."""
    item = stop.open_item
    waiting = [(j.intent, j.text, j.normalized) for j in rest if j.intent in HANDLERS and j.intent != Intent.DENY]
    last = [j.intent for j in done if j.intent in _REPEATABLE]
    if item is None or item.kind not in _CARRIED_OPEN or not (waiting or last):
        return stop
    extra: dict[str, Any] = {"rest": waiting} if waiting else {}
    if last:
        extra["last_done"] = last[-1]
    return StopTurn(stop.text, Open(item.kind, item.intent, {**item.data, **extra}))


_SEAT_DELTA = re.compile(
    r"^(?:(?:ok|okay|yes|yeah|right|then|so|and)\b[ ,]*)*(?:please |pls )?(?:add|remove|drop|take off|another)"
    r"(?: another)? \d+(?: more| fewer| less)?\b|^(?:(?:ok|okay|yes|yeah)\b[ ,]*)*\d+ (?:more|fewer|less)\b"
)
"""A bare seat delta ("ok add 2 more", "3 fewer") — seats, on a per-seat plan."""


_JOBS: OrderedDict[tuple[int, int | None, str], tuple[Job, ...]] = OrderedDict()
_JOBS_SIZE = 512
_JOBS_LOCK = threading.Lock()


def _message_jobs(turn: Turn) -> list[Job]:
    """The jobs of the turn's message, resolved against what the last reply left open.

    A pure function of the history up to the message (`Event.key` of the message), the account and
    the open item, which stay the same for every request of a turn (the model is asked again after
    each tool result) and for the replays of earlier turns: memoized on them (bounded LRU). Handlers
    read jobs without changing them; each caller still gets its own copies.
    """
    if turn.account is not None and turn.account_key is None:
        return _resolve_jobs(turn)  # an account that reads the clock: nothing derived from it is kept
    key = (turn.events[turn.start].key, turn.account_key, repr(turn.open_item))
    with _JOBS_LOCK:
        hit = _JOBS.get(key)
        if hit is not None:
            _JOBS.move_to_end(key)
    if hit is None:
        hit = tuple(_resolve_jobs(turn))
        with _JOBS_LOCK:
            _JOBS[key] = hit
            while len(_JOBS) > _JOBS_SIZE:
                _JOBS.popitem(last=False)
    return [Job(j.intent, j.text, j.normalized, dict(j.data)) for j in hit]


def _resolve_jobs(turn: Turn) -> list[Job]:
    acct = turn.account
    plan_names = acct.plan_names() if acct and acct.plans else DEFAULT_PLAN_NAMES
    requests = understand(turn.message, plan_names)
    jobs = [Job(r.intent, r.text, r.normalized) for r in requests]
    norm = normalize(turn.message)
    per_seat = bool(acct and (acct.plan or {}).get("per_seat"))
    if per_seat and not any(j.intent in HANDLERS for j in jobs) and _SEAT_DELTA.search(numbers_from_words(norm)):
        jobs = [Job(Intent.CHANGE_SEATS, turn.message, norm)]  # "ok add 2 more" on a per-seat plan: seats
    intents = {j.intent for j in jobs}
    answer = yes_no(norm)
    item = turn.open_item
    quote = _last_quote(turn) if acct is not None and not intents & set(ESCALATIONS) else None
    if quote is not None and acct is not None:
        corrected = _correction(turn, acct, quote[0], quote[1], jobs, norm)
        if corrected is not None:
            return [corrected]  # "make that 3 more instead", "actually October, not September": a new quote
    elif acct is not None and not intents & set(ESCALATIONS):
        done = _last_quote(turn, confirmed=True)
        if done is not None and done[0] == Intent.UPDATE_BILLING:
            again = _correction(turn, acct, done[0], done[1], jobs, norm)
            if again is not None:
                return [again]  # "sorry, DE136695976" right after the VAT id was saved: the right one
        if done is not None and done[0] == Intent.SEND_INVOICE and done[1].get("invoice"):
            other = _other_document(acct, done[1], jobs, norm)
            if other is not None:
                return [other]  # "actually the receipt, not the invoice": the same invoice, the other document
    if item is not None and not intents & set(ESCALATIONS):
        last = item.intent if item.kind == "done" else item.data.get("last_done")
        if last and _follow_up(turn, jobs, norm, item.kind == "done"):
            return [Job(str(last), turn.message, norm)]  # "same for August": the last request again
        msg = Job("", turn.message, norm)
        if item.kind == "offer_refund":
            if answer == "no" and Intent.REFUND not in intents:
                return [Job(Intent.DENY, turn.message, norm)]
            asks = Intent.REFUND in intents or (bool(re.search(r"\brefund", norm)) and intents <= _VAGUE_REFUND)
            accepts = answer == "yes" or (asks and not re.search(r"\b(?:all|every|both)\b", norm))
            if accepts and (acct is None or _names_offered(acct, item, norm)):
                return [Job(Intent.REFUND, turn.message, norm, dict(item.data))] + [
                    j for j in jobs if j.intent not in (Intent.REFUND, Intent.CHARGE_QUESTION)
                ]
        elif item.kind == "save_offer":
            if Intent.PAUSE in intents or (answer == "yes" and Intent.CANCEL not in intents):
                return [Job(Intent.PAUSE, turn.message, norm, {"months": item.data.get("months")})]
            if Intent.CANCEL in intents or answer == "no":
                return [Job(Intent.CANCEL, turn.message, norm, {"insist": True})]
        elif (
            item.kind == "await_confirmation"
            and answer
            and not intents - {Intent.AFFIRM, Intent.DENY, Intent.THANKS, Intent.UNKNOWN}
        ):
            return [Job("await_confirmation", turn.message, norm, {"answer": answer})]
        elif item.kind == "discussed_charge" and item.data.get("charge_id"):
            for job in jobs:
                if job.intent == Intent.REFUND and acct and not _has_hint(acct, job.normalized, job.text):
                    job.data.setdefault("charge_id", item.data["charge_id"])
        elif item.kind == "offer_change":
            if answer == "no" and not intents - {Intent.AFFIRM, Intent.DENY, Intent.THANKS, Intent.UNKNOWN}:
                return [Job(Intent.DENY, turn.message, norm)]
            options = [str(o) for o in item.data.get("options") or []]
            picked = _pick_option(acct, options, norm) if options and acct is not None else None
            if picked is None and len(options) == 1 and (answer == "yes" or _GO_AHEAD.search(norm)):
                picked = options[0]  # "how much is Business?" — "ok switch me then"
            seats = _seat_fragment(acct, item, jobs, norm) if acct is not None else None
            if seats is not None:
                return [seats]
            if picked and not intents - {Intent.AFFIRM, Intent.THANKS, Intent.UNKNOWN, Intent.CHANGE_PLAN,
                                         Intent.PREVIEW_CHANGE, "price_question"}:  # fmt: skip
                return [Job(Intent.CHANGE_PLAN, msg.text, norm, {"plan": picked})]  # "the yearly one then"
            if answer == "yes" and not intents - {Intent.AFFIRM, Intent.THANKS}:
                if item.data.get("plan"):
                    return [Job(Intent.CHANGE_PLAN, msg.text, norm, {"plan": item.data["plan"]})]
                if item.data.get("quantity"):
                    return [Job(Intent.CHANGE_SEATS, msg.text, norm, {"quantity": item.data["quantity"]})]
        elif item.kind == "clarify" and item.intent:
            option = listed_option(turn)
            if option is not None:  # a quick reply pressed (or typed): the option line the agent listed
                return [Job(item.intent, option, normalize(option), dict(item.data))]
            if answer == "no" and not intents & {Intent.REFUND, Intent.CHANGE_PLAN, Intent.CANCEL}:
                return [Job(Intent.DENY, turn.message, norm)]
            actionable = [j for j in jobs if j.intent in HANDLERS and j.intent != Intent.ACCOUNT_QUESTION]
            short_answer = len(norm.split()) <= 4 and bool(re.search(r"\d", norm))
            # "the one from october 1" answering "which charge?" fills the slot, whatever the classifier says
            fragment = len(norm.split()) <= 8 and not {j.intent for j in actionable} - _FRAGMENT_INTENTS - {item.intent}
            if short_answer or fragment or not actionable or all(j.intent == item.intent for j in actionable):
                return [Job(item.intent, turn.message, norm, dict(item.data))]
    if acct is not None:
        jobs = [split for job in jobs for split in _split_items(acct, job)]
        jobs = _details_first(acct, jobs, turn.message)
    others = tuple(j.intent for j in jobs)
    for job in jobs:
        job.data.setdefault("other_intents", others)
    return jobs


_OPTION_LINE = re.compile(r"^[-•*] +(.+?)\s*$", re.MULTILINE)


def _plain(text: str) -> str:
    """Case, spacing and edge punctuation folded: how an option and an answer are compared."""
    return " ".join(text.casefold().split()).strip(" .,;:!?")


def listed_option(turn: Turn) -> str | None:
    """The option line of the agent's last reply that this message answers with, if exactly one.

    The agent's "which one?" lists its options as "- " lines (the same lines the channels offer as
    quick replies). A message equal to one of them, or contained in only one of them ("ANA-0002",
    "1 October 2026"), picks that option; the option's own text is then read, so the answer names
    the charge or invoice exactly as the agent described it.
    """
    said = next((e.text for e in reversed(turn.events[: turn.start]) if e.kind == "text"), "")
    options = _OPTION_LINE.findall(said)
    answer = _plain(turn.message)
    if len(options) < 2 or len(answer) < 3:
        return None
    exact = [o for o in options if _plain(o) == answer]
    if exact:
        return str(exact[0])
    within = [o for o in options if answer in _plain(o)]
    return str(within[0]) if len(within) == 1 else None


_VAGUE_REFUND = frozenset({Intent.CHARGE_QUESTION, Intent.UNKNOWN, Intent.AFFIRM, Intent.THANKS, Intent.GREETING})
"""What the classifier may make of "then refund what was really charged" after an offered refund."""


_GO_AHEAD = re.compile(
    r"\b(?:switch|move|upgrade|downgrade|change|go ahead|do it|do that|let'?s do|sign me up|take it)\b"
)
"""Taking the one plan just priced."""


def _seat_fragment(acct: Account, item: Open, jobs: list[Job], norm: str) -> Job | None:
    """A bare number after a quoted seat change ("hmm, and 2?", "ok 2 then"): the same kind of change —
    added or removed relative to the seats the account has, or a total when the quote set one."""
    quoted = item.data.get("quantity")
    words = " ".join(re.sub(r"[^\w\s]", " ", numbers_from_words(norm)).split())
    bare = re.fullmatch(r"(?:\w+ ){0,4}?(\d{1,4})(?: \w+){0,3}", words)
    seat_intents = {Intent.CHANGE_SEATS, Intent.PREVIEW_CHANGE}
    if not quoted or bare is None or {j.intent for j in jobs} - _FRAGMENT_INTENTS - seat_intents:
        return None
    if parse_seats(numbers_from_words(norm)) is not None and Intent.CHANGE_SEATS in {j.intent for j in jobs}:
        return None  # "ok, 2 more seats then" is a seat request of its own
    current = int((acct.subscription or {}).get("quantity") or 1)
    n = int(bare.group(1))
    step = int(quoted) - current
    total = n if step == 0 or re.search(r"\btotal\b|\ball together\b", norm) else current + (n if step > 0 else -n)
    asking = "?" in norm or bool(re.search(r"\b(?:how much|what about|and for|what would|cost)\b", norm))
    intent = Intent.PREVIEW_CHANGE if asking else Intent.CHANGE_SEATS
    return Job(intent, norm, norm, {"quantity": total})


_ORDINALS = (
    (re.compile(r"\b(?:first|1st|former|top)\b"), 0),
    (re.compile(r"\b(?:second|2nd)\b"), 1),
    (re.compile(r"\b(?:third|3rd)\b"), 2),
    (re.compile(r"\b(?:last|latter|bottom)\b"), -1),
)


def _pick_option(acct: Account, options: list[str], norm: str) -> str | None:
    """The one of the quoted plan options the answer picks: by name or interval ("the yearly one", "Basic
    then"), by position ("the second one"), or by price ("the cheaper one"); None when it picks none or many."""
    plans = [p for o in options for p in acct.plans if p.get("id") == o]
    named = [p["id"] for p in match_plan(norm, plans) if p.get("id") in options]
    if len(set(named)) == 1:
        return str(named[0])
    interval = re.search(r"\b(?:annual\w*|yearly|year|monthly|month)\b", norm)
    if interval:
        want = "year" if interval.group(0).startswith(("ann", "year")) else "month"
        same = [p["id"] for p in plans if p.get("interval") == want]
        if len(same) == 1:
            return str(same[0])
    for pattern, index in _ORDINALS:
        if pattern.search(norm) and len(options) > max(index, -index - 1):
            return options[index]
    priced = sorted(plans, key=lambda p: Decimal(str(p.get("amount") or "0")))
    if priced and re.search(r"\b(?:cheaper|cheapest|less expensive|lower)\b", norm):
        return str(priced[0]["id"])
    if priced and re.search(r"\b(?:pricier|more expensive|bigger|higher|dearer)\b", norm):
        return str(priced[-1]["id"])
    return None


def _names_offered(acct: Account, item: Open, norm: str) -> bool:
    """The answer to an offered refund points at the offered charge: it names no date or invoice, or the ones it
    names are the offered charge's ("fine, then refund what was really charged on 3 November")."""
    spans = parse_dates(norm, acct.now)
    refs = acct.invoice_refs(norm)
    if not (spans or refs):
        return True
    offered = [c for c in acct.charges if c.get("id") == item.data.get("charge_id")]
    return bool(offered) and bool(acct.filter_charges(offered, spans, [], refs))


_TOOL_INTENT = {
    "refund": Intent.REFUND,
    "send_invoice": Intent.SEND_INVOICE,
    "change_plan": Intent.CHANGE_PLAN,
    "change_seats": Intent.CHANGE_SEATS,
    "pause": Intent.PAUSE,
    "update_billing_details": Intent.UPDATE_BILLING,
}
"""Quotes a customer may correct with a fragment, by the tool that made them."""

_NEGATED = re.compile(
    r"\b(?:not|instead of|rather than|no longer)\s+(?:the\s+)?(?:one\s+(?:from|for|of|in|on)\s+)?"
    r"(?:[a-z]+\s+\d{1,2}(?:st|nd|rd|th)?\b|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]+\b|[\w.-]+)"
)
"""The reference a correction takes back ("october, not september", "2 more, not 3", "instead of Pro")."""


def _last_quote(turn: Turn, confirmed: bool = False) -> tuple[str, dict[str, Any]] | None:
    """The intent and arguments of the write the agent's last turn proposed, when it still awaits the
    customer's confirmation or was declined (a correction then replaces it) — or, with `confirmed`, when it
    was carried out; None when the last turn proposed none."""
    before = turn.events[: turn.start]
    prev = max((e.index for e in before if e.kind == "customer"), default=-1)
    for event in reversed(before):
        if event.index <= prev:
            return None
        rec = event.tool if event.kind == "tool" else None
        status = (rec.result or {}).get("status") if rec is not None else None
        if rec is None or rec.name not in _TOOL_INTENT or status in ("succeeded", "pending_approval", None):
            continue
        if status != "needs_confirmation":  # refused or failed ("that VAT id is not valid"): the fix replaces it
            return _TOOL_INTENT[rec.name], dict(rec.args)
        action_id = str((rec.result or {}).get("action_id") or "")
        settled = [
            e
            for e in before
            if e.kind == "confirmation"
            and action_id in (e.payload.get("action_id"), (e.payload.get("outcome") or {}).get("action_id"))
        ]
        if settled and str(settled[-1].payload.get("decision") or "") != "no" and not confirmed:
            return None  # confirmed: done, not a quote to correct
        return _TOOL_INTENT[rec.name], dict(rec.args)
    return None


def _correction(turn: Turn, acct: Account, intent: str, args: dict[str, Any], jobs: list[Job], norm: str) -> Job | None:
    """The quote's request again on the values a short message gives, when that message asks nothing else.

    Relative values stay relative to the account ("make that 3 more" adds 3 to the seats the account has,
    not to the quote); the reference a correction takes back ("not September") is dropped.
    """
    if {j.intent for j in jobs} - _FRAGMENT_INTENTS - {intent} or len(norm.split()) > 14:
        return None
    text = _NEGATED.sub(" ", numbers_from_words(norm))
    raw = _NEGATED.sub(" ", turn.message.lower())
    if intent == Intent.CHANGE_SEATS:
        found = parse_seats(text) is not None
    elif intent == Intent.PAUSE:
        found = parse_months(text) is not None
    elif intent == Intent.CHANGE_PLAN:
        found = bool(match_plan(text, acct.plans, acct.plan))
    elif intent == Intent.UPDATE_BILLING:  # "sorry, DE136695976": the new value, read from the original text
        given = extract_billing(turn.message, bare_address=True)
        if not any(v is not None for v in given.values()):
            return None
        return Job(intent, turn.message, norm, {"correction": True, "clarified": True})
    else:
        found = _has_hint(acct, text, raw)
    if not found and intent == Intent.SEND_INVOICE and args.get("invoice") and _KIND_WORD.search(text):
        # "actually the receipt, not the invoice": the same invoice, the other document
        return Job(intent, raw, text, {"correction": True, "invoice": args["invoice"]})
    if not found:
        return None
    return Job(intent, raw, text, {"correction": True})


def _other_document(acct: Account, args: dict[str, Any], jobs: list[Job], norm: str) -> Job | None:
    """A request for an invoice document naming no invoice, right after one was sent: the same invoice."""
    intents = {j.intent for j in jobs}
    if not intents <= _FRAGMENT_INTENTS | {Intent.SEND_INVOICE} or not _KIND_WORD.search(norm):
        return None
    text = _NEGATED.sub(" ", norm)
    if _has_hint(acct, text, text) or re.search(r"\b(?:latest|last|other|previous|all|every)\b", text):
        return None
    kind = "receipt" if re.search(r"\b(?:receipts?|proof of payment)\b", text) else "invoice"
    if kind == str(args.get("kind") or "invoice"):
        return None  # the same document again is a new request, handled as one
    return Job(Intent.SEND_INVOICE, text, text, {"invoice": args["invoice"]})


_KIND_WORD = re.compile(r"\b(?:receipts?|invoices?|bills?|proof of payment)\b")


def _details_first(acct: Account, jobs: list[Job], message: str) -> list[Job]:
    """An invoice asked for with a VAT id or address that is not on file ("send the October invoice again,
    it has to show our VAT id DE…"): the billing details are updated first, so the invoice carries them."""
    intents = {j.intent for j in jobs}
    if Intent.SEND_INVOICE not in intents or not _DETAIL_WORD.search(message):
        return jobs  # most invoice requests name no billing detail: no address or VAT parsing for them
    given = extract_billing(message)
    customer = acct.customer or {}
    vat = given.get("vat_id")
    new_vat = bool(vat) and _alnum(str(vat)) != _alnum(str(customer.get("vat_id") or ""))
    only_vat = vat and not (given.get("address") or given.get("email") or given.get("name"))
    rest = [j for j in jobs if j.intent != Intent.UPDATE_BILLING]
    if only_vat and not new_vat:
        return rest  # the VAT id said is the one on file: the invoice already shows it, nothing to update
    if not (new_vat or given.get("address")):
        return jobs
    at = next(i for i, j in enumerate(rest) if j.intent == Intent.SEND_INVOICE)
    update = next((j for j in jobs if j.intent == Intent.UPDATE_BILLING), Job(Intent.UPDATE_BILLING, message,
                                                                               normalize(message)))  # fmt: skip
    return [*rest[:at], update, *rest[at:]]


_DETAIL_WORD = re.compile(
    r"\b(?:vat|tax|ust|tva|iva|btw|mwst|moms|uid|nif|cif|address|adresse|direcci[oó]n|endere[cç]o)\b", re.IGNORECASE
)
"""A billing detail is named (an address or VAT id may follow)."""


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _split_items(acct: Account, job: Job) -> list[Job]:
    """One job per charge or invoice the request names ("refund September and October", "email the July and
    August invoices"), when each reference names exactly one (`references`); else the job unchanged."""
    if job.data or job.intent not in (Intent.REFUND, Intent.SEND_INVOICE):
        return [job]
    norm = numbers_from_words(job.normalized)
    if job.intent == Intent.REFUND:
        charges = refund_items(acct, norm, job.text)
        return [Job(Intent.REFUND, job.text, job.normalized, {"charge_id": c}) for c in charges] or [job]
    invoices = invoice_items(acct, norm, job.text)
    return [Job(Intent.SEND_INVOICE, job.text, job.normalized, {"invoice": i}) for i in invoices] or [job]


_OTHER_ACCOUNT = re.compile(
    r"\b(?:another customer|other customer|someone else'?s?|somebody else'?s?|(?:his|her|their) (?:account|"
    r"subscription|card|invoices?|billing|email)|(?:my )?(?:friend|colleague|boss|wife|husband|partner)'?s "
    r"(?:account|subscription|invoices?|billing))\b",
    re.IGNORECASE,
)


_OBJECT_ID = re.compile(r"\b(?:cus|sub|ch|in|pm|re|py|pi|card|src|si|ii|txn)_[A-Za-z0-9_]+")
"""A processor object id written in the message ("sub_vic", "ch_3PqX", "in_77")."""


def _foreign_account(turn: Turn) -> bool:
    """The message names another customer's account or an object id that isn't on this account."""
    ids, other = _mentions(turn.message)
    if ids:  # the account's ids are collected only when the message names an object (most messages don't)
        own = turn.account.object_ids() if turn.account else frozenset()
        if any(i not in own for i in ids):
            return True
    return other


@lru_cache(maxsize=1024)
def _mentions(message: str) -> tuple[tuple[str, ...], bool]:
    """(the object ids a message writes, whether it names another customer's account): read once per message,
    not on every request of its turn (bounded memo)."""
    return tuple(i.rstrip("_") for i in _OBJECT_ID.findall(message)), bool(_OTHER_ACCOUNT.search(message))


def run_turn(turn: Turn) -> None:
    """Handle the turn's requests in order (raises NeedCall / StopTurn, or returns when all are done)."""
    jobs = _jobs(turn)
    writes = {
        Intent.REFUND,
        Intent.SEND_INVOICE,
        Intent.UPDATE_BILLING,
        Intent.CHANGE_PLAN,
        Intent.CHANGE_SEATS,
        Intent.RETRY_PAYMENT,
        Intent.PAYMENT_METHOD,
        Intent.PAUSE,
        Intent.RESUME,
        Intent.CANCEL,
        Intent.ACCOUNT_QUESTION,
        Intent.CHARGE_QUESTION,
    }
    # an unclear message that names someone else's object gets the same answer as a clear one
    if _foreign_account(turn) and any(j.intent in writes or j.intent == Intent.UNKNOWN for j in jobs) and not any(
        turn.claim(t) for t in ("refund", "send_invoice", "update_billing_details", "change_plan", "change_seats",
                                "retry_payment", "payment_method_link", "pause", "resume", "cancel")
    ):  # fmt: skip
        raise StopTurn(
            "I can only help with the account you're signed in with, so I can't look at or change another "
            "customer's account. The account holder can contact us directly. Is there anything I can do for "
            "your own account?"
        )
    for index, job in enumerate(jobs):
        if turn.handed_off and job.intent not in ESCALATIONS:
            continue
        handler = HANDLERS.get(job.intent, h_social)
        try:
            handler(turn, job)
        except StopTurn as stop:
            raise _with_rest(stop, jobs[index + 1 :], jobs[:index]) from None
    done = [j.intent for j in jobs if j.intent in _REPEATABLE]
    if done and turn.soft_open is None:
        turn.soft_open = Open("done", done[-1])  # "and the other one too" repeats it on a new reference
