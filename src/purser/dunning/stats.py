"""The dashboard's dunning figures: cases by status, recovered revenue per currency, recovery rate and
time to recovery. A pure function of the cases, so the money sums are property-tested."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import median_low

from purser.dunning.cases import CaseStatus, DunningCase, RecoveredBy
from purser.money import Money

__all__ = ["DunningStats", "dunning_stats"]


@dataclass(frozen=True, slots=True)
class DunningStats:
    """What the dashboard's dunning panel shows."""

    open: int = 0
    recovered: int = 0
    lost: int = 0
    canceled: int = 0
    recovered_revenue: dict[str, Money] = field(default_factory=dict)
    """Per currency: the amounts of the recovered cases."""
    open_revenue: dict[str, Money] = field(default_factory=dict)
    """Per currency: what the open cases still try to collect."""
    recovered_by: dict[str, int] = field(default_factory=dict)
    """retry | customer | elsewhere -> cases."""
    median_time_to_recovery: timedelta | None = None
    """Over the recovered cases (the lower median: an actual case's time)."""

    @property
    def closed(self) -> int:
        """Cases that ended, whatever the outcome."""
        return self.recovered + self.lost + self.canceled

    @property
    def recovery_rate_percent(self) -> int | None:
        """Recovered among closed cases, in whole percent rounded down (None before any case closed)."""
        return None if self.closed == 0 else self.recovered * 100 // self.closed

    def to_json(self) -> dict[str, object]:
        """The API's shape: amounts as Money JSON, the median in seconds."""
        ttr = self.median_time_to_recovery
        return {
            "open": self.open,
            "recovered": self.recovered,
            "lost": self.lost,
            "canceled": self.canceled,
            "recovery_rate_percent": self.recovery_rate_percent,
            "recovered_revenue": [m.to_json() for _, m in sorted(self.recovered_revenue.items())],
            "open_revenue": [m.to_json() for _, m in sorted(self.open_revenue.items())],
            "recovered_by": dict(sorted(self.recovered_by.items())),
            "median_seconds_to_recovery": int(ttr.total_seconds()) if ttr is not None else None,
        }


def _add(sums: dict[str, Money], amount: Money) -> None:
    sums[amount.currency] = sums.get(amount.currency, Money.zero(amount.currency)) + amount


def dunning_stats(cases: Iterable[DunningCase]) -> DunningStats:
    """The figures of `cases`."""
    counts = dict.fromkeys(CaseStatus, 0)
    recovered: dict[str, Money] = {}
    still_open: dict[str, Money] = {}
    by: dict[str, int] = {}
    durations: list[timedelta] = []
    for case in cases:
        counts[case.status] += 1
        if case.status is CaseStatus.RECOVERED:
            _add(recovered, case.amount)
            who = (case.recovered_by or RecoveredBy.ELSEWHERE).value
            by[who] = by.get(who, 0) + 1
            if case.closed_at is not None:
                durations.append(case.closed_at - case.opened_at)
        elif case.status is CaseStatus.OPEN:
            _add(still_open, case.amount)
    return DunningStats(
        open=counts[CaseStatus.OPEN],
        recovered=counts[CaseStatus.RECOVERED],
        lost=counts[CaseStatus.LOST],
        canceled=counts[CaseStatus.CANCELED],
        recovered_revenue=recovered,
        open_revenue=still_open,
        recovered_by=by,
        median_time_to_recovery=median_low(durations) if durations else None,
    )
