"""A complaint asking to put it right is a refund request; an explanation request is not."""

from __future__ import annotations

import pytest

from purser.models.offline.understand import understand


@pytest.mark.parametrize(
    "text",
    [
        "you took the payment twice on the 3rd, fix it",
        "why did you charge me two times?? sort this out please",
        "double charge again this month. I want my money back",
        "this charge is a mistake, please correct it",
    ],
)
def test_complaint_with_a_remedy_asks_for_a_refund(text: str) -> None:
    assert "refund" in [r.intent for r in understand(text)], text


@pytest.mark.parametrize("text", ["what is this charge from march?", "why was I charged 29 dollars on the 5th"])
def test_a_question_about_a_charge_is_only_a_question(text: str) -> None:
    assert "refund" not in [r.intent for r in understand(text)], text


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("the payment bounced again. pls send me the link to change my card", ["payment_method"]),
        (
            "card expired, send me a link to update it and then charge the invoice again",
            ["payment_method", "retry_payment"],
        ),
        ("ok i've entered the new card now, try the payment again", ["retry_payment"]),
        ("I updated my card already, please charge it again", ["retry_payment"]),
        ("my card was declined, I called the bank, please retry", ["retry_payment"]),
        ("I need to change my card", ["payment_method"]),
    ],
)
def test_a_failed_payment_report_and_a_card_report_are_context_not_requests(text: str, intents: list[str]) -> None:
    assert [r.intent for r in understand(text)] == intents, text


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("I never paused it over the summer although we were closed, can I get July back?", ["refund"]),
        ("we're on the Starter plan. please move us to Growth", ["change_plan"]),
        ("what would the Growth plan cost me today? and then go ahead", ["change_plan"]),
        ("how much would 2 extra seats be, then just do it", ["change_seats"]),
        ("the card works again, you can take the 40 dollars again", ["retry_payment"]),
    ],
)
def test_history_statements_and_go_aheads(text: str, intents: list[str]) -> None:
    names = ("starter", "growth", "scale")
    assert [r.intent for r in understand(text, names)] == intents, text


@pytest.mark.parametrize(
    "text",
    [
        "we have 6 seats this month but one person left; refund 10 dollars for that seat, keep the seats as they are",
        "we paid for 4 seats in March. refund the March charge please",
    ],
)
def test_seat_counts_told_as_context_are_not_seat_changes(text: str) -> None:
    assert [r.intent for r in understand(text)] == ["refund"], text


@pytest.mark.parametrize(
    "text",
    [
        "would you refund the april payment if I asked? only asking, don't do anything",
        "hypothetically could you remove 60 users at once? not now, we're just planning",
    ],
)
def test_marked_questions_are_answered_not_done(text: str) -> None:
    assert [r.intent for r in understand(text)] == ["policy_question"], text


def test_a_number_is_either_added_or_the_total_never_both() -> None:
    from purser.models.offline.slots import parse_seats

    slot = parse_seats("ok make it 4 more seats then")
    assert slot is not None and (slot.mode, slot.count, slot.total) == ("add", 4, None)


@pytest.mark.parametrize("text", ["what card are you billing me on?", "which of my cards gets the monthly charge?"])
def test_which_card_is_a_read(text: str) -> None:
    assert [r.intent for r in understand(text)] == ["account_question"], text


def test_policy_topics_for_the_window_and_for_the_rest_of_a_period() -> None:
    from purser.models.offline.policy_answers import policy_query

    window = "up to how many days after being charged can I still get a refund?"
    assert "window" in policy_query(window, window.lower(), window)
    rest = "if I move from Plus to Lite today, is the rest of the month refunded?"
    assert "downgrading" in policy_query(rest, rest.lower(), rest)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("me no use app for a while, can stop the billing 2 month and then start again alone?", "pause"),
        ("the card is working again now, pls run the november payment again", "retry_payment"),
        ("do not charge my card again", "unknown"),
        ("there's no VAT on our bills at all, is that right for a company in Austria?", "policy_question"),
    ],
)
def test_more_registers(text: str, intent: str) -> None:
    assert [r.intent for r in understand(text)] == [intent], text


