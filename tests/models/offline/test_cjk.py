"""CJK dates and amounts as slot values, and messages in another script with an English gloss."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.classifier import generalize
from purser.models.offline.dates import parse_dates
from purser.models.offline.normalize import normalize
from purser.models.offline.numbers import AmountSlot, parse_amounts

NOW = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("9月1日の請求", date(2026, 9, 1), date(2026, 9, 1)),
        ("2025年12月24日", date(2025, 12, 24), date(2025, 12, 24)),
        ("11月の領収書", date(2026, 11, 1), date(2026, 11, 30)),
        ("10월 3일 결제", date(2026, 10, 3), date(2026, 10, 3)),
        ("2026/08/01", date(2026, 8, 1), date(2026, 8, 1)),
    ],
)
def test_cjk_dates(text: str, start: date, end: date) -> None:
    spans = parse_dates(normalize(text), NOW)
    assert [(s.start, s.end) for s in spans] == [(start, end)]


def test_a_duration_in_months_is_no_date() -> None:
    assert parse_dates(normalize("3ヶ月"), NOW) == ()


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("￥3,000の返金", AmountSlot(Decimal("3000"), "jpy")),
        ("3000円", AmountSlot(Decimal("3000"), "jpy")),
        ("1万2千円", AmountSlot(Decimal("12000"), "jpy")),
        ("2万円", AmountSlot(Decimal("20000"), "jpy")),
        ("5000元", AmountSlot(Decimal("5000"), "cny")),
        ("15000원", AmountSlot(Decimal("15000"), "krw")),
    ],
)
def test_cjk_amounts(text: str, amount: AmountSlot) -> None:
    assert parse_amounts(normalize(text)) == [amount]


def test_the_classifier_reads_the_latin_gloss() -> None:
    text = normalize("先月の請求書を送ってください (please send last month's invoice)")
    assert generalize(text) == "( please send last month s invoice )"
    assert generalize(normalize("Pro を Business に変更 (change Pro to Business)")).endswith(
        "( change planname to planname )"
    )


def _jpy_account() -> Backend:
    data = account()
    for item in (*data["charges"], *data["invoices"]):
        item["currency"] = "jpy"
        for key in ("amount", "total", "refundable"):
            if key in item:
                item[key] = "2400"
    return Backend(account_data=data)


@pytest.mark.parametrize(
    "message",
    [
        "9月1日の¥2,400の領収書をください。(a receipt for my 2,400 yen payment on 1 September, please)",
        "領収書 — 2400円, 9月1日 (receipt for the payment on September 1st)",
    ],
)
def test_receipt_request_with_an_english_gloss(message: str) -> None:
    chat = Chat(_jpy_account())
    chat.say(message)
    assert chat.backend.writes() == [("send_invoice", {"invoice": "in_09", "kind": "receipt"})]
