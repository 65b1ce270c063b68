"""Hypothesis properties of the engine (on in-memory SQLite, a fresh world per example)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from purser.domain import (
    Address,
    Charge,
    ChargeId,
    ChargeStatus,
    Customer,
    CustomerId,
    Interval,
    PaymentMethod,
    PaymentMethodId,
    Plan,
    PlanId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox import SandboxProcessor
from purser.processors.sandbox.clock import add_months, period_end_for
from purser.processors.sandbox.proration import prorate
from purser.store import Database

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = datetime(2026, 1, 1, tzinfo=UTC)

PLANS = [
    Plan(PlanId("basic"), "Basic", Money(1000, "usd"), Interval.MONTH),
    Plan(PlanId("pro"), "Pro", Money(2000, "usd"), Interval.MONTH),
    Plan(PlanId("biz"), "Business", Money(5000, "usd"), Interval.MONTH),
    Plan(PlanId("team"), "Team", Money(1234, "usd"), Interval.MONTH, per_seat=True),
    Plan(PlanId("pro-y"), "Pro", Money(20000, "usd"), Interval.YEAR),
]


def fresh(
    *, start: datetime = T0, country: str = "US", plan: str = "pro", quantity: int = 1, vat: str | None = None
) -> SandboxProcessor:
    db = Database("sqlite://")
    db.create_all()
    processor = SandboxProcessor(db)
    cus = CustomerId("cus_p")
    plan_obj = next(p for p in PLANS if p.id == plan)
    with processor.bulk_import() as imp:
        for p in PLANS:
            imp.create_plan(p)
        imp.create_customer(Customer(cus, "P", "p@example.com", Address(country=country), vat, start))
        imp.add_payment_method(PaymentMethod(PaymentMethodId("pm_p"), cus, "visa", "4242", 2099, 1, True))
        imp.import_subscription(
            Subscription(
                SubscriptionId("sub_p"),
                cus,
                plan_obj.id,
                quantity,
                SubscriptionStatus.ACTIVE,
                start,
                start,
                period_end_for(start, start, plan_obj.interval),
            )
        )
        imp.set_clock(start)
    return processor


# -- refunds never exceed a charge -----------------------------------------------------------------


@SETTINGS
@given(amount=st.integers(1, 100_000), attempts=st.lists(st.integers(-5, 60_000), min_size=1, max_size=12))
def test_refunds_never_exceed_the_charge(amount: int, attempts: list[int]) -> None:
    processor = fresh()
    with processor.bulk_import() as imp:
        imp.import_charge(Charge(ChargeId("ch"), CustomerId("cus_p"), Money(amount, "usd"), T0, ChargeStatus.SUCCEEDED))
    refunded = 0
    for i, minor in enumerate(attempts):
        try:
            processor.refund(ChargeId("ch"), Money(minor, "usd"), reason=None, metadata={}, idempotency_key=f"k{i}")
            refunded += minor
        except InvalidRequest:
            assert minor <= 0 or refunded + minor > amount
        charge = processor.snapshot(CustomerId("cus_p")).charge("ch")
        assert charge is not None and charge.amount_refunded is not None
        assert charge.amount_refunded.minor == refunded <= amount
    total = sum(r.amount.minor for r in processor.snapshot(CustomerId("cus_p")).refunds)
    assert total == refunded


# -- invoice totals equal the sum of lines plus tax -----------------------------------------------

_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("change"), st.sampled_from([p.id for p in PLANS]), st.integers(1, 7), st.booleans()),
        st.tuples(st.just("advance"), st.integers(1, 24 * 50)),
    ),
    min_size=1,
    max_size=8,
)


@SETTINGS
@given(country=st.sampled_from(["US", "PT", "DE", "FR"]), ops=_OPS)
def test_invoice_totals_equal_lines_plus_tax(country: str, ops: list[tuple[object, ...]]) -> None:
    processor = fresh(country=country, vat="DE136695976" if country == "DE" else None)
    sub = SubscriptionId("sub_p")
    for n, op in enumerate(ops):
        if op[0] == "advance":
            processor.advance_clock(processor.now() + timedelta(hours=int(op[1])))  # type: ignore[call-overload]
            continue
        _, plan, qty, now = op
        try:
            processor.change_subscription(
                sub,
                plan_id=PlanId(str(plan)),
                quantity=int(qty),  # type: ignore[call-overload]
                timing="now_prorated" if now else "period_end",
                proration_date=processor.now(),
                idempotency_key=f"c{n}",
            )
        except InvalidRequest as exc:
            assert exc.code == "no_change"
    for inv in processor.snapshot(CustomerId("cus_p")).invoices:
        assert inv.subtotal.minor == sum(line.amount.minor for line in inv.lines)
        assert inv.total == inv.subtotal + inv.tax
        if country == "US" or country == "DE":
            assert inv.tax.is_zero


# -- proration: credit + charge = price difference over the remaining time, ±1 minor unit per line --


@SETTINGS
@given(
    old_amount=st.integers(0, 10_000_000),
    new_amount=st.integers(0, 10_000_000),
    old_qty=st.integers(1, 500),
    new_qty=st.integers(1, 500),
    start_offset=st.integers(0, 4 * 365 * 86400),
    yearly=st.booleans(),
    fraction=st.fractions(0, 1),
)
def test_proration_matches_the_exact_difference(
    old_amount: int, new_amount: int, old_qty: int, new_qty: int, start_offset: int, yearly: bool, fraction: Fraction
) -> None:
    interval = Interval.YEAR if yearly else Interval.MONTH
    old = Plan(PlanId("o"), "Old", Money(old_amount, "usd"), interval)
    new = Plan(PlanId("n"), "New", Money(new_amount, "usd"), interval)
    start = T0 + timedelta(seconds=start_offset)
    end = add_months(start, 12 if yearly else 1)
    period = int((end - start).total_seconds())
    date = start + timedelta(seconds=int(period * fraction))
    result = prorate(
        old_plan=old,
        old_quantity=old_qty,
        new_plan=new,
        new_quantity=new_qty,
        period_start=start,
        period_end=end,
        proration_date=date,
    )
    remaining = int((end - date).total_seconds())
    exact = Fraction((new_amount * new_qty - old_amount * old_qty) * remaining, period)
    assert abs(result.total - exact) <= 1
    for line, price in zip(result.lines, (-old_amount * old_qty, new_amount * new_qty), strict=True):
        assert abs(line.amount.minor - Fraction(price * remaining, period)) <= Fraction(1, 2)


# -- clock advances never skip or repeat a renewal ----------------------------------------------------


@SETTINGS
@given(
    day=st.integers(1, 31),
    month=st.integers(1, 12),
    hour=st.integers(0, 23),
    yearly=st.booleans(),
    steps=st.lists(st.integers(1, 24 * 45), min_size=1, max_size=12),
)
def test_advances_never_skip_or_repeat_a_renewal(
    day: int, month: int, hour: int, yearly: bool, steps: list[int]
) -> None:
    import calendar

    year = 2027
    start = datetime(year, month, min(day, calendar.monthrange(year, month)[1]), hour, tzinfo=UTC)
    processor = fresh(start=start, plan="pro-y" if yearly else "pro")
    for hours in steps:
        processor.advance_clock(processor.now() + timedelta(hours=hours))
    end = processor.now()
    step = 12 if yearly else 1
    boundaries = []
    k = 1
    while add_months(start, k * step) <= end:
        boundaries.append(add_months(start, k * step))
        k += 1
    invoices = sorted(processor.snapshot(CustomerId("cus_p")).invoices, key=lambda i: i.created)
    assert [inv.created for inv in invoices] == boundaries
    for k, inv in enumerate(invoices, start=1):
        assert inv.lines[0].period_start == add_months(start, k * step)
        assert inv.lines[0].period_end == add_months(start, (k + 1) * step)
    sub = processor.snapshot(CustomerId("cus_p")).subscription
    assert sub is not None and sub.current_period_start <= end < sub.current_period_end
