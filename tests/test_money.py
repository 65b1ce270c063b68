"""Money: exact parsing, arithmetic that refuses mixed currencies, formatting, and no float in src/."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from purser.money import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    _normalize_slow,
    currency_exponent,
    normalize_currency,
    sum_money,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "purser"


@pytest.mark.parametrize(
    ("currency", "exponent"), [("usd", 2), ("eur", 2), ("gbp", 2), ("jpy", 0), ("kwd", 3), ("USD", 2)]
)
def test_exponents_come_from_babel(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("20.00", "usd", 2000),
        ("20", "usd", 2000),
        ("0.5", "eur", 50),
        ("1500", "jpy", 1500),
        ("1.250", "kwd", 1250),
        ("-3.10", "gbp", -310),
        ("1,234.56", "usd", 123456),
    ],
)
def test_parse(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("value", "currency", "fragment"),
    [
        ("20.001", "usd", "more than 2 decimal places"),
        ("1500.5", "jpy", "more than 0 decimal places"),
        ("abc", "usd", "not a decimal number"),
        ("", "usd", "not a decimal number"),
        ("1e3", "usd", "not a decimal number"),
        ("20.00", "xyz", "unknown currency"),
    ],
)
def test_parse_rejects_with_a_clear_message(value: str, currency: str, fragment: str) -> None:
    with pytest.raises(InvalidAmount, match=fragment):
        Money.parse(value, currency)


def test_float_is_refused() -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(20.0, "usd")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        Money(20.0, "usd")  # type: ignore[arg-type]


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "usd") + Money(100, "eur")
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "usd") < Money(100, "eur")


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(2000, "usd"), "en_US", "$20.00"),
        (Money(1500, "jpy"), "en_US", "¥1,500"),
        (Money(1050, "eur"), "de_DE", "10,50\xa0€"),
        (Money(1250, "kwd"), "en_US", "KWD1.250"),
    ],
)
def test_format_is_locale_aware(money: Money, locale: str, expected: str) -> None:
    assert money.format(locale) == expected


def test_amount_str() -> None:
    assert Money(-5, "usd").amount_str() == "-0.05"
    assert Money(1500, "jpy").amount_str() == "1500"
    assert Money(7, "kwd").amount_str() == "0.007"


currencies = st.sampled_from(["usd", "eur", "gbp", "jpy", "kwd"])


@given(st.integers(min_value=-(10**15), max_value=10**15), currencies)
def test_amount_str_round_trips(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.parse(money.amount_str(), currency) == money
    assert money.to_decimal() == Decimal(money.amount_str())


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), max_size=30), currencies)
def test_sum_is_exact(values: list[int], currency: str) -> None:
    total = sum_money([Money(v, currency) for v in values], currency)
    assert total.minor == sum(values)
    assert (total - total).is_zero


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**4))
def test_times_is_integer_multiplication(minor: int, quantity: int) -> None:
    assert Money(minor, "usd").times(quantity).minor == minor * quantity


@pytest.mark.parametrize("variant", [str.lower, str.upper, str.title, lambda c: f" {c} "])
def test_fast_path_agrees_with_the_full_check_for_every_babel_code(variant: object) -> None:
    # Twice each: the first call fills the fast path's table, the second is served from it.
    for iso in sorted(list_currencies()):
        text = variant(iso)  # type: ignore[operator]
        expected = _normalize_slow(text)
        assert expected == iso.lower()
        assert normalize_currency(text) == expected
        assert normalize_currency(text) == expected
        assert Money(1, text).currency == expected


@given(st.text(max_size=5))
def test_fast_path_never_admits_what_the_full_check_refuses(text: str) -> None:
    try:
        expected: str | None = _normalize_slow(text)
    except InvalidAmount:
        expected = None
    for _ in range(2):
        if expected is None:
            with pytest.raises(InvalidAmount):
                normalize_currency(text)
        else:
            assert normalize_currency(text) == expected


@pytest.mark.parametrize("bad", [None, 840, b"usd", ["usd"], "us", "usdd", "xyz1", ""])
def test_non_codes_are_refused_after_warm_up(bad: object) -> None:
    normalize_currency("usd")
    with pytest.raises(InvalidAmount):
        normalize_currency(bad)  # type: ignore[arg-type]


def _float_uses(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    # A line may carry `# float-ok: <why>` when its float is not money (seconds, millimetres).
    exempt = {n for n, line in enumerate(source.splitlines(), start=1) if "# float-ok:" in line}
    found = []
    # `isinstance(x, float)` is how code *refuses* floats; that use is allowed.
    refusals = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"
        for arg in ast.walk(node.args[1])
    }
    # A function parameter typed `float` (a `time.perf_counter()` start handed down) computes nothing;
    # float literals, `float()` calls and float-typed fields or variables are still caught.
    parameters = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.arg) and node.annotation is not None
        for inner in ast.walk(node.annotation)
    }
    for node in ast.walk(tree):
        if id(node) in refusals or id(node) in parameters or getattr(node, "lineno", 0) in exempt:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: float literal {node.value!r}")
        if isinstance(node, ast.Name) and node.id == "float":
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: float()")
    return found


# Layers whose floats are not money: timings, rate limits, plots, retrieval scores and probabilities.
# Money paths (money, domain, processors, actions, policy, audit, the gym's judge) are scanned line by line.
_NOT_MONEY = (
    "gym/report",
    "gym/runner",
    "gym/suite",
    "knowledge/",
    "models/offline/",
    "models/providers",
    "models/routing",
    "web/",
    "agent/live",
    "agent/timing",
    "testing/llm_",  # the fake LLM server's delays and pacing are seconds
)


def test_no_float_on_money_paths() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        if rel.startswith(_NOT_MONEY):
            continue
        offenders.extend(_float_uses(path))
    assert offenders == [], "float on a money path:\n" + "\n".join(offenders)