def test_a_vat_id_whose_national_part_starts_with_a_letter() -> None:
    from purser.models.offline.billing import extract_billing

    assert extract_billing("please put our VAT id ESA12345674 on the invoices")["vat_id"] == "ESA12345674"
    assert extract_billing("the tax on invoice INV12345 looks wrong")["vat_id"] is None


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("I'd like to pause two months over summer and then it should continue normally", ["pause"]),
        ("I don't want to cancel, I'll be back in March — can I have the February charge refunded?", ["refund"]),
        ("Please put our tax number on the bill. It is: NL 0044 954 45B01.", ["update_billing"]),
        ("you already refunded me once in June, but this one is a real double charge, refund it", ["refund"]),
        ("when will you attempt the payment again? don't run it now", ["account_question"]),
        ("what's my next bill date and how much?", ["account_question"]),
    ],
)
def test_context_told_with_the_request(text: str, intents: list[str]) -> None:
    assert [r.intent for r in understand(text)] == intents, text


def test_adding_an_unspecified_number_of_people_asks_how_many() -> None:
    from purser.models.offline.slots import parse_seats

    assert parse_seats("we need to add some people to the team plan") is None
    slot = parse_seats("add a seat for our new intern")
    assert slot is not None and (slot.mode, slot.count) == ("add", 1)


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        (
            "the yearly renewal went through yesterday but we're not going to continue, can we have it refunded?",
            ["refund"],
        ),
        ("please stop my subscription from next month", ["cancel"]),
    ],
)
def test_ending_without_the_word_cancel(text: str, intents: list[str]) -> None:
    assert [r.intent for r in understand(text)] == intents, text


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("invoices for 2026-07 and 08/2026 please", ["2026-07-01", "2026-08-01"]),
        ("the one from 2026/05", ["2026-05-01"]),
    ],
)
def test_months_written_with_their_year(text: str, months: list[str]) -> None:
    from datetime import UTC, datetime

    from purser.models.offline.normalize import normalize
    from purser.models.offline.slots import parse_dates

    spans = parse_dates(normalize(text), datetime(2026, 11, 20, tzinfo=UTC))
    assert [s.start.isoformat() for s in spans] == months
    assert [s.kind for s in spans] == ["month"] * len(months)


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("in August the shop is closed, can we stop paying for one month and then go on as normal?", ["pause"]),
        ("my card ran out, how can I give you the new card?", ["payment_method"]),
    ],
)
def test_more_everyday_wording(text: str, intents: list[str]) -> None:
    assert intents == [r.intent for r in understand(text) if r.intent != "policy_question"], text


@pytest.mark.parametrize(
    ("text", "day"),
    [("charged on 14/10", "2026-10-14"), ("the payment of 03/11/2026", "2026-11-03"), ("on 2/11", "2026-11-02")],
)
def test_slash_dates_take_the_most_recent_past_reading(text: str, day: str) -> None:
    from datetime import UTC, datetime

    from purser.models.offline.normalize import normalize
    from purser.models.offline.slots import parse_dates

    (span,) = parse_dates(normalize(text), datetime(2026, 11, 20, tzinfo=UTC))
    assert (span.start.isoformat(), span.kind) == (day, "day")


def test_a_vat_id_written_in_groups() -> None:
    from purser.models.offline.billing import extract_billing

    assert extract_billing("our UID is ATU 135 856 27, please add it")["vat_id"] == "ATU13585627"


def test_new_team_members_in_one_sentence_and_the_count_in_another() -> None:
    from purser.models.offline.slots import parse_seats

    slot = parse_seats("3 new engineers join next week , we have 5 seats now")
    assert slot is not None and (slot.mode, slot.count, slot.stated) == ("add", 3, 5)


def test_a_legal_threat_comes_before_anything_else_in_the_message() -> None:
    intents = [r.intent for r in understand("cancel this now. my lawyer will be in touch about the renewal")]
    assert intents[0] == "legal_threat", intents


def test_a_new_invoice_address_and_a_resend_in_one_message() -> None:
    text = "from now on mail our invoices to ap@kestrel.example, and resend March's invoice there"
    assert [r.intent for r in understand(text)] == ["update_billing", "send_invoice"]


def test_a_question_about_invoices_without_vat() -> None:
    assert [r.intent for r in understand("your bills don't include any VAT - is that an error?")] == ["policy_question"]


def test_a_plan_change_told_as_history_is_not_a_change() -> None:
    text = "I meant to switch down to the cheaper plan in October but never did - refund October please"
    assert "change_plan" not in [r.intent for r in understand(text)]


def test_a_request_for_a_person_keeps_its_place_after_a_refund() -> None:
    text = "1) refund the double charge on invoice X-12 2) then I'd like to talk to a person about invoicing"
    assert [r.intent for r in understand(text)][:1] == ["refund"]
