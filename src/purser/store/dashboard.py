"""The dashboard's read model on SQLAlchemy (`purser.ports.conversations.Dashboard`): handoffs, refunds,
automation and latency figures, each call its own read transaction."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, bindparam, func, insert, select

from purser.ports.conversations import HandoffRecord, RefundRecord, TurnLatency, UsageCost
from purser.store.agent_tables import ag_conversations, ag_usage
from purser.store.gateway_tables import gw_actions, gw_ledger
from purser.store.web_tables import web_turns

if TYPE_CHECKING:
    from purser.store.db import Database

__all__ = ["SqlDashboard"]

_c = ag_conversations.c
_INSERT_LATENCY = insert(web_turns)
_HANDOFFS = (
    select(gw_actions)
    .where(gw_actions.c.status == "escalated")  # the handoff tool and every escalation the guard makes
    .order_by(gw_actions.c.updated_at.desc())
    .limit(bindparam("limit", type_=Integer()))
)
_REFUNDS_SINCE = select(gw_ledger).where(gw_ledger.c.day >= bindparam("day"), gw_ledger.c.state != "released")
_STATUSES = select(_c.id, _c.status).where(_c.turns > 0)
_USAGE_COSTS = select(ag_usage.c.conversation_id, ag_usage.c.model, ag_usage.c.cost_usd)
_ACTED = select(gw_actions.c.conversation_id).where(gw_actions.c.status == "succeeded", gw_actions.c.kind != "read")
_RECENT_LATENCIES = (
    select(web_turns.c.latency_ms).order_by(web_turns.c.id.desc()).limit(bindparam("limit", type_=Integer()))
)
_LATENCY_CONVERSATIONS = (
    select(web_turns.c.conversation_id, func.max(web_turns.c.id).label("last"))
    .group_by(web_turns.c.conversation_id)
    .order_by(func.max(web_turns.c.id).desc())
    .limit(bindparam("limit", type_=Integer()))
)


class SqlDashboard:
    """`purser.ports.conversations.Dashboard` on one database (each call its own read)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def handoffs(self, *, limit: int) -> list[HandoffRecord]:
        """Conversations handed to a human, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(_HANDOFFS, {"limit": limit}).all()
        out = []
        for r in rows:
            result = _loads(r.result) or {}
            handoff = result.get("handoff", {}) if isinstance(result, dict) else {}
            args = _loads(r.arguments) or {}
            args = args if isinstance(args, dict) else {}
            out.append(
                HandoffRecord(
                    conversation_id=r.conversation_id,
                    customer_id=r.customer_id,
                    channel=r.channel,
                    reason=handoff.get("reason") or r.reason or args.get("reason"),
                    summary=handoff.get("summary") or args.get("summary") or r.summary,
                    created_at=r.updated_at,
                )
            )
        return out

    def refunds_since(self, day: str) -> list[RefundRecord]:
        """Ledger entries from `day` on (ISO date), released ones left out."""
        with self.db.read() as conn:
            rows = conn.execute(_REFUNDS_SINCE, {"day": day}).all()
        return [
            RefundRecord(
                day=str(r.day),
                currency=str(r.currency),
                amount_minor=int(r.amount_minor),
                customer_id=str(r.customer_id),
                charge_id=str(r.charge_id),
                state=str(r.state),
                approved=bool(r.approved),
                counts=bool(r.counts),
            )
            for r in rows
        ]

    def statuses(self) -> dict[str, str]:
        """conversation id -> status, for conversations with at least one turn."""
        with self.db.read() as conn:
            return {str(r.id): str(r.status) for r in conn.execute(_STATUSES)}

    def usage_costs(self) -> list[UsageCost]:
        """Every usage row's conversation, model and cost."""
        with self.db.read() as conn:
            rows = conn.execute(_USAGE_COSTS).all()
        return [UsageCost(str(r.conversation_id), str(r.model), str(r.cost_usd or "0")) for r in rows]

    def acted_conversations(self) -> set[str]:
        """Conversations where a write action succeeded."""
        with self.db.read() as conn:
            return {str(v) for v in conn.execute(_ACTED).scalars()}

    def record_latency(self, conversation_id: str, latency: TurnLatency) -> None:
        """Append one answered turn's latency row (outside a turn's write)."""
        from purser.ports.audit import utc_now_iso

        row = {
            "conversation_id": conversation_id,
            "kind": latency.kind,
            "status": latency.status,
            "latency_ms": max(0, latency.latency_ms),
            "events": latency.events,
            "created_at": utc_now_iso(),
        }
        with self.db.begin() as conn:
            conn.execute(_INSERT_LATENCY, [row])

    def recent_latencies(self, limit: int) -> list[int]:
        """Latencies (ms) of the newest `limit` turns."""
        with self.db.read() as conn:
            return [int(v) for v in conn.execute(_RECENT_LATENCIES, {"limit": limit}).scalars()]

    def latency_conversations(self, limit: int) -> list[str]:
        """Conversations with answered turns, most recent first."""
        with self.db.read() as conn:
            return [str(r.conversation_id) for r in conn.execute(_LATENCY_CONVERSATIONS, {"limit": limit})]


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
