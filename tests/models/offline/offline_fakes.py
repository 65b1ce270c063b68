"""A scripted billing back end for the offline model's dialogue tests.

The model under test is real; the tools return canned JSON in the shapes of
docs/CONTRACTS.md (lookup result, gateway outcomes), and `confirm` produces the
runtime's `[confirmation] {...}` message. This is the one place a scripted tool
is fine: it is the model that is being tested.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart

from purser.models.offline import OfflineModel

NOW = "2026-11-16T00:00:00Z"


def account(**overrides: Any) -> dict[str, Any]:
    """A lookup_account result: Pro monthly, six monthly $20.00 charges (June..November 2026)."""
    plans = [
        {
            "id": "basic-monthly",
            "name": "Basic",
            "amount": "10.00",
            "currency": "usd",
            "interval": "month",
            "per_seat": False,
        },
        {
            "id": "pro-monthly",
            "name": "Pro",
            "amount": "20.00",
            "currency": "usd",
            "interval": "month",
            "per_seat": False,
        },
        {
            "id": "business-monthly",
            "name": "Business",
            "amount": "50.00",
            "currency": "usd",
            "interval": "month",
            "per_seat": False,
        },
        {
            "id": "team-monthly",
            "name": "Team",
            "amount": "12.00",
            "currency": "usd",
            "interval": "month",
            "per_seat": True,
        },
        {
            "id": "pro-yearly",
            "name": "Pro",
            "amount": "200.00",
            "currency": "usd",
            "interval": "year",
            "per_seat": False,
        },
    ]
    months = ["06", "07", "08", "09", "10", "11"]
    charges = [
        {
            "id": f"ch_{m}",
            "amount": "20.00",
            "currency": "usd",
            "created": f"2026-{m}-01T00:00:05Z",
            "invoice": f"in_{m}",
            "invoice_number": f"PUR-000{i + 1}",
            "status": "succeeded",
            "refunded": "0.00",
            "refundable": "20.00",
            "disputed": False,
        }
        for i, m in enumerate(months)
    ][::-1]
    invoices = [
        {
            "id": f"in_{m}",
            "number": f"PUR-000{i + 1}",
            "created": f"2026-{m}-01T00:00:00Z",
            "total": "20.00",
            "tax": "0.00",
            "currency": "usd",
            "status": "paid",
            "attempts": 1,
        }
        for i, m in enumerate(months)
    ][::-1]
    data: dict[str, Any] = {
        "now": NOW,
        "customer": {
            "id": "cus_ana",
            "name": "Ana Silva",
            "email": "ana@example.com",
            "address": {"line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "PT"},
            "vat_id": None,
        },
        "subscription": {
            "id": "sub_ana",
            "plan": plans[1],
            "quantity": 1,
            "status": "active",
            "current_period_start": "2026-11-01T00:00:00Z",
            "current_period_end": "2026-12-01T00:00:00Z",
            "cancel_at_period_end": False,
            "resumes_at": None,
            "trial_end": None,
            "scheduled_plan": None,
            "scheduled_quantity": None,
        },
        "next_invoice": {"date": "2026-12-01T00:00:00Z", "amount": "20.00", "currency": "usd"},
        "payment_method": {"id": "pm_1", "brand": "visa", "last4": "4242", "exp": "2028-04", "expired": False},
        "past_due": None,
        "charges": charges,
        "invoices": invoices,
        "refunds": [],
        "plans": plans,
    }
    data.update(copy.deepcopy(overrides))
    return data


@dataclass
class Backend:
    """Records tool calls; writes answer needs_confirmation (or what `outcomes` scripts)."""

    account_data: dict[str, Any] = field(default_factory=account)
    outcomes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    counter: int = 0
    knowledge: Any = None
    """A `KnowledgeBase` for `search_knowledge`; None answers with one canned refund-window passage."""

    def outcome(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((action, args))
        if action == "lookup_account":
            return self.account_data
        scripted = self.outcomes.get(action)
        if scripted:
            result = dict(scripted.pop(0))
            result.setdefault("action", action)
            result.setdefault("action_id", f"act_{action}_{len(self.calls)}")
            return result
        self.counter += 1
        status = "succeeded" if action in ("preview_change", "handoff", "search_knowledge") else "needs_confirmation"
        if action == "handoff":
            status = "escalated"
        return {
            "action_id": f"act_{action}_{self.counter}",
            "action": action,
            "status": status,
            "summary": f"{action} {json.dumps(args, sort_keys=True)}",
            "quote": None,
            "result": None,
            "reason": None,
            "handoff_reason": args.get("reason"),
            "approval_id": None,
        }

    def writes(self) -> list[tuple[str, dict[str, Any]]]:
        """Calls other than lookups."""
        return [c for c in self.calls if c[0] not in ("lookup_account", "search_knowledge", "preview_change")]


def make_agent(backend: Backend) -> Agent[None, str]:
    """An Agent on OfflineModel with every catalog tool, answering from `backend`."""
    agent: Agent[None, str] = Agent(OfflineModel(), output_type=str)

    @agent.tool_plain
    def lookup_account() -> dict[str, Any]:
        """Look the customer's account up."""
        return backend.outcome("lookup_account", {})

    @agent.tool_plain
    def send_invoice(invoice: str, kind: str) -> dict[str, Any]:
        """Email an invoice or receipt."""
        return backend.outcome("send_invoice", {"invoice": invoice, "kind": kind})

    @agent.tool_plain
    def update_billing_details(
        name: str | None, email: str | None, vat_id: str | None, address: dict[str, str | None] | None
    ) -> dict[str, Any]:
        """Update billing details."""
        return backend.outcome(
            "update_billing_details", {"name": name, "email": email, "vat_id": vat_id, "address": address}
        )

    @agent.tool_plain
    def refund(charge_id: str, amount: str | None, reason: str | None) -> dict[str, Any]:
        """Refund a charge."""
        return backend.outcome("refund", {"charge_id": charge_id, "amount": amount, "reason": reason})

    @agent.tool_plain
    def preview_change(plan: str | None, quantity: int | None) -> dict[str, Any]:
        """Quote a change."""
        return backend.outcome("preview_change", {"plan": plan, "quantity": quantity})

    @agent.tool_plain
    def change_plan(plan: str) -> dict[str, Any]:
        """Change plan."""
        return backend.outcome("change_plan", {"plan": plan})

    @agent.tool_plain
    def change_seats(quantity: int) -> dict[str, Any]:
        """Change seats."""
        return backend.outcome("change_seats", {"quantity": quantity})

    @agent.tool_plain
    def retry_payment(invoice_id: str | None) -> dict[str, Any]:
        """Retry an open invoice."""
        return backend.outcome("retry_payment", {"invoice_id": invoice_id})

    @agent.tool_plain
    def payment_method_link() -> dict[str, Any]:
        """Card update link."""
        return backend.outcome("payment_method_link", {})

    @agent.tool_plain
    def pause(months: int) -> dict[str, Any]:
        """Pause."""
        return backend.outcome("pause", {"months": months})

    @agent.tool_plain
    def resume() -> dict[str, Any]:
        """Resume."""
        return backend.outcome("resume", {})

    @agent.tool_plain
    def cancel(reason: str | None) -> dict[str, Any]:
        """Cancel."""
        return backend.outcome("cancel", {"reason": reason})

    @agent.tool_plain
    def handoff(reason: str, summary: str) -> dict[str, Any]:
        """Hand off to a human."""
        return backend.outcome("handoff", {"reason": reason, "summary": summary})

    @agent.tool_plain
    def search_knowledge(query: str) -> dict[str, Any]:
        """Search the knowledge base."""
        backend.calls.append(("search_knowledge", {"query": query}))
        if backend.knowledge is not None:
            from purser.knowledge import search_tool_result

            return search_tool_result(backend.knowledge, query)
        return {
            "passages": [
                {
                    "document": "refunds.md",
                    "heading": "Refund window",
                    "text": "Charges can be refunded within 30 days.",
                }
            ]
        }

    return agent


