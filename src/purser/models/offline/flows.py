"""Subscription flows (plan, seats, preview, retry, card link, pause, resume, cancel),
answers (account, policy), escalation, and `run_turn`, which ties requests to handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from purser.models.offline.account import Account
from purser.models.offline.classifier import DEFAULT_PLAN_NAMES
from purser.models.offline.dialogue import Call, NeedCall, Open, StopTurn, Turn
from purser.models.offline.handlers import (
    Job,
    _account,
    _follow,
    _has_hint,
    _need_tool,
    _say,
    h_charge_question,
    h_refund,
    h_send_invoice,
    h_update_billing,
)
from purser.models.offline.normalize import normalize
from purser.models.offline.policy_answers import h_policy, h_price
from purser.models.offline.references import invoice_items, refund_items
from purser.models.offline.replies import account_answer, social_reply
from purser.models.offline.slots import (
    match_plan,
    numbers_from_words,
    parse_dates,
    parse_interval,
    parse_months,
    parse_months_until,
    parse_seats,
    plan_base,
    seat_target,
    yes_no,
)
from purser.models.offline.understand import _NO_PAUSE, ESCALATIONS, understand

__all__ = ["run_turn"]


def _plan_choices(turn: Turn) -> str:
    acct = _account(turn)
    return "\n".join(f"- {acct.plan_label(p)}" for p in acct.plans)


def _target_plan(turn: Turn, job: Job) -> dict[str, Any] | None:
    acct = _account(turn)
    if job.data.get("plan"):
        return next((p for p in acct.plans if p.get("id") == job.data["plan"]), None)
    norm = job.normalized
    current = acct.plan
    matches = match_plan(norm, acct.plans, current)
    if len(matches) > 1:
        after_to = re.search(r".*\b(?:to|into|onto)\b(.*)$", norm)
        if after_to:
            narrowed = match_plan(after_to.group(1), acct.plans, current)
            matches = narrowed or matches
        others = [p for p in matches if not current or p.get("id") != current.get("id")]
        if current and not parse_interval(norm):
            others = [p for p in others if plan_base(p) != plan_base(current)] or others
        matches = others or matches
    if matches:
        names = {plan_base(p) for p in matches}
        if len(names) > 1:
            raise StopTurn(f"Which plan would you like?\n{_plan_choices(turn)}", Open("clarify", job.intent))
        return matches[0]
    extreme = re.search(
        r"\b(?:cheapest|lowest|smallest|most basic)\b|\b(?:most expensive|highest|biggest|top|best)\b", norm
    )
    if current and extreme:
        same = [p for p in acct.plans if p.get("interval") == current.get("interval")
                and bool(p.get("per_seat")) == bool(current.get("per_seat"))]  # fmt: skip
        if same:
            ordered = sorted(same, key=lambda p: Decimal(str(p.get("amount", "0"))))
            low = re.search(r"cheapest|lowest|smallest|most basic", extreme.group(0))
            return ordered[0] if low else ordered[-1]
    up = re.search(r"\b(?:upgrade|higher|bigger|more expensive)\b", norm)
    down = re.search(r"\b(?:downgrade|cheaper|smaller|lower|less expensive)\b", norm)
    if current and (up or down):
        same = [p for p in acct.plans if p.get("interval") == current.get("interval")
                and bool(p.get("per_seat")) == bool(current.get("per_seat"))]  # fmt: skip
        price = Decimal(str(current.get("amount", "0")))
        ordered = sorted(same, key=lambda p: Decimal(str(p.get("amount", "0"))))
        pick = [p for p in ordered if Decimal(str(p.get("amount", "0"))) > price] if up else \
            [p for p in reversed(ordered) if Decimal(str(p.get("amount", "0"))) < price]  # fmt: skip
        if len(pick) == 1:
            return pick[0]
    return None


def h_change_plan(turn: Turn, job: Job) -> None:
    rec = turn.claim("change_plan")
    if rec:
        _follow(turn, rec)
        return
    _need_tool(turn, "change_plan")
    acct = _account(turn)
    target = _target_plan(turn, job)
    if target is None:
        raise StopTurn(
            f"Which plan would you like to move to? You're on {acct.plan_label()} now. The plans are:\n"
            f"{_plan_choices(turn)}",
            Open("clarify", "change_plan"),
        )
    if acct.plan and target.get("id") == acct.plan.get("id"):
        if any(i != "change_plan" and i in HANDLERS for i in job.data.get("other_intents", ())):
            return  # "we are on the Crew plan, please add 2 seats": the plan is context for the other request
        _say(turn, f"You're already on {acct.plan_label(target)}, so there's nothing to change.")
        return
    raise NeedCall(Call("change_plan", {"plan": target["id"]}))


def _seat_total(turn: Turn, job: Job) -> int | None:
    acct = _account(turn)
    if job.data.get("quantity"):
        return int(job.data["quantity"])
    norm = numbers_from_words(job.normalized)
    seat = parse_seats(norm)
    if seat is None and job.data.get("bare_number"):
        bare = re.search(r"\b(\d+)\b", norm)
        return int(bare.group(1)) if bare else None
    if seat is None:
        return None
    return seat_target(seat, int((acct.subscription or {}).get("quantity") or 1))


def h_change_seats(turn: Turn, job: Job) -> None:
    rec = turn.claim("change_seats")
    if rec:
        _follow(turn, rec)
        return
    _need_tool(turn, "change_seats")
    acct = _account(turn)
    current = int((acct.subscription or {}).get("quantity") or 1)
    total = _seat_total(turn, job)
    if total is None or total < 1:
        raise StopTurn(
            f"You have {current} seat{'s' if current != 1 else ''} now. How many seats would you like in total?",
            Open("clarify", "change_seats", {"bare_number": True}),
        )
    if total == current:
        _say(turn, f"You already have {current} seats, so there's nothing to change.")
        return
    raise NeedCall(Call("change_seats", {"quantity": total}))


def h_preview(turn: Turn, job: Job) -> None:
    rec = turn.claim("preview_change")
    acct = _account(turn)
    if rec:
        res = rec.result or {}
        turn.cursor = max(turn.cursor, rec.index)
        from purser.models.offline.outcomes import outcome_text

        text = outcome_text(res, "preview_change")
        quoted = (res.get("result") or {}).get("summary") if isinstance(res.get("result"), dict) else None
        if res.get("status") == "succeeded" and quoted:
            text = f"Here is the exact quote — nothing has changed yet: {str(quoted).rstrip('.')}."
        if res.get("status") == "succeeded":
            args = rec.args
            text += "\n\nWould you like me to go ahead with this change?"
            turn.report(rec.index, text)
            raise StopTurn("", Open("offer_change", "", {"plan": args.get("plan"), "quantity": args.get("quantity")}))
        turn.report(rec.index, text)
        return
    _need_tool(turn, "preview_change")
    norm = numbers_from_words(job.normalized)
    plan = None
    if match_plan(norm, acct.plans, acct.plan) or re.search(r"\b(?:upgrade|downgrade)\b", norm):
        target = _target_plan(turn, job)
        plan = target.get("id") if target else None
    quantity = _seat_total(turn, job) if parse_seats(norm) else None
    if plan is None and quantity is None:
        plans = "\n".join(f"- {acct.plan_label(p)}" for p in acct.plans)
        raise StopTurn(f"Which change should I price for you — a plan or a number of seats? The plans are:\n{plans}",
                       Open("clarify", "preview_change", {"bare_number": False}))  # fmt: skip
    raise NeedCall(Call("preview_change", {"plan": plan, "quantity": quantity}))


def h_retry(turn: Turn, job: Job) -> None:
    rec = turn.claim("retry_payment")
    if rec:
        _follow(turn, rec)
        return
    _need_tool(turn, "retry_payment")
    acct = _account(turn)
    refs = [r for r in acct.invoice_refs(job.text)]
    invoice = acct.invoice_by_ref(refs[0]) if refs else None
    if not acct.open_invoices() and not acct.data.get("past_due"):
        _say(turn, "You don't have any open invoices — your account is fully paid, so there's nothing to retry.")
        return
    raise NeedCall(Call("retry_payment", {"invoice_id": invoice["id"] if invoice else None}))


def h_payment_method(turn: Turn, job: Job) -> None:
    rec = turn.claim("payment_method_link")
    if rec:
        _follow(turn, rec)
        return
    _need_tool(turn, "payment_method_link")
    raise NeedCall(Call("payment_method_link", {}))


def h_pause(turn: Turn, job: Job) -> None:
    rec = turn.claim("pause")
    if rec:
        _follow(turn, rec)
        return
    _need_tool(turn, "pause")
    months = parse_months(job.normalized)
    if months is None and turn.account is not None:
        months = parse_months_until(job.normalized, turn.account.now)
    if months is None and job.data.get("bare_number"):
        bare = re.search(r"\b(\d+)\b", numbers_from_words(job.normalized))
        months = int(bare.group(1)) if bare else None
    months = months or job.data.get("months")
    if not months:
        raise StopTurn("For how many months would you like to pause your subscription?",
                       Open("clarify", "pause", {"bare_number": True}))  # fmt: skip
    raise NeedCall(Call("pause", {"months": int(months)}))


def h_resume(turn: Turn, job: Job) -> None:
    rec = turn.claim("resume")
    if rec:
        _follow(turn, rec)
        return
    _need_tool(turn, "resume")
    raise NeedCall(Call("resume", {}))


def _cancel_reason(text: str) -> str | None:
    m = re.search(r"\b(?:because|since|as)\b\s+(.{3,200})", text, re.IGNORECASE)
    return m.group(1).strip(" .") if m else None


def h_cancel(turn: Turn, job: Job) -> None:
    _need_tool(turn, "cancel")
    insist = bool(
        job.data.get("insist") or _NO_PAUSE.search(job.normalized) or _NO_PAUSE.search(normalize(turn.message))
    )
    args = {"reason": _cancel_reason(job.text)}
    for attempt in range(3):
        rec = turn.claim("cancel")
        if rec is None:
            raise NeedCall(Call("cancel", args))
        res = rec.result or {}
        if res.get("status") == "refused" and res.get("reason") == "save_offer" and attempt == 0:
            turn.cursor = max(turn.cursor, rec.index)
            if insist:
                continue
            months = parse_months(normalize(str(res.get("summary", "")))) or None
            summary = str(res.get("summary") or "Before you go: you can pause your subscription instead.")
            raise StopTurn(
                summary + "\n\nWould you like to pause instead, or should I go ahead with the cancellation?",
                Open("save_offer", "cancel", {"months": months}),
            )
        _follow(turn, rec)
        return


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
    _say(turn, social_reply(job.intent, name))


HANDLERS: dict[str, Callable[[Turn, Job], None]] = {
    "refund": h_refund,
    "charge_question": h_charge_question,
    "send_invoice": h_send_invoice,
    "update_billing": h_update_billing,
    "change_plan": h_change_plan,
    "change_seats": h_change_seats,
    "preview_change": h_preview,
    "retry_payment": h_retry,
    "payment_method": h_payment_method,
    "pause": h_pause,
    "resume": h_resume,
    "cancel": h_cancel,
    "account_question": h_account,
    "policy_question": h_policy,
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

_REPEATABLE = frozenset({"refund", "send_invoice", "retry_payment", "charge_question", "preview_change"})
"""Requests a follow-up can repeat on another charge, invoice or date."""


def _follow_up(turn: Turn, jobs: list[Job], norm: str) -> bool:
    """Nothing actionable was understood, but the message asks for the same again on a new reference."""
    if not _MORE_OF_THE_SAME.search(norm) or turn.account is None:
        return False
    # a short "same for August" repeats the last request whatever the classifier guessed for it alone
    vague = {"charge_question", "account_question", "policy_question", "unknown", "greeting", "thanks", "affirm"}
    if any(j.intent in HANDLERS for j in jobs) and (len(norm.split()) > 8 or {j.intent for j in jobs} - vague):
        return False
    return _has_hint(turn.account, numbers_from_words(norm), turn.message)


def _with_rest(stop: StopTurn, rest: list[Job], done: list[Job]) -> StopTurn:
    """`stop`, its open item carrying the requests not handled yet (answered on the next message) and
    the last request completed before it (so "same for August" can still repeat it)."""
    item = stop.open_item
    waiting = [(j.intent, j.text, j.normalized) for j in rest if j.intent in HANDLERS and j.intent != "deny"]
    last = [j.intent for j in done if j.intent in _REPEATABLE]
    if item is None or item.kind not in _CARRIED_OPEN or not (waiting or last):
        return stop
    extra: dict[str, Any] = {"rest": waiting} if waiting else {}
    if last:
        extra["last_done"] = last[-1]
    return StopTurn(stop.text, Open(item.kind, item.intent, {**item.data, **extra}))


def _message_jobs(turn: Turn) -> list[Job]:
    acct = turn.account
    plan_names = acct.plan_names() if acct and acct.plans else DEFAULT_PLAN_NAMES
    requests = understand(turn.message, plan_names)
    jobs = [Job(r.intent, r.text, r.normalized) for r in requests]
    intents = {j.intent for j in jobs}
    norm = normalize(turn.message)
    answer = yes_no(norm)
    item = turn.open_item
    if item is not None and not intents & set(ESCALATIONS):
        last = item.intent if item.kind == "done" else item.data.get("last_done")
        if last and _follow_up(turn, jobs, norm):
            return [Job(str(last), turn.message, norm)]  # "same for August": the last request again
        msg = Job("", turn.message, norm)
        if item.kind == "offer_refund":
            if answer == "no" and "refund" not in intents:
                return [Job("deny", turn.message, norm)]
            if answer == "yes" or ("refund" in intents and not re.search(r"\b(?:all|every|both)\b", norm)):
                only_dup = not parse_dates(norm, acct.now) if acct else True
                if only_dup:
                    return [Job("refund", turn.message, norm, dict(item.data))] + [
                        j for j in jobs if j.intent not in ("refund", "charge_question")
                    ]
        elif item.kind == "save_offer":
            if "pause" in intents or (answer == "yes" and "cancel" not in intents):
                return [Job("pause", turn.message, norm, {"months": item.data.get("months")})]
            if "cancel" in intents or answer == "no":
                return [Job("cancel", turn.message, norm, {"insist": True})]
        elif item.kind == "await_confirmation" and answer and not intents - {"affirm", "deny", "thanks", "unknown"}:
            return [Job("await_confirmation", turn.message, norm, {"answer": answer})]
        elif item.kind == "discussed_charge" and item.data.get("charge_id"):
            for job in jobs:
                if job.intent == "refund" and acct and not _has_hint(acct, job.normalized, job.text):
                    job.data.setdefault("charge_id", item.data["charge_id"])
        elif item.kind == "offer_change":
            if answer == "no" and not intents - {"affirm", "deny", "thanks", "unknown"}:
                return [Job("deny", turn.message, norm)]
            if answer == "yes" and not intents - {"affirm", "thanks"}:
                if item.data.get("plan"):
                    return [Job("change_plan", msg.text, norm, {"plan": item.data["plan"]})]
                if item.data.get("quantity"):
                    return [Job("change_seats", msg.text, norm, {"quantity": item.data["quantity"]})]
        elif item.kind == "clarify" and item.intent:
            if answer == "no" and not intents & {"refund", "change_plan", "cancel"}:
                return [Job("deny", turn.message, norm)]
            actionable = [j for j in jobs if j.intent in HANDLERS and j.intent != "account_question"]
            short_answer = len(norm.split()) <= 4 and bool(re.search(r"\d", norm))
            if short_answer or not actionable or all(j.intent == item.intent for j in actionable):
                return [Job(item.intent, turn.message, norm, dict(item.data))]
    if acct is not None:
        jobs = [split for job in jobs for split in _split_items(acct, job)]
    others = tuple(j.intent for j in jobs)
    for job in jobs:
        job.data.setdefault("other_intents", others)
    return jobs


def _split_items(acct: Account, job: Job) -> list[Job]:
    """One job per charge or invoice the request names ("refund September and October", "email the July and
    August invoices"), when each reference names exactly one (`references`); else the job unchanged."""
    if job.data or job.intent not in ("refund", "send_invoice"):
        return [job]
    norm = numbers_from_words(job.normalized)
    if job.intent == "refund":
        charges = refund_items(acct, norm, job.text)
        return [Job("refund", job.text, job.normalized, {"charge_id": c}) for c in charges] or [job]
    invoices = invoice_items(acct, norm, job.text)
    return [Job("send_invoice", job.text, job.normalized, {"invoice": i}) for i in invoices] or [job]


_OTHER_ACCOUNT = re.compile(
    r"\b(?:another customer|other customer|someone else'?s?|somebody else'?s?|(?:his|her|their) (?:account|"
    r"subscription|card|invoices?|billing|email)|(?:my )?(?:friend|colleague|boss|wife|husband|partner)'?s "
    r"(?:account|subscription|invoices?|billing))\b",
    re.IGNORECASE,
)


_OBJECT_ID = re.compile(r"\b(?:cus|sub|ch|in|pm|re|py|pi|card|src|si|ii|txn)_[A-Za-z0-9_]+")
"""A processor object id written in the message ("sub_vic", "ch_3PqX", "in_77")."""


def _own_ids(data: Any) -> set[str]:
    """Every object id in the customer's `lookup_account` result (customer, subscription, charges, ...)."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and (key == "id" or key.endswith(("_id", "invoice", "charge"))):
                found.add(value)
            elif isinstance(value, (dict, list)):
                found |= _own_ids(value)
    elif isinstance(data, list):
        for value in data:
            found |= (
                _own_ids(value) if isinstance(value, (dict, list)) else ({value} if isinstance(value, str) else set())
            )
    return found


def _foreign_account(turn: Turn) -> bool:
    """The message names another customer's account or an object id that isn't on this account."""
    own = _own_ids(turn.account.data) if turn.account else set()
    ids = [i.rstrip("_") for i in _OBJECT_ID.findall(turn.message)]
    return any(i not in own for i in ids) or bool(_OTHER_ACCOUNT.search(turn.message))


def run_turn(turn: Turn) -> None:
    """Handle the turn's requests in order (raises NeedCall / StopTurn, or returns when all are done)."""
    jobs = _jobs(turn)
    writes = {"refund", "send_invoice", "update_billing", "change_plan", "change_seats", "retry_payment",
              "payment_method", "pause", "resume", "cancel", "account_question", "charge_question"}  # fmt: skip
    # an unclear message that names someone else's object gets the same answer as a clear one
    if _foreign_account(turn) and any(j.intent in writes or j.intent == "unknown" for j in jobs) and not any(
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
