"""Dunning scenarios: a failing renewal and what the customer does over the following days.

A scenario may carry a `dunning` key (docs/GYM_DUNNING.md):

    dunning:
      days: 20                               # the sandbox clock runs this long from `now`
      customer:                              # what the customer does, by day after `now`
        - {day: 2, update_card: succeeds}    # submits the /pay link of their latest outreach
        - {day: 3, reply: yes}               # the scripted `turns` are sent that day
      expect: {status: recovered, recovered_by: customer, outreach: 1, recovered_emails: 1}

No `customer` entries (or an empty list) is a customer who ignores everything. The clock moves as
`purser sandbox advance` moves it (renewals, failures, the cadence, each at its own time).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from purser.domain import CustomerId
from purser.gym._validate import Checker

__all__ = ["DunningExpectation", "DunningPlan", "DunningStep", "judge_dunning", "parse_dunning", "run_timeline"]

TEST_CARDS = ("succeeds", "declines", "insufficient_funds", "expired")
STATUSES = ("open", "recovered", "lost", "canceled")
RECOVERED_BY = ("retry", "customer", "elsewhere")
_KEYS = ("days", "customer", "expect")
_STEP_KEYS = ("day", "update_card", "reply")
_EXPECT_KEYS = ("status", "recovered_by", "outreach", "recovered_emails")
_MAX_DAYS = 120


@dataclass(frozen=True, slots=True)
class DunningStep:
    """One thing the customer does on `day` (after `now`)."""

    day: int
    update_card: str | None = None
    """A `test_card` behaviour submitted on the payment page."""
    reply: bool = False
    """The scenario's turns are sent this day."""


@dataclass(frozen=True, slots=True)
class DunningExpectation:
    """What the customer's case must look like at the end (None: not checked)."""

    status: str | None = None
    recovered_by: str | None = None
    outreach: int | None = None
    """Dunning messages (email kind `dunning`) the customer received."""
    recovered_emails: int | None = None
    """Confirmations (email kind `dunning_recovered`) the customer received."""


@dataclass(frozen=True, slots=True)
class DunningPlan:
    """The `dunning` key of a scenario."""

    days: int
    steps: tuple[DunningStep, ...]
    expect: DunningExpectation

    @property
    def reply_day(self) -> int | None:
        """The day the conversation happens (None: the customer never writes)."""
        return next((s.day for s in self.steps if s.reply), None)


