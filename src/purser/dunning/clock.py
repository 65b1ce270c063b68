"""`purser sandbox advance`: move the sandbox clock in order, with dunning keeping pace.

The clock moves to the next instant something is due (a renewal or automatic retry, a dunning
action, a day boundary, or the target), never past it: the sandbox's renewals and failed payments
up to there run first, then the processor's new events open and close cases, then due jobs and the
cadence's due actions run at that instant. So a month advanced at once does what thirty days one
at a time would, each action at its own time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from purser.dunning.service import Dunning, TickReport
from purser.ports.dunning import MovableClock

__all__ = ["AdvanceSummary", "advance"]

_MAX_STEP = timedelta(days=1)


@dataclass
class AdvanceSummary:
    """What an advance did, for the CLI to print."""

    start: datetime
    end: datetime
    renewals: int = 0
    processor_retries: int = 0
    cancellations: int = 0
    jobs: int = 0
    dunning: TickReport = field(default_factory=TickReport)


def advance(
    clock: MovableClock,
    dunning: Dunning,
    target: datetime,
    *,
    run_jobs: Callable[[datetime], int] | None = None,
) -> AdvanceSummary:
    """Move `clock` to `target` in order (see the module doc); `run_jobs(now)` runs the job queue's due jobs."""
    start = clock.now()
    summary = AdvanceSummary(start=start, end=start)
    now = start
    while True:
        # Catch up at the current instant first (a case opened or a job due before this advance).
        dunning.sync(summary.dunning)
        if run_jobs is not None:
            summary.jobs += run_jobs(now)
        dunning.tick(summary.dunning)
        if run_jobs is not None:
            summary.jobs += run_jobs(now)  # what the steps queued (their emails)
        if now >= target:
            break
        step = min(target, now + _MAX_STEP)
        for due in (dunning.next_due(), clock.next_billing_at()):
            if due is not None and now < due < step:
                step = due
        outcome = clock.advance_clock(step)
        summary.renewals += outcome.renewals
        summary.processor_retries += outcome.retries
        summary.cancellations += outcome.cancellations
        now = clock.now()
    summary.end = now
    return summary
