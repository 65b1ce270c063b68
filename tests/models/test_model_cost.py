"""Cost: genai-prices' offline data, our own table, unknown models, folding usage rows — all Decimal."""

from __future__ import annotations

from decimal import Decimal

from purser.models.cost import OWN_PRICES, TokenCounts, decimal_str, price_tokens, summarize


def test_genai_prices_by_provider_and_by_url() -> None:
    usage = TokenCounts(input_tokens=1000, output_tokens=500)
    cost, priced = price_tokens(usage, "gpt-4o-mini", provider="openai", base_url="http://127.0.0.1:9/v1")
    assert priced and cost == Decimal("0.00045")
    cost, priced = price_tokens(usage, "deepseek-chat", base_url="https://api.deepseek.com/v1")
    assert priced and isinstance(cost, Decimal) and cost > 0


def test_own_table_for_models_genai_prices_lacks() -> None:
    usage = TokenCounts(input_tokens=1_000_000, output_tokens=1_000_000)
    cost, priced = price_tokens(
        usage, "qwen-plus", provider="openai", base_url="https://dashscope-intl.aliyuncs.com/v1"
    )
    assert priced and cost == OWN_PRICES["qwen-plus"].input + OWN_PRICES["qwen-plus"].output


def test_unknown_and_local_models_cost_zero_unpriced() -> None:
    cost, priced = price_tokens(
        TokenCounts(input_tokens=10, output_tokens=10),
        "llama3.1:8b",
        provider="openai",
        base_url="http://localhost:11434/v1",
    )
    assert (cost, priced) == (Decimal(0), False)
    assert price_tokens(TokenCounts(), "anything") == (Decimal(0), True)


def test_decimal_strings() -> None:
    assert decimal_str(Decimal("0")) == "0"
    assert decimal_str(Decimal("0.000450")) == "0.00045"
    assert decimal_str(Decimal("1E-7")) == "0.0000001"
    assert decimal_str(Decimal("12.50")) == "12.5"


def test_summarize_per_model_and_turn() -> None:
    rows = [
        {"model": "cheap", "turn": 1, "requests": 2, "input_tokens": 100, "output_tokens": 10, "cost_usd": "0.0001"},
        {
            "model": "strong",
            "turn": 2,
            "requests": 1,
            "input_tokens": 50,
            "output_tokens": 5,
            "cost_usd": "0.002",
            "priced": True,
        },
        {
            "model": "cheap",
            "turn": 2,
            "requests": 1,
            "input_tokens": 10,
            "output_tokens": 1,
            "cost_usd": "0.0002",
            "priced": False,
        },
    ]
    usage = summarize(rows)
    assert (usage.requests, usage.input_tokens, usage.output_tokens, usage.turns) == (4, 160, 16, 2)
    assert usage.cost_usd == "0.0023" and usage.total_tokens == 176
    assert usage.per_model["cheap"].cost_usd == "0.0003" and not usage.per_model["cheap"].priced
    assert usage.to_json()["per_model"]["strong"]["total_tokens"] == 55
    assert summarize([]).cost_usd == "0"
