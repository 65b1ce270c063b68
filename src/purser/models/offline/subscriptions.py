"""Subscription flows: plan and seat changes, previews, payment retries, the card link, pause,
resume and cancel (one handler per intent; see `flows.run_turn`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from purser.models.offline.cues import NO_PAUSE
from purser.models.offline.dialogue import Call, NeedCall, Open, StopTurn, Turn
from purser.models.offline.handlers import (
    Job,
    _account,
    _follow,
    _need_tool,
    _say,
    followed,
)
from purser.models.offline.normalize import normalize
from purser.models.offline.slots import (
    match_plan,
    numbers_from_words,
    parse_interval,
    parse_months,
    parse_months_until,
    parse_seats,
    plan_base,
    seat_target,
)
from purser.models.offline.understand import ACTIONABLE

__all__ = [
    "h_cancel",
    "h_change_plan",
    "h_change_seats",
    "h_pause",
    "h_payment_method",
    "h_preview",
    "h_resume",
    "h_retry",
]


def _plan_choices(turn: Turn, plans: list[dict[str, Any]] | None = None) -> str:
    """The plans the customer can move to: in their currency, without the one they are on."""
    acct = _account(turn)
    current = acct.plan or {}
    choices = [p for p in (acct.plans if plans is None else plans) if _same_currency(acct, p, current)]
    choices = [p for p in choices if p.get("id") != current.get("id")] or choices
    return "\n".join(f"- {acct.plan_label(p)}" for p in choices)


def _same_currency(acct: Any, plan: dict[str, Any], current: dict[str, Any]) -> bool:
    """A plan in the customer's currency (a change to another currency needs a teammate)."""
    have = str(current.get("currency") or acct.currency).lower()
    return not current or str(plan.get("currency") or acct.currency).lower() == have


def _comparable(acct: Any, current: dict[str, Any]) -> list[dict[str, Any]]:
    """Plans that can be ranked against the current one: same interval, seat billing and currency."""
    return [
        p
        for p in acct.plans
        if p.get("interval") == current.get("interval")
        and bool(p.get("per_seat")) == bool(current.get("per_seat"))
        and _same_currency(acct, p, current)
    ]


def _target_plan(turn: Turn, job: Job) -> dict[str, Any] | None:
    acct = _account(turn)
    if job.data.get("plan"):
        return next((p for p in acct.plans if p.get("id") == job.data["plan"]), None)
    norm = job.normalized
    current = acct.plan
    matches = match_plan(norm, acct.plans, current)
    if len(matches) > 1:
        after_to = re.search(r".*\b(?:to|into|onto)\b([^.?!;]*)", norm)  # within its own sentence
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
        same = _comparable(acct, current)
        if same:
            ordered = sorted(same, key=lambda p: Decimal(str(p.get("amount", "0"))))
            low = re.search(r"cheapest|lowest|smallest|most basic", extreme.group(0))
            return ordered[0] if low else ordered[-1]
    up = re.search(
        r"\b(?:upgrade|higher|bigger|more expensive)\b|\b(?:go|move|step) up(?: a| one)? (?:tier|plan|level)", norm
    )
    down = re.search(
        r"\b(?:downgrade|cheaper|smaller|lower|less expensive)\b"
        r"|\b(?:go|move|step|drop) down(?: a| one)? (?:tier|plan|level)",
        norm,
    )
    if current and (up or down):
        same = _comparable(acct, current)
        price = Decimal(str(current.get("amount", "0")))
        ordered = sorted(same, key=lambda p: Decimal(str(p.get("amount", "0"))))
        pick = [p for p in ordered if Decimal(str(p.get("amount", "0"))) > price] if up else \
            [p for p in reversed(ordered) if Decimal(str(p.get("amount", "0"))) < price]  # fmt: skip
        if len(pick) == 1:
            return pick[0]
        if pick:
            way = "up" if up else "down"
            raise StopTurn(
                f"You're on {acct.plan_label()} now. The plans a step {way} are:\n{_plan_choices(turn, pick)}\n\n"
                "Which one would you like?",
                Open("clarify", job.intent),
            )
    return None


