"""The cadence: when each action of a case is due, on the processor's clock.

Every step of `policy.dunning.steps` is `day` days after the case opened (the first failure).
A step's retry moves by decline reason (`reasons.retry_time`); its outreach waits out the quiet
hours in the customer's local time. The final action (handoff, cancel, uncollectible) is due once
every step has run, at the latest of their times. The plan is a pure function of the case and the
policy, so any worker at any moment computes the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from purser.dunning.cases import DunningCase, StepAction
from purser.dunning.reasons import retry_time
from purser.policy.schema import DunningPolicy, QuietHours

__all__ = ["PlannedAction", "due_actions", "plan", "quiet_adjusted", "timezone_for"]

# Countries spanning several zones: the zone where most of the population lives (CLDR lists the
# zones alphabetically, so its first entry for the US is Adak, Alaska). Others use CLDR's first.
_MAIN_ZONE = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta",
    "AR": "America/Argentina/Buenos_Aires",
    "KZ": "Asia/Almaty",
    "CN": "Asia/Shanghai",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "NZ": "Pacific/Auckland",
    "CL": "America/Santiago",
    "DE": "Europe/Berlin",
}


@cache
def timezone_for(country: str | None, explicit: str | None = None) -> tzinfo | None:
    """The customer's time zone: `explicit` when it names a zone, else the main zone of `country`
    (ISO 3166 alpha-2), else None (quiet hours are then read in UTC)."""
    for name in (explicit, _zone_of_country(country)):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def _zone_of_country(country: str | None) -> str | None:
    if not country:
        return None
    code = country.strip().upper()
    if code in _MAIN_ZONE:
        return _MAIN_ZONE[code]
    from babel.core import get_global

    zones = get_global("territory_zones").get(code)
    return str(zones[0]) if zones else None


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_adjusted(at: datetime, quiet: QuietHours | None, zone: tzinfo | None) -> datetime:
    """`at`, or the end of the quiet hours it falls in (customer's local time; UTC when unknown)."""
    if quiet is None:
        return at
    start, end = _clock(quiet.start), _clock(quiet.end)
    if start == end:
        return at
    local = at.astimezone(zone) if zone is not None else at
    now = local.time().replace(tzinfo=None)
    wraps = start > end  # e.g. 21:00-08:00 spans midnight
    inside = (now >= start or now < end) if wraps else (start <= now < end)
    if not inside:
        return at
    day = local.date() + timedelta(days=1) if wraps and now >= start else local.date()
    ends = datetime.combine(day, end, tzinfo=local.tzinfo)
    return ends.astimezone(at.tzinfo)


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One action of the cadence and when it is due (None: never runs, recorded as skipped)."""

    step: int
    action: StepAction
    due_at: datetime
    """When it comes up (for a skipped retry: when the step comes up)."""
    skip: bool = False
    """True for a retry the decline reason rules out."""


def plan(case: DunningCase, policy: DunningPolicy, zone: tzinfo | None) -> list[PlannedAction]:
    """Every action of the case's cadence, in the order they run."""
    actions: list[PlannedAction] = []
    previous: datetime | None = None
    for index, step in enumerate(policy.steps):
        scheduled = case.opened_at + timedelta(days=step.day)
        if step.retry:
            when = retry_time(case.decline_reason, opened_at=case.opened_at, scheduled=scheduled, previous=previous)
            previous = when or previous
            actions.append(PlannedAction(index, StepAction.RETRY, when or scheduled, skip=when is None))
        if step.notify:
            actions.append(PlannedAction(index, StepAction.NOTIFY, quiet_adjusted(scheduled, policy.quiet_hours, zone)))
    last = max(a.due_at for a in actions)
    actions.append(PlannedAction(len(policy.steps), StepAction.FINAL, last))
    # Stable: within a step the retry goes first, so a paid retry makes its outreach unnecessary.
    actions.sort(key=lambda a: (a.due_at, a.step, a.action is not StepAction.RETRY))
    return actions


def due_actions(case: DunningCase, policy: DunningPolicy, zone: tzinfo | None, now: datetime) -> list[PlannedAction]:
    """The actions due by `now` that have not run yet (the final one only once every step has run)."""
    pending = [a for a in plan(case, policy, zone) if case.done(a.step, a.action) is None]
    due: list[PlannedAction] = []
    for action in pending:
        if action.due_at > now:
            continue
        if action.action is StepAction.FINAL and len(pending) - len(due) > 1:
            continue  # a step is still waiting (its retry moved to a later payday)
        due.append(action)
    return due
