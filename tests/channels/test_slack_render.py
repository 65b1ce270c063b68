"""How Purser writes in Slack: mrkdwn, Block Kit cards, the team desk's posts, and the signature check.

Amounts and dates on cards come from `render.quote_facts` (Money formatting): a property test runs
random amounts in currencies with 0 and 2 decimals through the card and reads them back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.agent.events import ActionResult, AgentMessage, ApprovalPending, Citation, ConfirmationRequest, Handoff
from purser.channels._slack_inbound import plain_text, verify
from purser.channels._slack_render import (
    approval_decided_post,
    approval_post,
    escape,
    event_post,
    handoff_post,
    mrkdwn,
    parse_card_value,
    unescape,
)
from purser.channels.base import ChannelError, RawRequest, SignatureInvalid
from purser.money import Money
from purser.testing.slack import sign

QUOTE = {
    "charge": "ch_maya_11",
    "charge_amount": "20.00",
    "charge_created": "2026-11-01T00:00:05Z",
    "amount": "20.00",
    "currency": "usd",
    "full": True,
    "duplicate": False,
}


def _card(quote: dict[str, object] = QUOTE) -> dict[str, object]:
    event = ConfirmationRequest(action_id="act_1", action="refund", summary="Refund **$20.00**?", quote=quote)
    post = event_post(event, user="U1")
    return {"text": post.text, "blocks": post.blocks, "metadata": post.metadata}


def test_markdown_becomes_mrkdwn_and_slack_control_characters_are_escaped() -> None:
    text = "# Your plan\n**Pro** costs < $25 & more: see [the docs](https://example.com/plans)\n- one\n* two"
    assert mrkdwn(text) == (
        "*Your plan*\n*Pro* costs &lt; $25 &amp; more: see <https://example.com/plans|the docs>\n• one\n• two"
    )
    assert mrkdwn("<!channel> <@U123> hi") == "&lt;!channel&gt; &lt;@U123&gt; hi"  # no pings from agent text
    assert mrkdwn("[x](javascript:alert(1))") == "[x](javascript:alert(1))"  # only http(s) links


@given(st.text())
def test_escaping_round_trips_and_leaves_no_markup(text: str) -> None:
    assert unescape(escape(text)) == text
    assert "<" not in escape(text) and ">" not in escape(text)


@given(st.text(alphabet=st.characters(blacklist_characters="[")))
def test_agent_text_without_links_never_becomes_slack_markup(text: str) -> None:
    assert "<" not in mrkdwn(text)


def test_a_confirmation_is_a_card_with_facts_and_buttons_and_no_internal_ids() -> None:
    card = _card()
    blocks = card["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "Refund *$20.00*?"}}
    assert blocks[1]["fields"] == [
        {"type": "mrkdwn", "text": "*Amount*\n$20.00"},
        {"type": "mrkdwn", "text": "*Original charge*\n$20.00"},
        {"type": "mrkdwn", "text": "*Charged on*\n1 November 2026"},
    ]
    confirm, cancel = blocks[-1]["elements"]
    assert (confirm["action_id"], confirm["style"], cancel["action_id"]) == (
        "purser.confirm",
        "primary",
        "purser.cancel",
    )
    assert "style" not in cancel
    value = parse_card_value(confirm["value"])
    assert (value.action_id, value.action, value.user) == ("act_1", "refund", "U1")
    visible = json.dumps([card["text"], blocks[:-1]])
    assert "ch_maya_11" not in visible and "act_1" not in visible and "True" not in visible
    assert card["metadata"] == {"event_type": "purser_confirmation_request", "event_payload": {}}


@given(minor=st.integers(min_value=0, max_value=10**9), currency=st.sampled_from(["usd", "eur", "gbp", "jpy"]))
def test_card_amounts_read_as_the_money_formatter_writes_them(minor: int, currency: str) -> None:
    amount = Money(minor, currency)
    card = _card({"amount": amount.amount_str(), "currency": currency})
    blocks = card["blocks"]
    assert isinstance(blocks, list)
    assert blocks[1]["fields"] == [{"type": "mrkdwn", "text": f"*Amount*\n{escape(amount.format())}"}]


def test_a_quote_with_many_facts_is_split_into_sections_of_ten_fields() -> None:
    lines = [{"description": f"Line {i}", "amount": "1.00"} for i in range(14)]
    blocks = _card({"amount": "14.00", "currency": "usd", "lines": lines})["blocks"]
    assert isinstance(blocks, list)
    assert [len(b["fields"]) for b in blocks if "fields" in b] == [10, 5]


def test_results_pending_and_handoffs_are_short_lines_with_their_type_in_metadata() -> None:
    done = event_post(ActionResult(action_id="act_1", status="succeeded", summary="Refunded $20.00."), user="U1")
    assert (done.text, done.metadata) == (
        ":white_check_mark: Refunded $20.00.",
        {"event_type": "purser_action_result", "event_payload": {"status": "succeeded"}},
    )
    refused = event_post(ActionResult(action_id="act_1", status="refused", summary="Not allowed."), user="U1")
    assert refused.text.startswith(":no_entry:")
    pending = event_post(ApprovalPending(action_id="act_1", summary="Refund $20.00."), user="U1")
    assert "teammate is reviewing" in pending.text and "act_1" not in pending.text
    handoff = event_post(Handoff(reason="dispute", summary="Customer disputes ch_1"), user="U1")
    assert "ch_1" not in handoff.text and "dispute" not in handoff.text  # the summary is for the team


def test_a_message_with_citations_lists_its_sources() -> None:
    citations = [Citation(document="refunds.md", heading="Windows")]
    post = event_post(AgentMessage(text="Refunds within 30 days.", citations=citations), user="U1")
    assert post.blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Sources: refunds.md › Windows"}],
    }


def test_the_team_desk_posts() -> None:
    handoff = handoff_post(customer_id="cus_1", channel="slack", reason="legal_threat", summary="Wants a lawyer")
    assert {"type": "mrkdwn", "text": "*Reason*\nlegal threat"} in handoff.blocks[1]["fields"]
    assert handoff.metadata == {"event_type": "purser_handoff", "event_payload": {"reason": "legal_threat"}}
    request = approval_post(approval_id="apr_1", customer_id="cus_1", action="refund", summary="s", amount="$20.00")
    approve, deny = request.blocks[-1]["elements"]
    assert (approve["value"], approve["style"], deny["value"], deny["style"]) == ("apr_1", "primary", "apr_1", "danger")
    decided = approval_decided_post(
        customer_id="cus_1",
        action="refund",
        summary="s",
        amount="$20.00",
        approve=False,
        approver="slack:U9",
        outcome="ok",
    )
    assert all(b["type"] != "actions" for b in decided.blocks)
    assert decided.blocks[-1]["elements"][0]["text"] == ":x: Denied by <@U9>: ok"


@pytest.mark.parametrize("value", [None, "", "{}", "[]", "nope", json.dumps({"id": "a", "action": "refund"})])
def test_a_card_value_that_is_not_ours_is_refused(value: object) -> None:
    with pytest.raises(ChannelError):
        parse_card_value(value)


def _request(body: bytes, headers: dict[str, str], at: datetime) -> RawRequest:
    return RawRequest("POST", "events", {k.lower(): v for k, v in headers.items()}, {}, body, at)


def test_the_signature_is_checked_at_arrival_time_within_five_minutes() -> None:
    body = b'{"type":"event_callback"}'
    signed_at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    headers = sign("s3cret", body, timestamp=int(signed_at.timestamp()))
    verify(_request(body, headers, signed_at + timedelta(seconds=300)), "s3cret")
    with pytest.raises(SignatureInvalid, match="5 minutes"):
        verify(_request(body, headers, signed_at + timedelta(seconds=301)), "s3cret")
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify(_request(body, headers, signed_at), "other")
    latin = "café".encode("latin-1")
    with pytest.raises(SignatureInvalid):
        verify(_request(latin, sign("s3cret", latin, timestamp=int(signed_at.timestamp())), signed_at), "s3cret")


def test_slack_markup_in_what_people_write_becomes_plain_words() -> None:
    assert plain_text("it's <mailto:ana@example.com|ana@example.com>") == "it's ana@example.com"
    assert plain_text("see <https://acme.com/x?a=1&amp;b=2|our page> or <https://acme.com>") == (
        "see our page (https://acme.com/x?a=1&b=2) or https://acme.com"
    )
    assert plain_text(" <@U123> <!here> <#C1|billing> 2 &lt; 3 ") == "@U123 @here @billing 2 < 3"
