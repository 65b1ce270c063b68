"""The strict world schema: every example loads, every kind of mistake is named by file, key and expectation."""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from purser.money import Money
from purser.worlds import World, WorldError, describe_errors, load_scenario_world, parse_world

EXAMPLES = sorted(Path(os.environ["PURSER_SHARED"]).joinpath("gym", "examples").glob("*.yaml"))


def base_world() -> dict[str, Any]:
    return {
        "currency": "usd",
        "plans": [
            {"id": "pro-monthly", "name": "Pro", "amount": "20.00", "interval": "month"},
            {"id": "team-monthly", "name": "Team", "amount": "12.00", "interval": "month", "per_seat": "yes"},
            {"id": "jp", "name": "JP", "amount": "1500", "interval": "year", "currency": "JPY"},
        ],
        "customers": [
            {
                "id": "cus_ana",
                "name": "Ana Silva",
                "email": "ana@example.com",
                "address": {"line1": "Rua Augusta 1", "city": "Lisboa", "postal_code": "1100-048", "country": "pt"},
                "vat_id": None,
                "payment_methods": [
                    {
                        "id": "pm_1",
                        "brand": "visa",
                        "last4": "4242",
                        "exp": "2028-04",
                        "behavior": "succeeds",
                        "default": True,
                    }
                ],
                "subscription": {
                    "id": "sub_ana",
                    "plan": "pro-monthly",
                    "quantity": 1,
                    "status": "active",
                    "created": "2026-06-01T00:00:00Z",
                    "current_period_start": "2026-11-01T00:00:00Z",
                    "cancel_at_period_end": False,
                },
                "invoices": [
                    {
                        "id": "in_1",
                        "number": "ANA-1",
                        "created": "2026-11-01T00:00:00Z",
                        "amount": "20.00",
                        "status": "paid",
                    }
                ],
                "charges": [
                    {"id": "ch_1", "invoice": "in_1", "amount": "20.00", "created": "2026-11-01T00:00:05Z"},
                    {"id": "ch_2", "invoice": "in_1", "amount": "20.00", "created": "2026-11-01T00:02:10Z"},
                ],
                "refunds": [{"id": "re_1", "charge": "ch_2", "amount": "5.00", "created": "2026-11-02T00:00:00Z"}],
            }
        ],
    }


def errors_of(data: Any) -> str:
    with pytest.raises(WorldError) as info:
        parse_world(data, source="w.yaml")
    return str(info.value)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    world, now = load_scenario_world(path)
    assert now == datetime(2026, 11, 16, tzinfo=UTC)
    assert world.customers and world.plans
    for customer in world.customers:
        for charge in customer.charges:
            assert charge.amount.currency == "usd"


def test_valid_world_parses_into_money_and_utc() -> None:
    world = parse_world(base_world(), source="w.yaml")
    assert world.plan("pro-monthly").amount == Money(2000, "usd")
    assert world.plan("team-monthly").per_seat is True
    assert world.plan("jp").amount == Money(1500, "jpy")
    ana = world.customer("cus_ana")
    assert ana.address is not None and ana.address.country == "PT"
    assert ana.refunds[0].amount == Money(500, "usd")
    assert ana.subscription is not None and ana.subscription.created.tzinfo is UTC
    assert ana.payment_methods[0].exp_year == 2028 and ana.payment_methods[0].exp_month == 4
    assert world.model_dump(mode="json")["plans"][0]["amount"] == "20.00"


def test_world_is_embeddable_in_a_larger_model() -> None:
    class Scenario(BaseModel):
        id: str
        world: World

    scenario = Scenario.model_validate({"id": "x", "world": base_world()})
    assert scenario.world.customers[0].id == "cus_ana"
    bad = base_world()
    bad["customers"][0]["charges"][0]["invoice"] = "in_nope"
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate({"id": "x", "world": bad})
    lines = describe_errors(info.value, prefix="", model=Scenario)
    assert lines == ["world.customers[0].charges[0].invoice: expected one of this customer's invoices, got 'in_nope'"]


def test_currency_inheritance_charge_from_invoice_and_refund_from_charge() -> None:
    data = base_world()
    cus = data["customers"][0]
    cus["subscription"] = None
    cus["invoices"] = [
        {"id": "in_j", "number": "J-1", "created": "2026-11-01", "amount": "1500", "status": "paid", "currency": "jpy"}
    ]
    cus["charges"] = [{"id": "ch_j", "invoice": "in_j", "amount": "1500", "created": "2026-11-01"}]
    cus["refunds"] = [{"id": "re_j", "charge": "ch_j", "amount": "500", "created": "2026-11-02"}]
    world = parse_world(data, source="w.yaml")
    c = world.customers[0]
    assert c.charges[0].amount == Money(1500, "jpy")
    assert c.refunds[0].amount == Money(500, "jpy")


