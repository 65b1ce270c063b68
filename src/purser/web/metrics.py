"""Dashboard metrics: automation rate, refunds against the caps, cost per resolved conversation, latency.

Reply latency is measured by the web layer (`web_turns`); refunds come from the
gateway's ledger, handoffs from its actions, cost from `Runtime.usage`.
Amounts stay integer minor units until they are formatted as decimal strings.
"""

from __future__ import annotations

import math
from datetime import UTC, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from purser.money import Money
from purser.policy.schema import ACTION_NAMES
from purser.ports.conversations import Dashboard, TurnLatency

if TYPE_CHECKING:
    from purser.app import Container
    from purser.store.db import Database


def dashboard_of(db: Database) -> Dashboard:
    """The dashboard's read model on `db` (the store's SQL adapter)."""
    from purser.store.conversations import SqlDashboard

    return SqlDashboard(db)


class LatencyLog:
    """Records answered turns and reads latency percentiles (turns answered over the chat API record
    their row in the turn's own transaction; `record` is for anything else)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dashboard = dashboard_of(db)

    def record(self, conversation_id: str, kind: str, status: int, latency_ms: int, events: int) -> None:
        """Append one answered turn."""
        self.dashboard.record_latency(conversation_id, TurnLatency(kind, status, latency_ms, events))

    def recent(self, limit: int = 2000) -> list[int]:
        """Latencies (ms) of the newest `limit` turns."""
        return self.dashboard.recent_latencies(limit)

    def conversation_ids(self, limit: int = 500) -> list[str]:
        """Conversations with answered turns, most recent first."""
        return self.dashboard.latency_conversations(limit)


def percentile(values: list[int], pct: float) -> int | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(Decimal(str(pct)) * len(ordered) / 100)
    return ordered[max(1, min(len(ordered), rank)) - 1]


def _histogram(values: list[int]) -> list[dict[str, Any]]:
    edges = [50, 100, 250, 500, 1000, 2500, 5000, 10000]
    counts = [0] * (len(edges) + 1)
    for v in values:
        i = next((n for n, e in enumerate(edges) if v <= e), len(edges))
        counts[i] += 1
    labels = [f"≤{e} ms" for e in edges] + [f">{edges[-1]} ms"]
    return [{"label": label, "count": c} for label, c in zip(labels, counts, strict=True)]


def refunds_metrics(container: Container, days: int = 14) -> dict[str, Any]:
    """Refunds per processor-clock day against the daily budget, and today's refunds against the per-refund cap."""
    policy = container.policy
    currency = policy.currency
    budget = policy.refunds.daily_budget_money(currency)
    cap = policy.refunds.max_amount_money(currency)
    today = container.processor.now().astimezone(UTC).date()
    first = (today - timedelta(days=days - 1)).isoformat()
    rows = dashboard_of(container.db).refunds_since(first)
    per_day: dict[str, int] = {}
    today_refunds = []
    for r in rows:
        if str(r.currency) != currency:
            continue
        per_day[str(r.day)] = per_day.get(str(r.day), 0) + int(r.amount_minor)
        if str(r.day) == today.isoformat():
            today_refunds.append(
                {
                    "customer_id": r.customer_id,
                    "charge_id": r.charge_id,
                    "amount": Money(int(r.amount_minor), currency).amount_str(),
                    "state": r.state,
                    "approved": bool(r.approved),
                    "counts": bool(r.counts),
                }
            )
    series = []
    for n in range(days):
        day = (today - timedelta(days=days - 1 - n)).isoformat()
        series.append({"day": day, "amount": Money(per_day.get(day, 0), currency).amount_str()})
    used = Money(per_day.get(today.isoformat(), 0), currency)
    return {
        "currency": currency,
        "today": today.isoformat(),
        "daily_budget": budget.amount_str(),
        "used_today": used.amount_str(),
        "budget_used_percent": _percent(used.minor, budget.minor),
        "per_refund_cap": cap.amount_str() if cap is not None else policy.refunds.max_amount,
        "per_customer_count": policy.refunds.per_customer_count,
        "per_customer_days": policy.refunds.per_customer_days,
        "today_refunds": today_refunds,
        "series": series,
    }


def _percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "0"
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")))


def automation_metrics(container: Container) -> dict[str, Any]:
    """Share of conversations resolved without a human, and the LLM cost per resolved one by model."""
    board = dashboard_of(container.db)
    status = board.statuses()
    usage = board.usage_costs()
    acted = board.acted_conversations()
    total = len(status)
    handed_off = sum(1 for s in status.values() if s == "handed_off")
    automated = total - handed_off
    cost: dict[str, Decimal] = {}
    used_by: dict[str, set[str]] = {}
    for u in usage:
        cid, model = str(u.conversation_id), str(u.model)
        cost[model] = cost.get(model, Decimal(0)) + Decimal(str(u.cost_usd or "0"))
        used_by.setdefault(model, set()).add(cid)
    cost_rows = []
    for model in sorted(cost):
        convs = used_by[model]
        resolved = sum(1 for c in convs if status.get(c) not in (None, "handed_off"))
        per = cost[model] / resolved if resolved else None
        cost_rows.append(
            {
                "model": model,
                "conversations": len(convs),
                "resolved": resolved,
                "cost_usd": str(cost[model].quantize(Decimal("0.000001"))),
                "cost_per_resolved_usd": None if per is None else str(per.quantize(Decimal("0.000001"))),
            }
        )
    return {
        "conversations": total,
        "automated": automated,
        "handed_off": handed_off,
        "with_write_actions": len(acted & set(status)),
        "automation_rate_percent": _percent(automated, total),
        "cost_by_model": cost_rows,
    }


def shadow_metrics(container: Container) -> dict[str, Any]:
    """Shadow mode's rollout figures per action: proposals that would have run alone (approval reason
    `shadow`), how many people accepted as proposed, denied or left pending, and the would-be automation
    rate (shadow proposals among every write that asked a person)."""
    per_action: dict[str, dict[str, int]] = {}
    asked = 0
    for request in container.gateway.approvals():
        asked += 1
        if request.reason != "shadow":
            continue
        row = per_action.setdefault(request.action, {"proposals": 0, "approved": 0, "denied": 0, "pending": 0})
        row["proposals"] += 1
        row[request.status] += 1
    rows = []
    for action in sorted(per_action):
        row = per_action[action]
        decided = row["approved"] + row["denied"]
        rows.append({"action": action, **row, "accepted_percent": _percent(row["approved"], decided)})
    proposals = sum(r["proposals"] for r in per_action.values())
    return {
        "mode": container.policy.mode,
        "shadowed_actions": [a for a in ACTION_NAMES if container.policy.shadowed(a)],
        "proposals": proposals,
        "writes_asking_a_person": asked,
        "would_be_automation_percent": _percent(proposals, asked),
        "by_action": rows,
    }


def metrics(container: Container, latencies: LatencyLog) -> dict[str, Any]:
    """Everything the dashboard's metrics page draws."""
    recent = latencies.recent()
    return {
        "automation": automation_metrics(container),
        "refunds": refunds_metrics(container),
        "shadow": shadow_metrics(container),
        "latency": {
            "turns": len(recent),
            "p50_ms": percentile(recent, 50),
            "p90_ms": percentile(recent, 90),
            "p99_ms": percentile(recent, 99),
            "histogram": _histogram(recent),
        },
    }


__all__ = ["LatencyLog", "automation_metrics", "metrics", "percentile", "refunds_metrics", "shadow_metrics"]
