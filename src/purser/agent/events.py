"""The conversation protocol (DESIGN §7): customer events in, agent events out.

One protocol for the widget, every channel and the gym.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- customer -> agent --------------------------------------------------------------------
class CustomerMessage(_Event):
    """Free text from the customer."""

    type: Literal["message"] = "message"
    text: str = Field(min_length=1, max_length=4000, description="What the customer wrote.")


class CustomerConfirm(_Event):
    """The customer's structured answer to a confirmation request (a button, never free text)."""

    type: Literal["confirm"] = "confirm"
    action_id: str = Field(min_length=1, max_length=200, description="The action being confirmed.")
    decision: Literal["yes", "no"] = Field(description="yes to run the quoted action, no to drop it.")


CustomerEvent = Annotated[CustomerMessage | CustomerConfirm, Field(discriminator="type")]
customer_event_adapter: TypeAdapter[CustomerMessage | CustomerConfirm] = TypeAdapter(CustomerEvent)


# -- agent -> customer --------------------------------------------------------------------
class Citation(_Event):
    """A knowledge-base passage an answer rests on."""

    document: str = Field(description="Source document (file name or title).")
    heading: str = Field(default="", description="Section heading inside it.")
    snippet: str = Field(default="", description="A short excerpt.")


class QuickReply(_Event):
    """A suggested answer: pressing it sends `text` as the customer's own message (never a confirmation)."""

    label: str = Field(min_length=1, max_length=80, description="What the button says.")
    text: str = Field(min_length=1, max_length=200, description="The customer message a press sends.")


class Teammate(_Event):
    """Who wrote a teammate's reply: the name shown beside it and the initials of its avatar."""

    name: str = Field(min_length=1, max_length=100)
    initials: str = Field(min_length=1, max_length=3)


class AgentMessage(_Event):
    """Text for the customer.

    Optional (sent only when set, so a client that predates them sees the same event):
    `quick_replies`, suggested answers a channel shows as buttons; `author`, the teammate who wrote a
    reply in a handed-off conversation.
    """

    type: Literal["message"] = "message"
    text: str
    citations: list[Citation] = Field(default_factory=list)
    quick_replies: list[QuickReply] = Field(default_factory=list, max_length=10, exclude_if=lambda v: not v)
    author: Teammate | None = Field(default=None, exclude_if=lambda v: v is None)


class ConfirmationRequest(_Event):
    """Asks the customer to confirm an exact quote."""

    type: Literal["confirmation_request"] = "confirmation_request"
    action_id: str
    action: str
    summary: str
    quote: dict[str, Any] = Field(default_factory=dict, description="Amounts (decimal strings) and dates.")


class ActionResult(_Event):
    """What happened to an action."""

    type: Literal["action_result"] = "action_result"
    action_id: str
    status: Literal["succeeded", "failed", "refused"]
    summary: str


class ApprovalPending(_Event):
    """A human is reviewing the action."""

    type: Literal["approval_pending"] = "approval_pending"
    action_id: str
    summary: str


class Handoff(_Event):
    """The conversation goes to a human."""

    type: Literal["handoff"] = "handoff"
    reason: str
    summary: str = Field(description="For the human: who, what they want, what was done, what is left.")


AgentEvent = Annotated[
    AgentMessage | ConfirmationRequest | ActionResult | ApprovalPending | Handoff, Field(discriminator="type")
]
agent_event_adapter: TypeAdapter[AgentMessage | ConfirmationRequest | ActionResult | ApprovalPending | Handoff] = (
    TypeAdapter(AgentEvent)
)


class MessageDelta(_Event):
    """Transient: the next piece of the agent's message while the model streams it.

    Delivered only to live subscribers that asked for transient events (the widget's SSE stream);
    never persisted and never part of a turn's events: the turn's `message` event replaces the
    text grown from the deltas. `reset` (sent only when true) says to drop the text grown so far
    first (a new model response, or a fallback model answering after a stream broke).
    """

    type: Literal["message_delta"] = "message_delta"
    text: str
    reset: bool = False

    def wire(self) -> dict[str, Any]:
        """The JSON form: `{"type": "message_delta", "text": ...}`, plus `"reset": true` when set."""
        return self.model_dump(mode="json", exclude_defaults=True) | {"type": self.type}


__all__ = [
    "ActionResult",
    "AgentEvent",
    "AgentMessage",
    "ApprovalPending",
    "Citation",
    "ConfirmationRequest",
    "CustomerConfirm",
    "CustomerEvent",
    "CustomerMessage",
    "Handoff",
    "MessageDelta",
    "QuickReply",
    "Teammate",
    "agent_event_adapter",
    "customer_event_adapter",
]
