"""A human teammate in a handed-off conversation: replies to the customer, and hands it back.

Once the agent hands a conversation off (status `handed_off`), the customer's messages keep
being stored (the runtime answers them with a fixed "a teammate has this" line and never runs
the model) and a teammate answers from the dashboard. A reply is an agent-side §7 `message`
event persisted as a turn of its own with the transcript role `human`, so the live stream delivers
it with `source: "human"`. The event carries the teammate (`author`: the name the customer sees
beside the reply and the initials of its avatar); the name also goes into the audit record
(`human_reply`, actor `human:<author>`), written in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from purser.agent.appended import append_events
from purser.agent.events import AgentMessage, Teammate
from purser.agent.runtime import RuntimeInputError
from purser.ports.audit import AuditDraft
from purser.ports.conversations import ConversationRecord, TurnWrite

if TYPE_CHECKING:
    from purser.agent.runtime import Runtime

__all__ = ["TEAMMATE", "HumanReply", "InvalidReply", "NotHandedOff", "initials", "release", "reply", "teammate"]

MAX_TEXT = 4000
MAX_AUTHOR = 100


class InvalidReply(RuntimeInputError):
    """A teammate's reply or author that cannot be stored (blank, too long); nothing changed."""

    code = "invalid_value"
    status = 422


class NotHandedOff(RuntimeInputError):
    """The conversation is not handed off to a human: the agent owns it; nothing changed."""

    code = "not_handed_off"
    status = 409


@dataclass(frozen=True)
class HumanReply:
    """A teammate's reply as persisted: where it landed in the transcript, and the §7 event."""

    conversation_id: str
    seq: int
    turn: int
    author: str
    event: AgentMessage


def initials(name: str) -> str:
    """The avatar's initials of a teammate's name: the first letters of its first and last words.

    "Sam Lee" → "SL", "sam" → "S", "sam@example.com" → "S" (an address shows its local part's);
    never empty for a name with a letter or digit in it ("?" otherwise).
    """
    words = [w for w in name.split("@")[0].replace(".", " ").replace("_", " ").split() if any(c.isalnum() for c in w)]
    letters = [next(c for c in w if c.isalnum()).upper() for w in (words[:1] + words[1:][-1:])]
    return "".join(letters) or "?"


_PLATFORM_USER = re.compile(r"^(?:slack|whatsapp|discord|email):", re.IGNORECASE)
TEAMMATE = "Teammate"
"""What the customer reads when the author is only a platform user id (never shown to them)."""


def teammate(author: str) -> Teammate:
    """The teammate a reply's event names: the display name as given (trimmed) and its initials.

    An author that is a platform user id (`slack:U…`, a Slack thread reply by someone with no
    account) is internal: the customer reads "Teammate"; the audit record keeps the id.
    """
    name = author.strip()
    if _PLATFORM_USER.match(name):
        name = TEAMMATE
    return Teammate(name=name, initials=initials(name))


def _check(text: str, author: str) -> None:
    if not text.strip():
        raise InvalidReply("text must not be blank")
    if len(text) > MAX_TEXT:
        raise InvalidReply(f"text is longer than {MAX_TEXT} characters")
    if not author.strip() or len(author) > MAX_AUTHOR:
        raise InvalidReply(f"author must be 1 to {MAX_AUTHOR} characters")


async def reply(runtime: Runtime, conversation_id: str, text: str, author: str) -> HumanReply:
    """Append a teammate's message to a handed-off conversation, audit it and publish it live.

    Raises `ConversationNotFound` (unknown conversation), `NotHandedOff` (the agent owns it) or
    `InvalidReply` (blank or too long; a `ValueError`); nothing is written then.
    """
    _check(text, author)

    def handed_off(record: ConversationRecord) -> None:
        if not record.handed_off:
            raise NotHandedOff(
                f"conversation {conversation_id!r} is not handed off (status {record.status!r}): "
                "the agent owns it, so a teammate cannot reply there"
            )

    event = AgentMessage(text=text, author=teammate(author))
    at = await append_events(
        runtime,
        conversation_id,
        [event],
        role="human",
        kind="human_reply",
        actor=f"human:{author}",
        data=lambda turn, seq: {"text": text, "turn": turn, "seq": seq},
        check=handed_off,
    )
    return HumanReply(conversation_id, at.seq, at.turn, author, event)


async def release(runtime: Runtime, conversation_id: str, author: str) -> str:
    """Hand a handed-off conversation back to the agent (status `open`); returns the new status.

    Raises `ConversationNotFound` or `NotHandedOff`; nothing is written then.
    """
    _check("release", author)
    async with runtime._lock(conversation_id):
        record = runtime.store.get(conversation_id)
        if not record.handed_off:
            raise NotHandedOff(f"conversation {conversation_id!r} is not handed off (status {record.status!r})")
        draft = AuditDraft(
            "human_release",
            f"human:{author}",
            {"previous_status": record.status, "handoff_reason": record.handoff_reason},
            conversation_id=conversation_id,
        )
        write = TurnWrite(turn=record.turns, status="open", audit=(draft,))
        return runtime.store.commit_turn(record, write).status
