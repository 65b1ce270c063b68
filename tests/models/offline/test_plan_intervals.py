"""Plan names with interval words: "Business Annual", "Pro yearly", "monthly Pro", "the annual plan".

The catalogue may name yearly plans "Pro" or "Pro Annual"; either way the customer's words
resolve to one plan (name + interval) without asking "which plan?".
"""

from __future__ import annotations

from typing import Any

import pytest
from offline_fakes import Backend, Chat, account


def _catalogue(annual_names: bool, current: str) -> dict[str, Any]:
    data = account()
    yearly_pro = data["plans"][4]
    business = {"id": "business-yearly", "name": "Business", "amount": "500.00", "currency": "usd",
                "interval": "year", "per_seat": False}  # fmt: skip
    if annual_names:
        yearly_pro["name"] = "Pro Annual"
        business["name"] = "Business Annual"
    data["plans"].append(business)
    data["subscription"]["plan"] = next(p for p in data["plans"] if p["id"] == current)
    return data


@pytest.mark.parametrize("annual_names", [False, True])
@pytest.mark.parametrize(
    ("current", "message", "target"),
    [
        ("pro-yearly", "Could you bump my yearly Pro up to Business annual?", "business-yearly"),
        ("pro-yearly", "switch us from Pro yearly over to Business yearly", "business-yearly"),
        ("pro-yearly", "i'd prefer going back to monthly Pro", "pro-monthly"),
        ("pro-monthly", "move me onto the annual plan please", "pro-yearly"),
        ("pro-monthly", "put us on Business Annual", "business-yearly"),
        ("pro-monthly", "I'd like Pro yearly", "pro-yearly"),
        ("business-yearly", "at renewal we want Pro Annual rather than Business Annual", "pro-yearly"),
    ],
)
def test_plan_name_with_interval_resolves(annual_names: bool, current: str, message: str, target: str) -> None:
    chat = Chat(Backend(account_data=_catalogue(annual_names, current)))
    chat.say(message)
    assert chat.backend.writes() == [("change_plan", {"plan": target})], message
