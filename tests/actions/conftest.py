"""Gateway test worlds: the real sandbox processor loaded through `purser.worlds`."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from purser.actions.gateway import Gateway, Outcome, Scope
from purser.audit.log import AuditLog
from purser.domain import CustomerId
from purser.policy.schema import Policy
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.worlds import parse_world
from purser.worlds.loader import load_world

NOW = datetime.fromisoformat("2026-11-16T00:00:00+00:00")

PLANS = [
    {"id": "basic-monthly", "name": "Basic", "amount": "10.00", "interval": "month"},
    {"id": "pro-monthly", "name": "Pro", "amount": "20.00", "interval": "month"},
    {"id": "business-monthly", "name": "Business", "amount": "50.00", "interval": "month"},
    {"id": "team-monthly", "name": "Team", "amount": "12.00", "interval": "month", "per_seat": True},
    {"id": "pro-yearly", "name": "Pro", "amount": "200.00", "interval": "year"},
]


def customer(
    cid: str,
    *,
    plan: str = "pro-monthly",
    amount: str = "20.00",
    quantity: int = 1,
    duplicate: bool = False,
    disputed: str | None = None,
    months: int = 6,
) -> dict[str, Any]:
    """A customer paying `amount` monthly since June (one invoice + charge per month)."""
    invoices, charges = [], []
    for i, month in enumerate(range(12 - months, 12), start=1):
        m = month if month <= 11 else 11
        inv = f"in_{cid}_{m:02d}"
        invoices.append(
            {
                "id": inv,
                "number": f"{cid.upper()}-{i:04d}",
                "created": f"2026-{m:02d}-01T00:00:00Z",
                "amount": amount,
                "status": "paid",
            }
        )
        charge = {"id": f"ch_{cid}_{m:02d}", "invoice": inv, "amount": amount, "created": f"2026-{m:02d}-01T00:00:05Z"}
        if disputed == charge["id"]:
            charge["disputed"] = True
        charges.append(charge)
    if duplicate:
        charges.append(
            {"id": f"ch_{cid}_11b", "invoice": f"in_{cid}_11", "amount": amount, "created": "2026-11-01T00:02:10Z"}
        )
    return {
        "id": cid,
        "name": cid.title(),
        "email": f"{cid}@example.com",
        "address": {"line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "vat_id": None,
        "payment_methods": [
            {
                "id": f"pm_{cid}",
                "brand": "visa",
                "last4": "4242",
                "exp": "2028-04",
                "behavior": "succeeds",
                "default": True,
            }
        ],
        "subscription": {
            "id": f"sub_{cid}",
            "plan": plan,
            "quantity": quantity,
            "status": "active",
            "created": "2026-06-01T00:00:00Z",
            "current_period_start": "2026-11-01T00:00:00Z",
            "cancel_at_period_end": False,
        },
        "invoices": invoices,
        "charges": charges,
        "refunds": [],
    }


def world(*customers: dict[str, Any]) -> dict[str, Any]:
    """A world with the standard plans."""
    return {"currency": "usd", "plans": copy.deepcopy(PLANS), "customers": list(customers)}


@dataclass
class Env:
    """A wired gateway over a loaded sandbox."""

    db: Database
    processor: SandboxProcessor
    gateway: Gateway
    audit: AuditLog

    def scope(self, customer_id: str, conversation: str = "conv_1", actor: str = "offline") -> Scope:
        """A conversation scope for `customer_id`."""
        return Scope(conversation, CustomerId(customer_id), "web", actor)

    def propose_confirm(self, scope: Scope, action: str, args: dict[str, Any]) -> tuple[Outcome, Outcome | None]:
        """Propose, and confirm yes when asked."""
        first = self.gateway.propose(scope, action, args)
        if first.status != "needs_confirmation":
            return first, None
        return first, self.gateway.confirm(scope, first.action_id, "yes")


def make_env(
    data: dict[str, Any],
    *,
    url: str = "sqlite://",
    policy: dict[str, Any] | None = None,
    now: datetime = NOW,
    load: bool = True,
) -> Env:
    """Create the tables, load the world, wire the gateway."""
    db = Database(url)
    if load:
        db.create_all()
    processor = SandboxProcessor(db)
    if load:
        load_world(processor, parse_world(data, source="test"), now)
    audit = AuditLog(db)
    gateway = Gateway(db, processor, Policy().merged(policy), audit)
    return Env(db, processor, gateway, audit)


@pytest.fixture()
def spawn_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let spawned processes import `tests.*` (they start a fresh interpreter)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))


@pytest.fixture()
def env() -> Env:
    """Ana (duplicate charge in November), Bob (plain), Tea (Team, 5 seats)."""
    return make_env(
        world(
            customer("ana", duplicate=True),
            customer("bob"),
            customer("tea", plan="team-monthly", amount="60.00", quantity=5),
        )
    )
