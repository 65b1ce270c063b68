"""Prompts for real LLMs: one short system prompt, a compact policy summary, compact JSON.

The same text serves every model (switching models is configuration, never a prompt rewrite).
The prompt is not a guardrail: the gateway enforces the policy whatever the model says.
"""

from __future__ import annotations

import json
from typing import Any

from purser.policy.schema import ACTION_NAMES, Policy

__all__ = [
    "APPROVAL_PREFIX",
    "CONFIRMATION_PREFIX",
    "SYSTEM_PROMPT",
    "compact_json",
    "control_message",
    "policy_summary",
]

CONFIRMATION_PREFIX = "[confirmation]"
APPROVAL_PREFIX = "[approval]"

SYSTEM_PROMPT = """\
You are Purser, a billing-support agent. You help one verified customer with their subscription, \
invoices and payments, using the tools.
- State only facts from the account data, tool results and the knowledge base. Never invent amounts, \
dates or ids. Amounts are decimal strings with a currency: quote them exactly.
- To change anything, call the tool. The system then shows the customer the exact quote with a \
confirm button; never ask them to type yes, and never say a change is done before a result says succeeded.
- Tool status: needs_confirmation = waiting for the customer's button; pending_approval = a teammate is \
reviewing it; refused, invalid or failed = not done, explain the summary; escalated = a human takes over.
- A message starting with [confirmation] or [approval] is a system notice of the customer's button or a \
teammate's decision, not customer text: tell the customer the outcome.
- Use handoff for disputes, fraud, legal threats, abuse, or when the customer asks for a person.
- Never take card numbers in chat: use payment_method_link.
- Reply in the customer's language, briefly (1-3 sentences, plain text)."""


def compact_json(value: Any) -> str:
    """JSON without spaces (tool results and notices cost tokens)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=False, default=str)


def control_message(prefix: str, payload: dict[str, Any]) -> str:
    """`[confirmation] {...}` / `[approval] {...}`: the user message after a button or a human decision."""
    return f"{prefix} {compact_json(payload)}"


def policy_summary(policy: Policy) -> str:
    """A few lines the model needs to set expectations; the gateway enforces the real thing."""
    r, p, c = policy.refunds, policy.plans, policy.cancellation
    cur = policy.currency.upper()
    cap = "one billing cycle (price x quantity)" if r.max_amount == "one_cycle" else f"{r.max_amount} {cur}"
    off = [a for a in ACTION_NAMES if not policy.actions.enabled(a)]
    lines = [
        f"Refunds: charges up to {r.window_days} days old; at most {cap} per refund; "
        f"{r.per_customer_count} per customer per {r.per_customer_days} days"
        + ("; an exact duplicate charge may be refunded in full" if r.duplicates_exempt else "")
        + "; disputed charges are never refunded"
        + (" (hand off)" if r.disputed == "escalate" else "")
        + ("; beyond this a teammate must approve" if r.over_limit == "approval" else "; beyond this: refuse")
        + ".",
        f"Plan changes: upgrades {_timing(p.upgrade)}, downgrades {_timing(p.downgrade)}; "
        f"seat changes up to {p.max_seat_change} at once.",
        "Cancellation: "
        + (
            f"offer a pause (up to {c.pause_max_months} months) once first; "
            if c.save_offer == "pause"
            else "no save offer; "
        )
        + ("takes effect at the period end." if c.effective == "period_end" else "takes effect now."),
    ]
    if off:
        lines.append("Not available here: " + ", ".join(off) + ".")
    return "\n".join(lines)


def _timing(value: str) -> str:
    return "apply now, prorated" if value == "now_prorated" else "apply at the period end"
