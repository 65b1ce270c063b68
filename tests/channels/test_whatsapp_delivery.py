"""WhatsApp delivery against the local Graph API: the 24-hour window, templates, and Graph API errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from purser.agent.events import ActionResult, AgentMessage, ConfirmationRequest
from purser.channels.base import ChannelDeliveryError
from purser.channels.service import canonical
from purser.channels.whatsapp import NO_TEMPLATE, WhatsAppChannel
from purser.domain.dates import iso_utc
from purser.ports.channels import ChannelName, ChannelThread
from purser.testing.whatsapp import WhatsAppServer

WA_ID = "15550001111"
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[WhatsAppServer]:
    with WhatsAppServer(clock=lambda: NOW) as running:
        yield running


def channel(
    server: WhatsAppServer, *, template: str | None = "purser_update", token: str | None = None
) -> WhatsAppChannel:
    settings = server.settings(template=template)
    if token:
        settings = settings.model_copy(update={"access_token": token})
    return WhatsAppChannel(settings, clock=lambda: NOW)


def thread(last_inbound: datetime | None) -> ChannelThread:
    return ChannelThread(
        channel=ChannelName("whatsapp"),
        thread_key=WA_ID,
        conversation_id="conv_1",
        customer_id="cus_maya",
        external_id=WA_ID,
        address=canonical({"wa_id": WA_ID}),
        last_inbound_at=iso_utc(last_inbound) if last_inbound else None,
        updated_at=iso_utc(NOW),
    )


def test_inside_the_window_replies_are_free_form(server: WhatsAppServer) -> None:
    server.customer_wrote(WA_ID, NOW - timedelta(hours=23))
    card = ConfirmationRequest(
        action_id="act_1", action="refund", summary="Refund $20.00", quote={"amount": "20.00", "currency": "usd"}
    )
    channel(server).deliver(thread(NOW - timedelta(hours=23)), [AgentMessage(text="**Done**"), card])
    text, interactive = server.recorded()
    assert text.body["text"]["body"] == "*Done*"
    assert interactive.body["interactive"]["type"] == "button" and interactive.message_id is not None


def test_outside_the_window_only_the_template_is_sent_on_one_line(server: WhatsAppServer) -> None:
    events = [
        ActionResult(action_id="act_1", status="succeeded", summary="Refunded $20.00."),
        AgentMessage(text="Anything else?\nJust reply here."),
    ]
    channel(server).deliver(thread(NOW - timedelta(hours=25)), events)
    [call] = server.recorded()
    assert call.message_id is not None and call.body["type"] == "template"
    template = call.body["template"]
    assert template["name"] == "purser_update" and template["language"] == {"code": "en"}
    [parameter] = template["components"][0]["parameters"]
    assert parameter["text"] == "Refunded $20.00. Anything else? Just reply here."


def test_outside_the_window_without_a_template_nothing_is_sent(server: WhatsAppServer) -> None:
    adapter = channel(server, template=None)
    with pytest.raises(ChannelDeliveryError, match=NO_TEMPLATE):
        adapter.send_text(WA_ID, "Your card was declined.", thread=thread(NOW - timedelta(days=3)))
    with pytest.raises(ChannelDeliveryError, match=NO_TEMPLATE):
        adapter.send_text(WA_ID, "Your card was declined.")  # a number that never wrote
    assert server.recorded() == []


def test_a_long_text_outside_the_window_is_shortened_at_a_word(server: WhatsAppServer) -> None:
    channel(server).send_text(WA_ID, "word " * 400)
    [call] = server.recorded()
    text = call.body["template"]["components"][0]["parameters"][0]["text"]
    assert len(text) <= 900 and text.endswith("word…") and call.message_id is not None


def test_the_platform_refusing_outside_its_window_names_the_code_not_the_token(server: WhatsAppServer) -> None:
    # Purser thinks the customer wrote an hour ago; WhatsApp has not seen them for days.
    server.customer_wrote(WA_ID, NOW - timedelta(days=2))
    with pytest.raises(ChannelDeliveryError) as caught:
        channel(server).send_text(WA_ID, "Hello", thread=thread(NOW - timedelta(hours=1)))
    assert "131047" in str(caught.value) and "24-hour" in str(caught.value)
    assert server.access_token not in str(caught.value)


def test_a_wrong_access_token_is_a_delivery_error_without_the_token(server: WhatsAppServer) -> None:
    server.customer_wrote(WA_ID, NOW)
    with pytest.raises(ChannelDeliveryError) as caught:
        channel(server, token="EAAG-wrong-token-123").send_text(WA_ID, "Hello", thread=thread(NOW))
    assert "error 190" in str(caught.value) and "EAAG-wrong-token-123" not in str(caught.value)
    assert server.recorded()[0].status == 401


def test_an_unreachable_graph_api_is_a_delivery_error(server: WhatsAppServer) -> None:
    adapter = channel(server)
    server.close()
    with pytest.raises(ChannelDeliveryError, match="did not answer"):
        adapter.send_text(WA_ID, "Hello", thread=thread(NOW))


def test_a_retried_batch_does_not_send_what_already_went_out(server: WhatsAppServer) -> None:
    server.customer_wrote(WA_ID, NOW)
    server.outage = lambda body: body.get("text", {}).get("body") == "second"
    adapter = channel(server)
    events = [AgentMessage(text="first"), AgentMessage(text="second")]
    with pytest.raises(ChannelDeliveryError, match="error 2 "):
        adapter.deliver(thread(NOW), events)
    server.outage = None
    adapter.deliver(thread(NOW), events)  # the service retries the same batch
    sent = [c.body["text"]["body"] for c in server.recorded() if c.message_id is not None]
    assert sent == ["first", "second"]
    adapter.deliver(thread(NOW), [AgentMessage(text="first")])  # a new event with the same words is new
    assert len([c for c in server.recorded() if c.message_id is not None]) == 3