CASES: list[tuple[str, Any, str]] = [
    (
        "unknown key",
        ("customers", 0, "charges", 1, "colour", "red"),
        "world.customers[0].charges[1].colour: unknown key",
    ),
    ("float amount", ("plans", 0, "amount", 20.0), "world.plans[0].amount: expected a decimal string"),
    ("too many decimals", ("customers", 0, "charges", 1, "amount", "20.005"), "world.customers[0].charges[1].amount"),
    ("jpy decimals", ("plans", 2, "amount", "1500.50"), "world.plans[2].amount: expected a decimal amount in JPY"),
    ("negative", ("plans", 0, "amount", "-1.00"), "world.plans[0].amount: expected a non-negative amount"),
    ("bad interval", ("plans", 0, "interval", "week"), "world.plans[0].interval: expected 'month' or 'year'"),
    ("bad currency", ("currency", "usdx"), "world.currency: unknown currency"),
    ("bad yes/no", ("plans", 1, "per_seat", "maybe"), "world.plans[1].per_seat: expected yes or no"),
    (
        "bad exp",
        ("customers", 0, "payment_methods", 0, "exp", "2028-4"),
        "payment_methods[0].exp: expected a card expiry",
    ),
    ("bad behavior", ("customers", 0, "payment_methods", 0, "behavior", "explodes"), "behavior: expected 'succeeds'"),
    ("bad status", ("customers", 0, "subscription", "status", "frozen"), "world.customers[0].subscription.status"),
    ("bad invoice status", ("customers", 0, "invoices", 0, "status", "draft"), "invoices[0].status: expected 'paid'"),
    (
        "bad time",
        ("customers", 0, "charges", 0, "created", "yesterday"),
        "charges[0].created: expected an ISO 8601 time",
    ),
    ("bad vat", ("customers", 0, "vat_id", "DE123"), "world.customers[0].vat_id: expected a valid EU VAT number"),
    ("bad country", ("customers", 0, "address", "country", "XX"), "address.country: expected a two-letter ISO 3166"),
    ("bad email", ("customers", 0, "email", "nobody"), "world.customers[0].email: expected an email address"),
    (
        "int last4",
        ("customers", 0, "payment_methods", 0, "last4", 4242),
        "last4: expected four digits as a quoted string",
    ),
    (
        "unknown plan",
        ("customers", 0, "subscription", "plan", "gold"),
        "subscription.plan: expected one of the world's plans",
    ),
    (
        "bad quantity",
        ("customers", 0, "subscription", "quantity", 0),
        "subscription.quantity: expected greater than or equal to 1",
    ),
    (
        "unknown invoice",
        ("customers", 0, "charges", 0, "invoice", "in_x"),
        "charges[0].invoice: expected one of this customer's",
    ),
    (
        "unknown charge",
        ("customers", 0, "refunds", 0, "charge", "ch_x"),
        "refunds[0].charge: expected one of this customer's",
    ),
    (
        "over-refund",
        ("customers", 0, "refunds", 0, "amount", "25.00"),
        "refunds[0].amount: refunds of charge 'ch_2' add up",
    ),
    (
        "paused without resumes_at",
        ("customers", 0, "subscription", "status", "paused"),
        "subscription.resumes_at: required",
    ),
    ("world not a mapping", None, "world: expected a mapping"),
]


def _apply(data: dict[str, Any], change: Any) -> Any:
    if change is None:
        return ["not", "a", "mapping"]
    *path, key, value = change
    target: Any = data
    for part in path:
        target = target[part]
    target[key] = value
    return data


