"""Property-based tests: amounts in a world parse exactly, in the right currency, or are refused by key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from purser.money import Money, currency_exponent
from purser.worlds import WorldError, parse_world

CURRENCIES = ["usd", "eur", "jpy", "kwd", "gbp"]


def world_with(plan_amount: Any, currency: str, *, override: str | None = None) -> dict[str, Any]:
    plan: dict[str, Any] = {"id": "p", "name": "P", "amount": plan_amount, "interval": "month"}
    if override:
        plan["currency"] = override
    return {"currency": currency, "plans": [plan], "customers": []}


@settings(max_examples=150, deadline=None)
@given(currency=st.sampled_from(CURRENCIES), minor=st.integers(min_value=0, max_value=10**12))
def test_exact_decimal_strings_round_trip(currency: str, minor: int) -> None:
    text = Money(minor, currency).amount_str()
    world = parse_world(world_with(text, currency), source="p.yaml")
    assert world.plans[0].amount == Money(minor, currency)
    assert world.model_dump(mode="json")["plans"][0]["amount"] == text


@settings(max_examples=100, deadline=None)
@given(
    default=st.sampled_from(CURRENCIES),
    override=st.sampled_from(CURRENCIES),
    minor=st.integers(min_value=0, max_value=10**9),
)
def test_per_object_currency_overrides_the_default(default: str, override: str, minor: int) -> None:
    text = Money(minor, override).amount_str()
    world = parse_world(world_with(text, default, override=override.upper()), source="p.yaml")
    assert world.plans[0].amount == Money(minor, override)


@settings(max_examples=100, deadline=None)
@given(currency=st.sampled_from(CURRENCIES), minor=st.integers(min_value=0, max_value=10**9), extra=st.integers(1, 9))
def test_one_decimal_too_many_is_refused_naming_the_key(currency: str, minor: int, extra: int) -> None:
    exp = currency_exponent(currency)
    text = format(Decimal(minor).scaleb(-exp) + Decimal(extra).scaleb(-exp - 1), "f")
    try:
        parse_world(world_with(text, currency), source="p.yaml")
    except WorldError as exc:
        assert str(exc).startswith("p.yaml: world.plans[0].amount: expected a decimal amount in")
        assert currency.upper() in str(exc)
    else:  # pragma: no cover - the property says this never happens
        raise AssertionError(f"{text} accepted for {currency}")


@settings(max_examples=100, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.text(alphabet="abc-e+ x,", min_size=1, max_size=6),
    )
)
def test_non_decimal_values_are_refused(value: Any) -> None:
    try:
        parse_world(world_with(value, "usd"), source="p.yaml")
    except WorldError as exc:
        assert "world.plans[0].amount:" in str(exc)
    else:
        # Only text that happens to be a plain decimal number may pass.
        assert isinstance(value, str) and Money.parse(value, "usd") is not None


@settings(max_examples=60, deadline=None)
@given(charge=st.integers(1, 10**6), refunds=st.lists(st.integers(1, 10**5), min_size=1, max_size=4))
def test_refunds_never_exceed_the_charge(charge: int, refunds: list[int]) -> None:
    c = Money(charge, "usd")
    data: dict[str, Any] = {
        "customers": [
            {
                "id": "c",
                "name": "C",
                "email": "c@example.com",
                "charges": [{"id": "ch", "amount": c.amount_str(), "created": "2026-01-01T00:00:00Z"}],
                "refunds": [
                    {"id": f"re{i}", "charge": "ch", "amount": Money(r, "usd").amount_str(), "created": "2026-01-02"}
                    for i, r in enumerate(refunds)
                ],
            }
        ]
    }
    try:
        parse_world(data, source="r.yaml")
    except WorldError as exc:
        assert sum(refunds) > charge
        assert "refunds of charge 'ch' add up to" in str(exc)
    else:
        assert sum(refunds) <= charge
