"""The dashboard's figures: recovered revenue sums per currency exactly (property-tested), the rate and median."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from purser.domain.ids import CustomerId, InvoiceId
from purser.dunning.cases import CaseStatus, DunningCase, RecoveredBy, case_id_for
from purser.dunning.stats import dunning_stats
from purser.money import Money

OPENED = datetime(2026, 12, 1, tzinfo=UTC)


def case(n: int, minor: int, currency: str, status: CaseStatus, hours: int = 0) -> DunningCase:
    base = DunningCase(
        id=case_id_for(f"in_{n}"),
        invoice_id=InvoiceId(f"in_{n}"),
        customer_id=CustomerId(f"cus_{n}"),
        subscription_id=None,
        amount=Money(minor, currency),
        card_brand="visa",
        card_last4="4242",
        decline_reason="card_declined",
        opened_at=OPENED,
    )
    if status is CaseStatus.OPEN:
        return base
    by = RecoveredBy.CUSTOMER if status is CaseStatus.RECOVERED else None
    return replace(base, status=status, closed_at=OPENED + timedelta(hours=hours), recovered_by=by)


cases = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=10**9),
        st.sampled_from(["usd", "eur", "jpy"]),
        st.sampled_from(list(CaseStatus)),
        st.integers(min_value=0, max_value=1000),
    ),
    max_size=40,
)


@given(cases)
def test_recovered_revenue_is_the_exact_sum_per_currency(rows: list[tuple[int, str, CaseStatus, int]]) -> None:
    built = [case(i, minor, cur, status, hours) for i, (minor, cur, status, hours) in enumerate(rows)]
    stats = dunning_stats(built)
    for currency in ("usd", "eur", "jpy"):
        want = sum(m for m, c, s, _ in rows if c == currency and s is CaseStatus.RECOVERED)
        got = stats.recovered_revenue.get(currency)
        assert (got.minor if got else 0) == want
        assert got is None or got.currency == currency
    assert stats.open + stats.closed == len(rows)
    rate = stats.recovery_rate_percent
    assert rate is None if stats.closed == 0 else 0 <= rate <= 100


def test_rate_median_and_json() -> None:
    stats = dunning_stats(
        [
            case(1, 5000, "usd", CaseStatus.RECOVERED, hours=2),
            case(2, 2500, "usd", CaseStatus.RECOVERED, hours=30),
            case(3, 4000, "eur", CaseStatus.RECOVERED, hours=50),
            case(4, 5000, "usd", CaseStatus.LOST),
            case(5, 5000, "usd", CaseStatus.OPEN),
        ]
    )
    assert stats.recovery_rate_percent == 75
    assert stats.median_time_to_recovery == timedelta(hours=30)
    body = stats.to_json()
    assert body["recovered_revenue"] == [Money(4000, "eur").to_json(), Money(7500, "usd").to_json()]
    assert body["median_seconds_to_recovery"] == 30 * 3600 and body["recovered_by"] == {"customer": 3}
