"""A world amount too large for the store (`99999999999999999999.00`) is refused by `purser sandbox load`
with the file, the key and the limit, never a traceback, and nothing is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from purser.money import Money
from purser.worlds._types import MAX_AMOUNT_MINOR

SCENARIO = """\
now: "2026-11-16T00:00:00Z"
world:
  currency: {currency}
  plans:
    - {{id: basic, name: Basic, amount: "10", interval: month}}
  customers:
    - id: cus_x
      name: X
      email: x@example.com
      address: {{line1: "1 Main", city: Town, postal_code: "12345", country: US}}
      payment_methods:
        - {{id: pm_x, brand: visa, last4: "4242", exp: "2028-04", behavior: succeeds, default: yes}}
      invoices:
        - {{id: in_x, number: X-1, created: "2026-11-01T00:00:00Z", amount: "{amount}", status: paid}}
      charges:
        - {{id: ch_x, invoice: in_x, amount: "{amount}", created: "2026-11-01T00:00:05Z"}}
"""


@pytest.mark.parametrize(("currency", "amount"), [("usd", "99999999999999999999.00"), ("jpy", "10000000000000001")])
def test_an_amount_beyond_the_limit_is_refused_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, currency: str, amount: str
) -> None:
    from purser.cli import app

    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "big.yaml"
    scenario.write_text(SCENARIO.format(currency=currency, amount=amount), encoding="utf-8")
    result = CliRunner().invoke(app, ["sandbox", "load", str(scenario), "--database-url", f"sqlite:///{tmp_path}/w.db"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit | None)
    assert "Traceback" not in result.output
    most = Money(MAX_AMOUNT_MINOR, currency).amount_str()
    assert f"world.customers[0].invoices[0].amount: amount '{amount}' is too large: at most {most}" in result.output


def test_the_largest_amount_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "edge.yaml"
    amount = Money(MAX_AMOUNT_MINOR, "usd").amount_str()
    scenario.write_text(SCENARIO.format(currency="usd", amount=amount), encoding="utf-8")
    result = CliRunner().invoke(app, ["sandbox", "load", str(scenario), "--database-url", f"sqlite:///{tmp_path}/w.db"])
    assert result.exit_code == 0, result.output