def h_change_plan(turn: Turn, job: Job) -> None:
    if followed(turn, "change_plan"):
        return
    acct = _account(turn)
    target = _target_plan(turn, job)
    if target is None:
        raise StopTurn(
            f"Which plan would you like to move to? You're on {acct.plan_label()} now. The plans are:\n"
            f"{_plan_choices(turn)}",
            Open("clarify", "change_plan"),
        )
    if acct.plan and target.get("id") == acct.plan.get("id") and _SEAT_WORDS.search(job.normalized):
        h_change_seats(turn, Job("change_seats", job.text, job.normalized))  # "add people to our Squad plan"
        return
    if acct.plan and target.get("id") == acct.plan.get("id"):
        if any(i != "change_plan" and i in ACTIONABLE for i in job.data.get("other_intents", ())):
            return  # "we are on the Crew plan, please add 2 seats": the plan is context for the other request
        _say(turn, f"You're already on {acct.plan_label(target)}, so there's nothing to change.")
        return
    raise NeedCall(Call("change_plan", {"plan": target["id"]}))


_SEAT_WORDS = re.compile(r"\b(?:seats?|users?|people|persons?|members?|licen[cs]es?|colleagues|employees|logins?)\b")
_ADD_PEOPLE = re.compile(r"\b(?:add\w*|more|extra|additional|new|hire\w*|onboard\w*|join\w*|increase)\b")
_REMOVE_PEOPLE = re.compile(r"\b(?:remov\w*|fewer|less|drop\w*|reduc\w*|left|leav\w*|decrease)\b")


def _seat_total(turn: Turn, job: Job) -> int | None:
    acct = _account(turn)
    if job.data.get("quantity"):
        return int(job.data["quantity"])
    norm = numbers_from_words(job.normalized)
    seat = parse_seats(norm)
    if seat is None and job.data.get("bare_number"):
        bare = re.search(r"\b(\d+)\b", norm)
        if bare is None:
            return None
        count, current = int(bare.group(1)), int((acct.subscription or {}).get("quantity") or 1)
        # the answer to "how many more?" adds; to "how many fewer?" removes; else it is the total
        return {"add": current + count, "remove": current - count}.get(str(job.data.get("mode")), count)
    current = int((acct.subscription or {}).get("quantity") or 1)
    if seat is None or (seat.mode == "set" and seat.count == current):
        # "Two new agents start Monday. We're on 4 seats": the change is in the other sentence
        whole = parse_seats(numbers_from_words(normalize(turn.message)))
        seat = whole if whole is not None and not (whole.mode == "set" and whole.count == current) else seat
    if seat is None:
        return None
    return seat_target(seat, current)


def h_change_seats(turn: Turn, job: Job) -> None:
    if followed(turn, "change_seats"):
        return
    acct = _account(turn)
    current = int((acct.subscription or {}).get("quantity") or 1)
    total = _seat_total(turn, job)
    if total is None or total < 1:
        have = f"You have {current} seat{'s' if current != 1 else ''} now."
        if _ADD_PEOPLE.search(job.normalized):
            raise StopTurn(f"{have} How many seats should I add?", Open("clarify", "change_seats", {"bare_number": True,
                           "mode": "add"}))  # fmt: skip
        if _REMOVE_PEOPLE.search(job.normalized):
            raise StopTurn(f"{have} How many seats should I remove?", Open("clarify", "change_seats", {
                           "bare_number": True, "mode": "remove"}))  # fmt: skip
        raise StopTurn(f"{have} How many seats would you like in total?",
                       Open("clarify", "change_seats", {"bare_number": True}))  # fmt: skip
    if total == current:
        _say(turn, f"You already have {current} seats, so there's nothing to change.")
        return
    raise NeedCall(Call("change_seats", {"quantity": total}))


