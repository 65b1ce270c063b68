"""The team inbox port: who works a conversation that needs a person, whether it is resolved, and the
team's private notes on it.

A note is for the team only: it is never part of the transcript, never shown to the customer and never
delivered to a channel. Every assignment, claim, resolution and note is also an audit record
(`inbox_assigned`, `inbox_claimed`, `inbox_resolved`, `inbox_note`) with the person as actor, written in
the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NewType, Protocol

from purser.errors import PurserError
from purser.ports.conversations import ConversationRecord

__all__ = [
    "MAX_NAME",
    "MAX_NOTE",
    "AlreadyResolved",
    "Assignment",
    "AssignmentKind",
    "InboxInputError",
    "InboxRepository",
    "Note",
    "NoteId",
    "check_name",
    "check_note",
]

NoteId = NewType("NoteId", int)
AssignmentKind = Literal["assigned", "claimed"]

MAX_NOTE = 4000
"""Characters a private note may hold."""
MAX_NAME = 64
"""Characters of a person's name (as `purser.ports.people`)."""


class InboxInputError(PurserError, ValueError):
    """A blank or too long note, or an assignee that is not a name; nothing was changed."""

    code = "invalid_inbox_request"
    status = 422


class AlreadyResolved(PurserError, RuntimeError):
    """The conversation was resolved already and nothing new happened in it since."""

    code = "inbox_already_resolved"
    status = 409


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who works a conversation, and when it was resolved (if it was)."""

    conversation_id: str
    assignee: str | None
    """The person working it; None when nobody took it yet (or it was resolved unassigned)."""
    assigned_by: str | None
    """Who assigned it (the assignee themself for a claim)."""
    assigned_at: str | None
    """ISO-8601 UTC."""
    resolved_by: str | None = None
    """Who resolved it, when it is resolved."""
    resolved_at: str | None = None
    """ISO-8601 UTC; an inbox item raised after this is open again."""


@dataclass(frozen=True, slots=True)
class Note:
    """A private note of the team on a conversation (never shown to the customer)."""

    id: NoteId
    conversation_id: str
    author: str
    text: str
    created_at: str
    """ISO-8601 UTC."""


def check_note(text: str) -> str:
    """The note's text, stripped; `InboxInputError` when blank or longer than `MAX_NOTE`."""
    clean = text.strip()
    if not clean:
        raise InboxInputError("a note needs some text")
    if len(clean) > MAX_NOTE:
        raise InboxInputError(f"a note holds at most {MAX_NOTE} characters (this one has {len(clean)})")
    return clean


def check_name(name: str) -> str:
    """A person's name, stripped; `InboxInputError` when blank or longer than `MAX_NAME`."""
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME:
        raise InboxInputError(f"an assignee is a person's name of 1 to {MAX_NAME} characters")
    return clean


class InboxRepository(Protocol):
    """Assignments and notes, each change audited in its own transaction."""

    def assignment(self, conversation_id: str) -> Assignment | None:
        """The conversation's assignment, or None when nobody ever took it."""
        ...

    def assignments(self, conversation_ids: list[str]) -> dict[str, Assignment]:
        """The assignments of these conversations (those without one are left out)."""
        ...

    def assign(self, conversation_id: str, assignee: str, *, by: str, kind: AssignmentKind) -> Assignment:
        """Give the conversation to `assignee` (a claim when `by` is the assignee); reopens a resolved one."""
        ...

    def resolve(self, conversation_id: str, *, by: str, since: str) -> Assignment:
        """Mark it resolved; `AlreadyResolved` when it was resolved at or after `since` (its last activity)."""
        ...

    def handed_off(self, *, limit: int) -> list[ConversationRecord]:
        """Conversations a person owns now (handed off), most recently active first, whatever their age."""
        ...

    def mark_read(self, conversation_id: str, person: str, seen_at: str) -> None:
        """`person` has read the conversation as it was at `seen_at` (its `updated_at`); not audited."""
        ...

    def seen(self, person: str, conversation_ids: list[str]) -> dict[str, str]:
        """How far `person` has read these conversations (`seen_at` by id; never opened: left out)."""
        ...

    def add_note(self, conversation_id: str, text: str, *, author: str) -> Note:
        """Append a private note (text already checked with `check_note`)."""
        ...

    def notes(self, conversation_id: str) -> list[Note]:
        """The conversation's notes, oldest first."""
        ...
