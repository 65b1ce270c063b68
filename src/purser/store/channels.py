"""`purser.ports.channels.ChannelRepository` on SQLAlchemy: each call its own short transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.ports.channels import (
    ChannelLink,
    ChannelName,
    ChannelThread,
    LinkToken,
    LinkTokenId,
    VerificationCode,
)
from purser.store.channel_tables import ch_codes, ch_links, ch_secrets, ch_seen, ch_threads, ch_tokens
from purser.store.gateway_tables import lock_rows

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from purser.store.db import Database

__all__ = ["SqlChannelRepository"]


def _thread(row: Any) -> ChannelThread:
    return ChannelThread(
        channel=ChannelName(row.channel),
        thread_key=row.thread_key,
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        external_id=row.external_id,
        address=row.address,
        last_inbound_at=row.last_inbound_at,
        updated_at=row.updated_at,
    )


class SqlChannelRepository:
    """Links, threads, seen events, codes, tokens and secrets in the `ch_*` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _upsert(self, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Insert the row `key` + `values`, or set `values` on the row with that primary key: one
        `INSERT … ON CONFLICT (key) DO UPDATE` on SQLite and PostgreSQL alike, so two concurrent
        writers of one key never collide (the later one's values stay)."""

        def unit(conn: Connection) -> None:
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects import postgresql

                # Writers of one key queue on its advisory lock first: two speculative inserts that
                # also meet on another unique index (a thread's conversation_id) could deadlock.
                lock_rows(conn, [f"{table.name}:" + "\x1f".join(str(v) for v in key.values())], "")
                pg = postgresql.insert(table).values(**key, **values)
                conn.execute(pg.on_conflict_do_update(index_elements=list(key), set_=values))
            else:
                from sqlalchemy.dialects import sqlite

                lite = sqlite.insert(table).values(**key, **values)
                conn.execute(lite.on_conflict_do_update(index_elements=list(key), set_=values))

        self.db.run_write(unit)

    # -- links ----------------------------------------------------------------------------------
    def link(self, link: ChannelLink) -> None:
        """Create or replace the link of (channel, external_id)."""
        self._upsert(
            ch_links,
            {"channel": link.channel, "external_id": link.external_id},
            {"customer_id": link.customer_id, "linked_by": link.linked_by, "created_at": link.created_at},
        )

    def unlink(self, channel: ChannelName, external_id: str) -> bool:
        """Remove a link; False when there was none."""
        with self.db.begin() as conn:
            result = conn.execute(
                delete(ch_links).where(ch_links.c.channel == channel, ch_links.c.external_id == external_id)
            )
        return bool(result.rowcount)

    def linked_customer(self, channel: ChannelName, external_id: str) -> str | None:
        """The customer a platform user is linked to, if any."""
        query = select(ch_links.c.customer_id).where(
            ch_links.c.channel == channel, ch_links.c.external_id == external_id
        )
        with self.db.read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return None if value is None else str(value)

    def links_of(self, customer_id: str) -> list[ChannelLink]:
        """Every platform identity of a customer, newest first."""
        query = select(ch_links).where(ch_links.c.customer_id == customer_id).order_by(ch_links.c.created_at.desc())
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [
            ChannelLink(
                channel=ChannelName(r.channel),
                external_id=r.external_id,
                customer_id=r.customer_id,
                linked_by=r.linked_by,
                created_at=r.created_at,
            )
            for r in rows
        ]

    # -- threads --------------------------------------------------------------------------------
    def thread(self, channel: ChannelName, thread_key: str) -> ChannelThread | None:
        """The thread bound to a platform conversation, if any."""
        query = select(ch_threads).where(ch_threads.c.channel == channel, ch_threads.c.thread_key == thread_key)
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _thread(row)

    def thread_of(self, conversation_id: str) -> ChannelThread | None:
        """The platform thread a conversation lives in, if any."""
        with self.db.read() as conn:
            row = conn.execute(select(ch_threads).where(ch_threads.c.conversation_id == conversation_id)).first()
        return None if row is None else _thread(row)

    def latest_thread(self, customer_id: str, channel: ChannelName | None = None) -> ChannelThread | None:
        """The customer's most recently active thread (on `channel` when given)."""
        query = select(ch_threads).where(ch_threads.c.customer_id == customer_id)
        if channel is not None:
            query = query.where(ch_threads.c.channel == channel)
        with self.db.read() as conn:
            row = conn.execute(query.order_by(ch_threads.c.updated_at.desc()).limit(1)).first()
        return None if row is None else _thread(row)

    def save_thread(self, thread: ChannelThread) -> None:
        """Insert or update a thread (keyed by channel and thread_key)."""
        values = {
            "conversation_id": thread.conversation_id,
            "customer_id": thread.customer_id,
            "external_id": thread.external_id,
            "address": thread.address,
            "last_inbound_at": thread.last_inbound_at,
            "updated_at": thread.updated_at,
        }

        self._upsert(ch_threads, {"channel": thread.channel, "thread_key": thread.thread_key}, values)

    # -- replays --------------------------------------------------------------------------------
    def first_sighting(self, channel: ChannelName, event_id: str, seen_at: str) -> bool:
        """Record a platform event id; False when it was recorded before (a replay)."""
        try:
            with self.db.begin() as conn:
                conn.execute(insert(ch_seen).values(channel=channel, event_id=event_id, seen_at=seen_at))
        except IntegrityError:
            return False
        return True

    # -- self-service codes ---------------------------------------------------------------------
    def save_code(self, code: VerificationCode) -> None:
        """Store (replace) the pending code of a platform user."""
        self._upsert(
            ch_codes,
            {"channel": code.channel, "external_id": code.external_id},
            {
                "customer_id": code.customer_id,
                "code_hash": code.code_hash,
                "expires_at": code.expires_at,
                "attempts": code.attempts,
            },
        )

    def code(self, channel: ChannelName, external_id: str) -> VerificationCode | None:
        """The platform user's pending code, if any."""
        query = select(ch_codes).where(ch_codes.c.channel == channel, ch_codes.c.external_id == external_id)
        with self.db.read() as conn:
            r = conn.execute(query).first()
        if r is None:
            return None
        return VerificationCode(
            channel=ChannelName(r.channel),
            external_id=r.external_id,
            customer_id=r.customer_id,
            code_hash=r.code_hash,
            expires_at=r.expires_at,
            attempts=r.attempts,
        )

    def count_attempt(self, channel: ChannelName, external_id: str) -> int:
        """One more wrong guess; returns the attempts so far."""
        key = (ch_codes.c.channel == channel) & (ch_codes.c.external_id == external_id)
        with self.db.begin() as conn:
            conn.execute(update(ch_codes).where(key).values(attempts=ch_codes.c.attempts + 1))
            value = conn.execute(select(ch_codes.c.attempts).where(key)).scalar_one_or_none()
        return int(value or 0)

    def drop_code(self, channel: ChannelName, external_id: str) -> None:
        """Forget a pending code (used, expired or exhausted)."""
        with self.db.begin() as conn:
            conn.execute(delete(ch_codes).where(ch_codes.c.channel == channel, ch_codes.c.external_id == external_id))

    # -- signed links ---------------------------------------------------------------------------
    def save_token(self, token: LinkToken) -> None:
        """Store a new link token."""
        with self.db.begin() as conn:
            conn.execute(
                insert(ch_tokens).values(
                    id=token.id,
                    purpose=token.purpose,
                    payload=token.payload,
                    expires_at=token.expires_at,
                    used_at=token.used_at,
                )
            )

    def token(self, token_id: LinkTokenId) -> LinkToken | None:
        """A link token's row, if any."""
        with self.db.read() as conn:
            r = conn.execute(select(ch_tokens).where(ch_tokens.c.id == token_id)).first()
        if r is None:
            return None
        return LinkToken(
            id=LinkTokenId(r.id), purpose=r.purpose, payload=r.payload, expires_at=r.expires_at, used_at=r.used_at
        )

    def use_token(self, token_id: LinkTokenId, used_at: str) -> bool:
        """Mark a token used; False when it was used already (exactly one caller wins)."""
        query = (
            update(ch_tokens).where(ch_tokens.c.id == token_id, ch_tokens.c.used_at.is_(None)).values(used_at=used_at)
        )
        with self.db.begin() as conn:
            return bool(conn.execute(query).rowcount)

    def secret(self, name: str, make: str) -> str:
        """The stored secret `name`, storing `make` first when there is none (the first writer wins)."""
        query = select(ch_secrets.c.value).where(ch_secrets.c.name == name)
        with self.db.read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        if value is not None:
            return str(value)
        try:
            with self.db.begin() as conn:
                conn.execute(insert(ch_secrets).values(name=name, value=make))
        except IntegrityError:
            pass  # another process stored one first: use theirs
        with self.db.read() as conn:
            return str(conn.execute(query).scalar_one())
