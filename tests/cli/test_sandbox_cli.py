"""`purser sandbox load|seed` and `purser customer list|show` on a real SQLite file, through the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from purser.cli import app

EXAMPLES = sorted(Path(os.environ["PURSER_SHARED"]).joinpath("gym", "examples").glob("*.yaml"))
DUPLICATE = next(p for p in EXAMPLES if p.name == "duplicate-charge-refund.yaml")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture
def cli(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.chdir(workdir)  # no purser.yaml of the developer's
    for var in ("PURSER_CONFIG", "PURSER_DATABASE_URL", "PURSER_PROCESSOR", "STRIPE_API_KEY", "PURSER_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)
    url = f"sqlite:///{workdir / 'purser.db'}"
    runner = CliRunner()

    def run(*args: str, db: bool = True) -> Result:
        return runner.invoke(app, [*args, *(["--database-url", url] if db else [])])

    yield run


def show_json(cli: Any, customer: str) -> dict[str, Any]:
    result = cli("customer", "show", customer, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads_and_shows(cli: Any, path: Path) -> None:
    result = cli("sandbox", "load", str(path))
    assert result.exit_code == 0, result.output
    assert "sandbox clock at 2026-11-16T00:00:00Z" in result.stdout
    scenario = yaml.safe_load(path.read_text())
    expected = scenario["world"]["customers"][0]
    data = show_json(cli, scenario["customer"])
    assert data["now"] == "2026-11-16T00:00:00Z"
    assert data["billing"]["email"] == expected["email"]
    assert data["billing"]["vat_id"] == expected["vat_id"]
    assert data["billing"]["address"]["country"] == expected["address"]["country"]
    assert data["subscription"]["plan"]["id"] == expected["subscription"]["plan"]
    assert data["subscription"]["current_period_end"] == "2026-12-01T00:00:00Z"
    assert sorted(c["id"] for c in data["charges"]) == sorted(c["id"] for c in expected["charges"])
    assert {c["id"]: c["amount"] for c in data["charges"]} == {c["id"]: c["amount"] for c in expected["charges"]}
    assert {i["number"] for i in data["invoices"]} == {i["number"] for i in expected["invoices"]}
    assert data["refunds"] == [] and data["emails"] == []
    listed = cli("customer", "list", "--json")
    assert [c["id"] for c in json.loads(listed.stdout)] == [scenario["customer"]]


def test_show_without_json_prints_tables(cli: Any) -> None:
    assert cli("sandbox", "load", str(DUPLICATE)).exit_code == 0
    result = cli("customer", "show", "cus_ana")
    assert result.exit_code == 0, result.output
    for text in ("Ana Silva", "ch_ana_11b", "Invoices", "Charges", "Emails sent", "pro-monthly"):
        assert text in result.stdout
    listed = cli("customer", "list")
    assert listed.exit_code == 0 and "cus_ana" in listed.stdout


def _world(**changes: Any) -> dict[str, Any]:
    scenario: dict[str, Any] = yaml.safe_load(DUPLICATE.read_text())
    customer = scenario["world"]["customers"][0]
    customer["id"] = "cus_new"
    for k in ("payment_methods", "invoices", "charges"):
        for item in customer[k]:
            item["id"] = item["id"].replace("ana", "new")
            if "invoice" in item:
                item["invoice"] = item["invoice"].replace("ana", "new")
    customer["subscription"]["id"] = "sub_new"
    for path, value in changes.items():
        target: Any = scenario
        *parts, last = path.split("/")
        for part in parts:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return scenario


_DELETE = object()

MALFORMED = [
    ("unknown key", {"world/customers/0/charges/1/colour": "red"}, "world.customers[0].charges[1].colour: unknown key"),
    (
        "float amount",
        {"world/customers/0/charges/1/amount": 20.0},
        "world.customers[0].charges[1].amount: expected a decimal string",
    ),
    (
        "too many decimals",
        {"world/plans/0/amount": "10.001"},
        "world.plans[0].amount: expected a decimal amount in USD",
    ),
    (
        "unknown plan",
        {"world/customers/0/subscription/plan": "gold"},
        "world.customers[0].subscription.plan: expected one of",
    ),
    ("unknown invoice", {"world/customers/0/charges/0/invoice": "in_zz"}, "world.customers[0].charges[0].invoice"),
    (
        "bad status",
        {"world/customers/0/subscription/status": "frozen"},
        "world.customers[0].subscription.status: expected",
    ),
    (
        "bad exp",
        {"world/customers/0/payment_methods/0/exp": "04/28"},
        "payment_methods[0].exp: expected a card expiry 'YYYY-MM'",
    ),
    ("bad vat id", {"world/customers/0/vat_id": "FR000"}, "world.customers[0].vat_id: expected a valid EU VAT number"),
    (
        "paused without resumes_at",
        {"world/customers/0/subscription/status": "paused"},
        "subscription.resumes_at: required",
    ),
    (
        "paid invoice without charge",
        {"world/customers/0/charges": []},
        "invoices[0].status: a paid invoice needs at least one charge",
    ),
    ("missing now", {"now": _DELETE}, "now: missing required key"),
    ("future charge", {"now": "2026-10-01T00:00:00Z"}, "created: expected a time at or before now"),
]


@pytest.mark.parametrize(("kind", "changes", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_world_exits_2_naming_file_and_key_and_changes_nothing(
    cli: Any, workdir: Path, kind: str, changes: dict[str, Any], expected: str
) -> None:
    assert cli("sandbox", "load", str(DUPLICATE)).exit_code == 0
    before = show_json(cli, "cus_ana")
    bad = workdir / f"bad-{kind.replace(' ', '-')}.yaml"
    bad.write_text(yaml.safe_dump(_world(**changes)))
    result = cli("sandbox", "load", str(bad))
    assert result.exit_code == 2, result.output
    assert str(bad) in result.stderr
    assert expected in result.stderr, result.stderr
    assert show_json(cli, "cus_ana") == before
    assert [c["id"] for c in json.loads(cli("customer", "list", "--json").stdout)] == ["cus_ana"]


def test_unreadable_and_non_yaml_files(cli: Any, workdir: Path) -> None:
    missing = cli("sandbox", "load", str(workdir / "nope.yaml"))
    assert missing.exit_code == 2 and "nope.yaml: cannot read the file" in missing.stderr
    junk = workdir / "junk.yaml"
    junk.write_text("world: [unclosed\n")
    result = cli("sandbox", "load", str(junk))
    assert result.exit_code == 2 and "junk.yaml: not valid YAML" in result.stderr


def test_seed_loads_the_demo_world(cli: Any) -> None:
    result = cli("sandbox", "seed")
    assert result.exit_code == 0, result.output
    ids = [c["id"] for c in json.loads(cli("customer", "list", "--json").stdout)]
    assert len(ids) >= 10 and {"cus_ana", "cus_kenji", "cus_acme"} <= set(ids)
    kenji = show_json(cli, "cus_kenji")
    assert kenji["charges"][0]["currency"] == "jpy" and kenji["charges"][0]["amount"] == "2000"
    assert show_json(cli, "cus_dana")["disputes"][0]["charge"] == "ch_dana_10"


def test_unknown_customer_and_bad_config(cli: Any, workdir: Path) -> None:
    assert cli("sandbox", "load", str(DUPLICATE)).exit_code == 0
    result = cli("customer", "show", "cus_nobody", "--json")
    assert result.exit_code == 2 and "cus_nobody" in result.stderr
    config = workdir / "bad-config.yaml"
    config.write_text("procesor: sandbox\n")
    result = cli("customer", "list", "--config", str(config))
    assert result.exit_code == 2 and "procesor" in result.stderr


def test_stripe_without_a_key_is_refused(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PURSER_PROCESSOR", "stripe")
    result = cli("customer", "list")
    assert result.exit_code == 2 and "stripe" in result.stderr.lower()
    result = cli("sandbox", "load", str(DUPLICATE))
    assert result.exit_code == 2 and "sandbox only" in result.stderr


def test_every_command_has_help(cli: Any) -> None:
    for args in (
        ["sandbox"],
        ["sandbox", "load"],
        ["sandbox", "seed"],
        ["customer"],
        ["customer", "list"],
        ["customer", "show"],
    ):
        result = cli(*args, "--help", db=False)
        assert result.exit_code == 0 and "Usage" in result.stdout


@pytest.mark.postgres
def test_load_and_show_on_postgresql(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import psycopg

    monkeypatch.chdir(workdir)
    name = f"purser_worlds_cli_{uuid.uuid4().hex[:8]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["sandbox", "seed", "--database-url", url]).exit_code == 0
        loaded = runner.invoke(app, ["sandbox", "load", str(DUPLICATE), "--database-url", url])
        assert loaded.exit_code == 0, loaded.output
        before = runner.invoke(app, ["customer", "show", "cus_ana", "--json", "--database-url", url]).stdout
        assert json.loads(before)["charges"][0]["id"] == "ch_ana_11b"
        bad = workdir / "pg-bad.yaml"
        bad.write_text(yaml.safe_dump(_world(**{"world/plans/0/amount": "1.234"})))
        result = runner.invoke(app, ["sandbox", "load", str(bad), "--database-url", url])
        assert result.exit_code == 2 and "world.plans[0].amount" in result.stderr
        after = runner.invoke(app, ["customer", "show", "cus_ana", "--json", "--database-url", url]).stdout
        assert after == before
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
