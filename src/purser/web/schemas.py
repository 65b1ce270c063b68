"""Request and response bodies of the HTTP API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from purser.agent.events import AgentEvent, AgentMessage

ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,200}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateConversation(_Body):
    """Start a conversation for a (verified) customer."""

    customer_id: str = Field(pattern=ID_PATTERN, description="The customer, as the processor knows them.")
    channel: str = Field("web", pattern=r"^[a-z][a-z0-9_-]{0,49}$", description="web, slack, email, ...")


class ConversationCreated(BaseModel):
    """The new conversation."""

    id: str


class TurnResponse(BaseModel):
    """The agent's events for one customer event (DESIGN §7)."""

    events: list[AgentEvent]


class TranscriptResponse(BaseModel):
    """A conversation's history."""

    id: str
    customer_id: str | None = None
    channel: str | None = None
    entries: list[dict[str, Any]]


class ErrorDetail(BaseModel):
    """What is wrong with one field."""

    field: str
    problem: str


class ErrorBody(BaseModel):
    """The error inside the envelope."""

    status: int
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body."""

    error: ErrorBody


class Decision(_Body):
    """A human decision on an approval request."""

    decision: Literal["approve", "deny"]
    reason: str = Field("", max_length=2000, description="Why; recorded in the audit log.")


class DecisionResponse(BaseModel):
    """The decision's effect: the conversation it resumed and the events delivered there."""

    approval_id: str
    conversation_id: str
    events: list[AgentEvent]
    status: Literal["pending", "approved", "denied"] | None = Field(
        None, description="pending after the first signature of a two-person approval."
    )
    signers: list[str] = Field(default_factory=list, description="Who has approved a two-person approval so far.")


class HumanReplyBody(_Body):
    """A teammate's reply to the customer in a handed-off conversation."""

    text: str = Field(min_length=1, max_length=4000, description="What the customer sees.")
    author: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The teammate's name, for the audit log (default 'admin').",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class HumanReplyResponse(BaseModel):
    """The reply as delivered: an agent-side `message` event stored with transcript role `human`."""

    conversation_id: str
    seq: int = Field(description="Its transcript position (the live stream's message id).")
    turn: int
    role: Literal["human"] = "human"
    author: str
    event: AgentMessage


class ReleaseResponse(BaseModel):
    """The conversation after a teammate handed it back to the agent."""

    conversation_id: str
    status: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error envelope."""
    return {s: {"model": ErrorResponse} for s in statuses}


__all__ = [
    "ID_PATTERN",
    "ConversationCreated",
    "CreateConversation",
    "Decision",
    "DecisionResponse",
    "ErrorResponse",
    "HumanReplyBody",
    "HumanReplyResponse",
    "ReleaseResponse",
    "TranscriptResponse",
    "TurnResponse",
    "error_responses",
]