def _preview_options(turn: Turn, job: Job) -> list[dict[str, Any]]:
    """The plans a price question names besides the current one, when it names two or more ("what would
    Business cost? and Basic?"); else []."""
    acct = _account(turn)
    norm = job.normalized
    if re.search(r"\bfrom\b", norm) or parse_seats(numbers_from_words(norm)):
        return []
    current = (acct.plan or {}).get("id")
    seen: list[dict[str, Any]] = []
    for plan in match_plan(norm, acct.plans, acct.plan):
        if plan.get("id") != current and all(p.get("id") != plan.get("id") for p in seen):
            seen.append(plan)
    named = {plan_base(p) + str(p.get("interval")) for p in seen}
    # in the order the customer named them, so "the second one" is the second they asked about
    seen.sort(key=lambda p: (norm.find(plan_base(p).lower()) % (len(norm) + 1), str(p.get("interval"))))
    return seen if len(named) >= 2 else []


def _preview_each(turn: Turn, options: list[dict[str, Any]]) -> None:
    """Quote every option, then ask which one (the next message picks it: "the yearly one", "the second")."""
    acct = _account(turn)
    for plan in options:
        rec = turn.claim("preview_change")
        if rec is None:
            _need_tool(turn, "preview_change")
            raise NeedCall(Call("preview_change", {"plan": plan["id"], "quantity": None}))
        res = rec.result or {}
        turn.cursor = max(turn.cursor, rec.index)
        quoted = (res.get("result") or {}).get("summary") if isinstance(res.get("result"), dict) else None
        label = acct.plan_label(plan)
        if res.get("status") == "succeeded" and quoted:
            turn.report(rec.index, f"{label}: {str(quoted).rstrip('.')}.")
        else:
            from purser.models.offline.outcomes import outcome_text

            turn.report(rec.index, f"{label}: {outcome_text(res, 'preview_change')}")
    names = " or ".join(acct.plan_label(p) for p in options)
    raise StopTurn(
        f"Nothing has changed yet. Would you like one of them — {names}?",
        Open("offer_change", "", {"options": [p["id"] for p in options]}),
    )


def h_preview(turn: Turn, job: Job) -> None:
    options = _preview_options(turn, job)
    if options:
        _preview_each(turn, options)
        return
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
    if job.data.get("quantity"):  # "and 2?" after a quote for 3 more: the total worked out by the flow
        raise NeedCall(Call("preview_change", {"plan": None, "quantity": int(job.data["quantity"])}))
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
    if followed(turn, "retry_payment"):
        return
    acct = _account(turn)
    refs = [r for r in acct.invoice_refs(job.text)]
    invoice = acct.invoice_by_ref(refs[0]) if refs else None
    if not acct.open_invoices() and not acct.data.get("past_due"):
        _say(turn, "You don't have any open invoices — your account is fully paid, so there's nothing to retry.")
        return
    raise NeedCall(Call("retry_payment", {"invoice_id": invoice["id"] if invoice else None}))


def h_payment_method(turn: Turn, job: Job) -> None:
    if followed(turn, "payment_method_link"):
        return
    raise NeedCall(Call("payment_method_link", {}))


def h_pause(turn: Turn, job: Job) -> None:
    if followed(turn, "pause"):
        return
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
    if followed(turn, "resume"):
        return
    raise NeedCall(Call("resume", {}))


def _cancel_reason(text: str) -> str | None:
    m = re.search(r"\b(?:because|since|as)\b\s+(.{3,200})", text, re.IGNORECASE)
    return m.group(1).strip(" .") if m else None


def h_cancel(turn: Turn, job: Job) -> None:
    _need_tool(turn, "cancel")
    insist = bool(job.data.get("insist") or NO_PAUSE.search(job.normalized) or NO_PAUSE.search(normalize(turn.message)))
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
            ask = "" if summary.rstrip().endswith("?") else "\n\nWould you like to pause instead, or cancel anyway?"
            raise StopTurn(summary + ask, Open("save_offer", "cancel", {"months": months}))  # the offer asks once
        _follow(turn, rec)
        return
