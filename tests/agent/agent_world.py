"""The runtime tests' world and settings: two customers, models on fake servers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from purser.config import ModelEntry, RoutingRules, Settings
from purser.testing.llm_server import LLMServer

NOW = datetime.fromisoformat("2026-11-16T00:00:00+00:00")


def _customer(cid: str, *, duplicate: bool = False, plan: str = "pro-monthly", amount: str = "20.00") -> dict[str, Any]:
    charges = [{"id": f"ch_{cid}_11", "invoice": f"in_{cid}_11", "amount": amount, "created": "2026-11-01T00:00:05Z"}]
    if duplicate:
        charges.append(
            {"id": f"ch_{cid}_11b", "invoice": f"in_{cid}_11", "amount": amount, "created": "2026-11-01T00:02:10Z"}
        )
    return {
        "id": f"cus_{cid}",
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
            "quantity": 1,
            "status": "active",
            "created": "2026-06-01T00:00:00Z",
            "current_period_start": "2026-11-01T00:00:00Z",
            "cancel_at_period_end": False,
        },
        "invoices": [
            {
                "id": f"in_{cid}_11",
                "number": f"PUR-{cid.upper()}",
                "created": "2026-11-01T00:00:00Z",
                "amount": amount,
                "status": "paid",
            }
        ],
        "charges": charges,
        "refunds": [],
    }


WORLD = {
    "currency": "usd",
    "plans": [
        {"id": "pro-monthly", "name": "Pro", "amount": "20.00", "interval": "month"},
        {"id": "business-monthly", "name": "Business", "amount": "300.00", "interval": "month"},
    ],
    "customers": [_customer("ana", duplicate=True), _customer("bob")],
}


def llm_settings(cheap: LLMServer, strong: LLMServer | None = None, **overrides: Any) -> Settings:
    """Settings with a cheap model (and optionally a strong one) on the fake servers."""
    entries = [_entry("cheap", cheap, "gemini-2.0-flash" if cheap.flavor == "google" else "gpt-4o-mini", "cheap")]
    if strong is not None:
        model = {"openai": "gpt-4o", "anthropic": "claude-3-5-haiku-latest", "google": "gemini-2.5-pro"}
        entries.append(_entry("strong", strong, model[strong.flavor], "strong"))
    values: dict[str, Any] = {"model": "cheap", "models": tuple(entries), "routing": RoutingRules()}
    values.update(overrides)
    return Settings(**values)


def _entry(name: str, fake: LLMServer, model: str, tier: str) -> ModelEntry:
    return ModelEntry(
        name=name,
        provider=fake.flavor,  # type: ignore[arg-type]
        model=model,
        base_url=fake.base_url,
        api_key_env=None,
        timeout_seconds=5,
        tier=tier,  # type: ignore[arg-type]
    )