@dataclass
class Chat:
    """A conversation with the offline model over the scripted back end."""

    backend: Backend = field(default_factory=Backend)
    history: list[ModelMessage] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.agent = make_agent(self.backend)

    def say(self, text: str) -> str:
        """Send a customer message; returns the model's reply text."""
        # asyncio.run closes its loop (run_sync would leave an unclosed one behind as the current loop).
        result = asyncio.run(self.agent.run(text, message_history=self.history))
        self.history = result.all_messages()
        self.replies.append(result.output)
        return result.output

    def pending(self) -> dict[str, Any] | None:
        """The last write outcome awaiting confirmation, if the last call was one."""
        for message in reversed(self.history):
            if isinstance(message, ModelResponse) and any(isinstance(p, TextPart) for p in message.parts):
                continue
            for part in getattr(message, "parts", []):
                content = getattr(part, "content", None)
                if isinstance(content, dict) and content.get("status") == "needs_confirmation":
                    return content
            if isinstance(message, ModelResponse) and any(isinstance(p, ToolCallPart) for p in message.parts):
                break
        return None

    def confirm(
        self,
        decision: str = "yes",
        status: str | None = None,
        summary: str = "done",
        result: dict[str, Any] | None = None,
    ) -> str:
        """Answer the pending confirmation the way the runtime does."""
        pending = self.pending()
        assert pending is not None, "nothing awaits confirmation"
        final = status or ("succeeded" if decision == "yes" else "declined")
        outcome = {**pending, "status": final, "summary": summary, "result": result}
        payload = {
            "action_id": pending["action_id"],
            "action": pending["action"],
            "decision": decision,
            "outcome": outcome,
        }
        return self.say("[confirmation] " + json.dumps(payload))

    def approve(self, action_id: str, status: str, summary: str) -> str:
        """Deliver a human's approval decision."""
        payload = {"action_id": action_id, "outcome": {"action_id": action_id, "status": status, "summary": summary}}
        return self.say("[approval] " + json.dumps(payload))
