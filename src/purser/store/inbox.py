"""`purser.ports.inbox.InboxRepository` on SQLAlchemy: assignments and private notes.

Each change is one transaction that also appends its audit record (`inbox_*`, actor `human:<name>`), so
the log and the inbox never disagree. A conversation's changes are serialized by a named lock on
PostgreSQL (advisory transaction locks, `gateway_tables.lock_rows`) and by SQLite's single write lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, bindparam, insert, select, update

from purser.ports.audit import AuditDraft, utc_now_iso
from purser.ports.conversations import ConversationRecord
from purser.ports.inbox import AlreadyResolved, Assignment, AssignmentKind, Note, NoteId
from purser.store.agent_tables import ag_conversations
from purser.store.audit import SqlAuditRepository
from purser.store.conversation_rows import record_of
from purser.store.gateway_tables import lock_rows
from purser.store.inbox_tables import ib_assignments, ib_notes, ib_reads

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from purser.store.db import Database

__all__ = ["SqlInboxRepository"]

_A = ib_assignments.c
_N = ib_notes.c
_R = ib_reads.c
_HANDED_OFF = (
    select(ag_conversations)
    .where(ag_conversations.c.status == "handed_off")
    .order_by(ag_conversations.c.updated_at.desc())
    .limit(bindparam("limit", type_=Integer()))
)


def _assignment(row: Any) -> Assignment:
    return Assignment(
        conversation_id=str(row.conversation_id),
        assignee=row.assignee,
        assigned_by=row.assigned_by,
        assigned_at=row.assigned_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )


class SqlInboxRepository:
    """The inbox of one database (each call its own transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def assignment(self, conversation_id: str) -> Assignment | None:
        """The conversation's assignment, or None when nobody ever took it."""
        with self.db.read() as conn:
            row = conn.execute(select(ib_assignments).where(_A.conversation_id == conversation_id)).first()
        return None if row is None else _assignment(row)

    def assignments(self, conversation_ids: list[str]) -> dict[str, Assignment]:
        """The assignments of these conversations (those without one are left out)."""
        if not conversation_ids:
            return {}
        with self.db.read() as conn:
            rows = conn.execute(select(ib_assignments).where(_A.conversation_id.in_(sorted(set(conversation_ids)))))
            return {str(r.conversation_id): _assignment(r) for r in rows}

    def assign(self, conversation_id: str, assignee: str, *, by: str, kind: AssignmentKind) -> Assignment:
        """Give the conversation to `assignee`; a resolved conversation is open again."""
        now = utc_now_iso()
        values = {"assignee": assignee, "assigned_by": by, "assigned_at": now, "resolved_by": None, "resolved_at": None}
        data = {"assignee": assignee}
        with self.db.begin() as conn:
            previous = self._locked(conn, conversation_id, now)
            if previous is not None and previous.assignee and previous.assignee != assignee:
                data["previous_assignee"] = previous.assignee
            self._save(conn, conversation_id, values, exists=previous is not None)
            self._audit(conn, f"inbox_{kind}", by, conversation_id, data)
        return Assignment(conversation_id, assignee, by, now)

    def resolve(self, conversation_id: str, *, by: str, since: str) -> Assignment:
        """Mark it resolved; `AlreadyResolved` when it was resolved at or after `since`."""
        now = utc_now_iso()
        with self.db.begin() as conn:
            previous = self._locked(conn, conversation_id, now)
            if previous is not None and previous.resolved_at is not None and previous.resolved_at >= since:
                raise AlreadyResolved(
                    f"conversation {conversation_id!r} was resolved by {previous.resolved_by} "
                    "and nothing happened in it since"
                )
            self._save(conn, conversation_id, {"resolved_by": by, "resolved_at": now}, exists=previous is not None)
            assignee = previous.assignee if previous is not None else None
            self._audit(conn, "inbox_resolved", by, conversation_id, {"assignee": assignee})
        if previous is None:
            return Assignment(conversation_id, None, None, None, by, now)
        return Assignment(conversation_id, previous.assignee, previous.assigned_by, previous.assigned_at, by, now)

    def handed_off(self, *, limit: int) -> list[ConversationRecord]:
        """Conversations a person owns now (status `handed_off`), most recently active first, whatever their age."""
        with self.db.read() as conn:
            rows = conn.execute(_HANDED_OFF, {"limit": limit}).all()
        return [record_of(r._mapping) for r in rows]

    def mark_read(self, conversation_id: str, person: str, seen_at: str) -> None:
        """`person` has read the conversation as it was at `seen_at` (a later mark never moves back)."""
        with self.db.begin() as conn:
            lock_rows(conn, [f"inbox:{conversation_id}"], utc_now_iso())
            key = (_R.person == person) & (_R.conversation_id == conversation_id)
            before = conn.execute(select(_R.seen_at).where(key)).scalar()
            if before is None:
                conn.execute(insert(ib_reads).values(person=person, conversation_id=conversation_id, seen_at=seen_at))
            elif seen_at > before:
                conn.execute(update(ib_reads).where(key).values(seen_at=seen_at))

    def seen(self, person: str, conversation_ids: list[str]) -> dict[str, str]:
        """How far `person` has read these conversations (never opened: left out)."""
        if not conversation_ids:
            return {}
        query = select(_R.conversation_id, _R.seen_at).where(
            _R.person == person, _R.conversation_id.in_(sorted(set(conversation_ids)))
        )
        with self.db.read() as conn:
            return {str(r.conversation_id): str(r.seen_at) for r in conn.execute(query)}

    def add_note(self, conversation_id: str, text: str, *, author: str) -> Note:
        """Append a private note, audited as `inbox_note`."""
        now = utc_now_iso()
        with self.db.begin() as conn:
            result = conn.execute(
                insert(ib_notes).values(conversation_id=conversation_id, author=author, text=text, created_at=now)
            )
            key = result.inserted_primary_key
            assert key is not None
            note_id = NoteId(int(key[0]))
            self._audit(conn, "inbox_note", author, conversation_id, {"note_id": note_id, "text": text})
        return Note(note_id, conversation_id, author, text, now)

    def notes(self, conversation_id: str) -> list[Note]:
        """The conversation's notes, oldest first."""
        query = select(ib_notes).where(_N.conversation_id == conversation_id).order_by(_N.id)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [Note(NoteId(int(r.id)), r.conversation_id, r.author, r.text, r.created_at) for r in rows]

    def _locked(self, conn: Connection, conversation_id: str, now: str) -> Assignment | None:
        lock_rows(conn, [f"inbox:{conversation_id}"], now)
        row = conn.execute(select(ib_assignments).where(_A.conversation_id == conversation_id)).first()
        return None if row is None else _assignment(row)

    @staticmethod
    def _save(conn: Connection, conversation_id: str, values: dict[str, Any], *, exists: bool) -> None:
        if exists:
            conn.execute(update(ib_assignments).where(_A.conversation_id == conversation_id).values(**values))
        else:
            conn.execute(insert(ib_assignments).values(conversation_id=conversation_id, **values))

    def _audit(self, conn: Connection, kind: str, by: str, conversation_id: str, data: dict[str, Any]) -> None:
        draft = AuditDraft(kind, f"human:{by}", data, conversation_id=conversation_id)
        SqlAuditRepository(conn, self.db.audit_keys.current).append([draft])
