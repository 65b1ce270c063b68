"""`ChannelService.bind`: a driver binds a platform thread to a linked user's conversation without a message.

Nothing was received, so nothing is recorded as received: the WhatsApp reply window opens only when
the customer writes, and a bind keeps the window a real message opened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.channels.test_whatsapp import MAYA, Rig, rig_for

from purser.channels.service import ChannelForbidden
from purser.ports.channels import ChannelName

WA = ChannelName("whatsapp")


@pytest.fixture
def maya(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_for("refund-this-month-forgot-to-cancel", tmp_path)


def test_bind_starts_one_conversation_and_opens_no_reply_window(maya: Rig) -> None:
    service = maya.container.channels
    assert service is not None
    maya.link(MAYA, "cus_maya")
    first = service.bind("whatsapp", external_id=MAYA, thread_key=MAYA, address={"wa_id": MAYA})
    assert service.bind("whatsapp", external_id=MAYA, thread_key=MAYA, address={"wa_id": MAYA}) == first
    assert maya.conversations() == 1
    thread = service.repo.thread(WA, MAYA)
    assert thread is not None and thread.conversation_id == first and thread.customer_id == "cus_maya"
    assert thread.last_inbound_at is None  # no message came in
    assert maya.container.runtime.transcript(first) == []  # and none was made up


def test_bind_keeps_the_window_a_message_opened(maya: Rig) -> None:
    service = maya.container.channels
    assert service is not None
    maya.link(MAYA, "cus_maya")
    maya.post(maya.server.text_webhook(MAYA, "what's my plan?"))
    before = service.repo.thread(WA, MAYA)
    assert before is not None and before.last_inbound_at is not None
    assert service.bind("whatsapp", external_id=MAYA, thread_key=MAYA, address={"wa_id": MAYA}) == (
        before.conversation_id
    )
    after = service.repo.thread(WA, MAYA)
    assert after is not None and after.last_inbound_at == before.last_inbound_at


def test_bind_of_an_unlinked_user_is_refused_and_writes_nothing(maya: Rig) -> None:
    service = maya.container.channels
    assert service is not None
    with pytest.raises(ChannelForbidden, match="not linked"):
        service.bind("whatsapp", external_id=MAYA, thread_key=MAYA, address={"wa_id": MAYA})
    assert service.repo.thread(WA, MAYA) is None and maya.conversations() == 0