def _count(check: Checker, key: str, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        check.bad(key, "a whole number of at least 0", value)
        return None
    return value


def parse_dunning(check: Checker, value: Any, *, has_turns: bool) -> DunningPlan | None:
    """Validate the `dunning` key; problems go to `check` (None when there are any)."""
    data = check.mapping("dunning", value, "with days, customer and expect")
    if data is None:
        return None
    before = len(check.problems)
    for key in data:
        if key not in _KEYS:
            check.unknown(f"dunning.{key}", _KEYS)
    days = check.positive_int("dunning.days", data.get("days")) if "days" in data else None
    if "days" not in data:
        check.problems.append(f"{check.source}: dunning.days: missing required key")
    elif days is not None and days > _MAX_DAYS:
        check.bad("dunning.days", f"at most {_MAX_DAYS}", days)
    steps: list[DunningStep] = []
    raw_steps = check.items("dunning.customer", data.get("customer") or [], "of {day, update_card | reply}")
    for i, item in enumerate(raw_steps or []):
        steps.extend(_step(check, f"dunning.customer[{i}]", item, days))
    if [s.day for s in steps] != sorted(s.day for s in steps):
        check.bad("dunning.customer", "entries in day order")
    replies = [s for s in steps if s.reply]
    if len(replies) > 1:
        check.bad("dunning.customer", "at most one reply (the scenario's turns are one conversation)")
    if replies and not has_turns:
        check.bad("dunning.customer", "`turns` for the reply (what the customer writes)", got=False)
    if not replies and has_turns:
        check.bad("dunning.customer", "a {day: N, reply: yes} entry: the scenario has turns", got=False)
    expect = _expect(check, data.get("expect"))
    if len(check.problems) > before or days is None or expect is None:
        return None
    return DunningPlan(days=days, steps=tuple(steps), expect=expect)


def _step(check: Checker, key: str, item: Any, days: int | None) -> list[DunningStep]:
    data = check.mapping(key, item, "such as {day: 2, update_card: succeeds}")
    if data is None:
        return []
    for k in data:
        if k not in _STEP_KEYS:
            check.unknown(f"{key}.{k}", _STEP_KEYS)
    day = _count(check, f"{key}.day", data.get("day")) if "day" in data else None
    if "day" not in data:
        check.problems.append(f"{check.source}: {key}.day: missing required key")
    if day is not None and days is not None and day > days:
        check.bad(f"{key}.day", f"a day within dunning.days ({days})", day)
    card = check.choice(f"{key}.update_card", data["update_card"], TEST_CARDS) if "update_card" in data else None
    reply = check.yes_no(f"{key}.reply", data["reply"]) if "reply" in data else False
    if ("update_card" in data) == ("reply" in data):
        check.bad(key, "exactly one of update_card or reply", got=False)
    if day is None:
        return []
    return [DunningStep(day=day, update_card=card, reply=bool(reply))]


def _expect(check: Checker, value: Any) -> DunningExpectation | None:
    data = check.mapping("dunning.expect", value, "with status, recovered_by, outreach, recovered_emails")
    if data is None:
        return None
    for k in data:
        if k not in _EXPECT_KEYS:
            check.unknown(f"dunning.expect.{k}", _EXPECT_KEYS)
    status = check.choice("dunning.expect.status", data["status"], STATUSES) if "status" in data else None
    by = (
        check.choice("dunning.expect.recovered_by", data["recovered_by"], RECOVERED_BY)
        if "recovered_by" in data
        else None
    )
    if by is not None and status not in (None, "recovered"):
        check.bad("dunning.expect.recovered_by", "status: recovered alongside it", got=False)
    outreach = _count(check, "dunning.expect.outreach", data["outreach"]) if "outreach" in data else None
    confirmations = None
    if "recovered_emails" in data:
        confirmations = _count(check, "dunning.expect.recovered_emails", data["recovered_emails"])
    return DunningExpectation(status, by, outreach, confirmations)


_LINK = re.compile(r"/pay/(\S+)")


def run_timeline(
    container: Any,
    plan: DunningPlan,
    customer: str,
    now: datetime,
    converse: Callable[[], None],
) -> list[str]:
    """Run the scenario's days from `now`: the clock, the customer's steps and (on its day) the conversation.
    Returns problems that stop the timeline (a card update with no link to use)."""
    from purser.app import build_dunning
    from purser.dunning.clock import advance
    from purser.dunning.payment import PaymentUpdate
    from purser.errors import PurserError

    processor = container.processor
    dunning = build_dunning(container.settings, container.db, processor, policy=container.policy)
    pages = PaymentUpdate(dunning)
    problems: list[str] = []
    for step in plan.steps:
        advance(processor, dunning, now + timedelta(days=step.day))
        if step.reply:
            converse()
            continue
        emails = [e for e in processor.emails(CustomerId(customer)) if e.kind == "dunning"]
        found = _LINK.search(emails[-1].body) if emails else None
        if found is None:
            problems.append(f"dunning: day {step.day}: the customer has no payment link to use")
            continue
        try:
            pages.submit(found.group(1), str(step.update_card))
        except PurserError as exc:
            problems.append(f"dunning: day {step.day}: the payment page refused the card: {exc.message}")
    advance(processor, dunning, now + timedelta(days=plan.days))
    return problems


def judge_dunning(container: Any, plan: DunningPlan, customer: str) -> list[str]:
    """The failures of `plan.expect` against the customer's case and emails."""
    from purser.app import build_dunning

    repo = build_dunning(container.settings, container.db, container.processor, policy=container.policy).repo
    cases = [c for c in repo.cases() if c.customer_id == customer]
    kinds = [e.kind for e in container.processor.emails(CustomerId(customer))]
    want = plan.expect
    failures: list[str] = []
    case = cases[-1] if cases else None
    if want.status is not None:
        got = case.status.value if case else "no case"
        if got != want.status:
            failures.append(f"dunning.status: expected {want.status}, got {got}")
    if want.recovered_by is not None:
        got_by = case.recovered_by.value if case and case.recovered_by else None
        if got_by != want.recovered_by:
            failures.append(f"dunning.recovered_by: expected {want.recovered_by}, got {got_by}")
    for key, kind, expected in (
        ("outreach", "dunning", want.outreach),
        ("recovered_emails", "dunning_recovered", want.recovered_emails),
    ):
        if expected is not None and kinds.count(kind) != expected:
            failures.append(f"dunning.{key}: expected {expected} email(s) of kind {kind}, got {kinds.count(kind)}")
    return failures