@pytest.mark.parametrize(("kind", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_mistake_names_file_key_and_expectation(kind: str, change: Any, expected: str) -> None:
    message = errors_of(_apply(copy.deepcopy(base_world()), change))
    assert message.startswith("w.yaml: "), message
    assert expected in message, message


def test_missing_key_and_allowed_keys_listed() -> None:
    data = base_world()
    del data["customers"][0]["invoices"][0]["number"]
    assert "world.customers[0].invoices[0].number: missing required key" in errors_of(data)
    data = base_world()
    data["plans"][0]["price"] = "1"
    assert "expected one of: id, name, currency, amount, interval, per_seat" in errors_of(data)


def test_paid_invoice_needs_a_charge_and_ids_are_unique() -> None:
    data = base_world()
    data["customers"][0]["charges"] = []
    data["customers"][0]["refunds"] = []
    assert "world.customers[0].invoices[0].status: a paid invoice needs at least one charge" in errors_of(data)
    data = base_world()
    data["customers"][0]["charges"][1]["id"] = "ch_1"
    data["customers"][0]["refunds"] = []
    assert "world.customers[0].charges[1].id: duplicate id 'ch_1'" in errors_of(data)
    data = base_world()
    twin = copy.deepcopy(data["customers"][0])
    twin["id"] = "cus_bob"
    data["customers"].append(twin)
    message = errors_of(data)
    assert "world.customers[1].charges[0].id: 'ch_1' is already used by customer 'cus_ana'" in message
    assert "world.customers[1].subscription.id" in message


def test_several_problems_reported_at_once() -> None:
    data = base_world()
    data["plans"][0]["amount"] = 3.5
    data["customers"][0]["email"] = "x"
    assert len(errors_of(data).splitlines()) == 2


def test_paused_subscription_with_resumes_at() -> None:
    data = base_world()
    data["customers"][0]["subscription"].update(status="paused", resumes_at="2027-02-01")
    sub = parse_world(data, source="w.yaml").customers[0].subscription
    assert sub is not None and sub.resumes_at == datetime(2027, 2, 1, tzinfo=UTC)
    data["customers"][0]["subscription"]["status"] = "active"
    assert "resumes_at: only allowed when status is paused" in errors_of(data)


def test_yaml_booleans_bare_and_quoted(tmp_path: Path) -> None:
    text = yaml.safe_dump({"now": "2026-11-16T00:00:00Z", "world": base_world()})
    text = text.replace("per_seat: 'yes'", "per_seat: yes").replace("default: true", "default: 'yes'")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    world, _ = load_scenario_world(path)
    assert world.plans[1].per_seat and world.customers[0].payment_methods[0].default


def test_scenario_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    with pytest.raises(WorldError, match="cannot read the file"):
        load_scenario_world(path)
    path.write_text("world: [unclosed")
    with pytest.raises(WorldError, match="not valid YAML"):
        load_scenario_world(path)
    path.write_text(yaml.safe_dump({"world": base_world()}))
    with pytest.raises(WorldError, match=r"s\.yaml: now: missing required key"):
        load_scenario_world(path)
    path.write_text(yaml.safe_dump({"now": "soon", "world": base_world()}))
    with pytest.raises(WorldError, match=r"now: expected an ISO 8601 time"):
        load_scenario_world(path)
    path.write_text(yaml.safe_dump({"now": "2026-11-01T00:00:00Z", "world": base_world()}))
    with pytest.raises(
        WorldError, match=r"world\.customers\[0\]\.charges\[0\]\.created: expected a time at or before now"
    ):
        load_scenario_world(path)


def test_a_live_subscription_period_must_contain_now(tmp_path: Path) -> None:
    data = base_world()
    data["customers"][0]["subscription"]["current_period_start"] = "2026-10-01T00:00:00Z"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"now": "2026-11-16T00:00:00Z", "world": data}))
    with pytest.raises(
        WorldError, match=r"subscription\.current_period_start: expected the current period to contain now"
    ):
        load_scenario_world(path)
    data["customers"][0]["subscription"].update(status="paused", resumes_at="2027-01-01")
    path.write_text(yaml.safe_dump({"now": "2026-11-16T00:00:00Z", "world": data}))
    assert load_scenario_world(path)[0].customers[0].subscription is not None


def test_scenario_errors_give_the_line_of_the_key(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "now: '2026-11-16T00:00:00Z'\n"
        "world:\n"
        "  plans:\n"
        "    - {id: p, name: P, amount: 20.0, interval: month}\n"
        "  customers:\n"
        "    - id: c\n"
        "      name: C\n"
        "      email: c@example.com\n"
        "      colour: red\n"
        "      invoices: []\n"
    )
    with pytest.raises(WorldError) as info:
        load_scenario_world(path)
    problems = info.value.problems
    assert problems[0].startswith(f"{path}: world.plans[0].amount: expected a decimal string")
    assert problems[0].endswith("(line 4)")
    assert problems[1].startswith(f"{path}: world.customers[0].colour: unknown key")
    assert problems[1].endswith("(line 9)")
    assert info.value.items[1][0] == ("world", "customers", 0, "colour")


def test_json_dump_round_trips() -> None:
    from purser.worlds.seed import demo_world

    world, _ = demo_world()
    dumped = world.model_dump(mode="json")
    assert parse_world(dumped, source="dump") == world
    assert dumped["customers"][0]["subscription"]["created"].endswith("Z")
