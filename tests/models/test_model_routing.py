"""Routing rules: money at stake, confidence, failures, customer tier."""

from __future__ import annotations

from decimal import Decimal

from purser.config import RoutingRules
from purser.models.routing import RoutingSignals, amounts_in_text, choose_tier, confidence_from_reply, largest

RULES = RoutingRules()


def test_cheap_by_default() -> None:
    assert choose_tier(RULES, RoutingSignals()).tier == "cheap"
    assert choose_tier(RULES, RoutingSignals(money_at_stake=Decimal("100.00"))).tier == "cheap"


def test_each_rule_goes_strong() -> None:
    assert choose_tier(RULES, RoutingSignals(money_at_stake=Decimal("100.01"))).reasons == ("money_at_stake>100.00",)
    assert choose_tier(RULES, RoutingSignals(confidence=40)).tier == "strong"
    assert choose_tier(RULES, RoutingSignals(consecutive_failures=2)).tier == "strong"
    assert choose_tier(RULES, RoutingSignals(customer_tier="enterprise")).tier == "strong"
    route = choose_tier(
        RoutingRules(money_at_stake_above="10.00", strong_tiers=()),
        RoutingSignals(money_at_stake=Decimal("20"), customer_tier="enterprise"),
    )
    assert route.reasons == ("money_at_stake>10.00",)


def test_amounts_in_text() -> None:
    assert amounts_in_text("refund $250.00 and €1,200.50 please") == [Decimal("250.00"), Decimal("1200.50")]
    assert amounts_in_text("charged 99 on 2026-11-01 at 10:30, invoice PUR-0006") == [Decimal("99")]
    assert amounts_in_text("back in 2025 I paid $2025") == [Decimal("2025")]
    assert largest([None, Decimal("3"), Decimal("7")]) == Decimal("7") and largest([None]) is None


def test_confidence_from_hedges() -> None:
    assert confidence_from_reply("I'm not sure which charge you mean.") == 40
    assert confidence_from_reply("Your plan is Pro.") is None
