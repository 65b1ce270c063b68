"""An LLM that plays the customer from the scenario's `goal` (`purser eval --user-model NAME`).

tau-bench style: the model sees who it is and what it wants, and the conversation so far; it
writes the customer's next message, or `###STOP###` when the goal is reached or cannot be. The
scripted turns are given as an example of how this customer talks. Confirmations and approvals
stay structured (answered by `confirm` and `approver`), never left to the model.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_ai import Agent

from purser.gym.judge import Conversation
from purser.gym.scenario import Scenario

STOP = "###STOP###"
MAX_TURNS = 10

INSTRUCTIONS = """You are role-playing a customer who writes to a billing support chat.
Stay in character: write only the customer's next message, in the first person, briefly, as a
real customer would. Never invent account data you were not given. Do not play the agent.
When your goal is done, or clearly cannot be done, or the agent handed you to a human, reply
with exactly {stop} and nothing else.

Who you are and what you want:
{goal}

How you talk (your scripted messages, for tone and facts):
{turns}
"""


class LLMCustomer:
    """The customer's messages written by a model, from `goal`."""

    def __init__(self, scenario: Scenario, model: Any) -> None:
        turns = "\n".join(f"- {t}" for t in scenario.turns)
        self._agent: Agent[None, str] = Agent(
            model, instructions=INSTRUCTIONS.format(stop=STOP, goal=scenario.goal or scenario.title, turns=turns)
        )
        self._sent = 0
        self._max = max(MAX_TURNS, len(scenario.turns) + 2)

    def next_message(self, conv: Conversation) -> str | None:
        """The model's next customer message; None when it says it is done."""
        if self._sent >= self._max:
            return None
        if self._sent and any(ev.get("type") == "handoff" for ev in conv.agent_events):
            return None
        prompt = _render(conv) if conv.log else "Write your first message to the support chat."
        # asyncio.run closes its loop; Agent.run_sync would leave a fresh unclosed loop as the thread's current one.
        result = asyncio.run(self._agent.run(prompt))
        text = str(result.output).strip()
        if not text or STOP in text:
            return None
        self._sent += 1
        return text[:4000]


def _render(conv: Conversation) -> str:
    lines = ["The conversation so far:"]
    for ev in conv.log:
        who = ev.get("from")
        kind = ev.get("type")
        if who == "customer" and kind == "message":
            lines.append(f"YOU: {ev.get('text')}")
        elif who == "customer" and kind == "confirm":
            lines.append(f"YOU (clicked a button): {ev.get('decision')}")
        elif kind == "message":
            lines.append(f"AGENT: {ev.get('text')}")
        elif kind in ("confirmation_request", "action_result", "approval_pending", "handoff"):
            lines.append(f"AGENT [{kind}]: {ev.get('summary')}")
    lines.append("Write your next message (or the stop word).")
    return "\n".join(lines)


__all__ = [
    "INSTRUCTIONS",
    "MAX_TURNS",
    "STOP",
    "LLMCustomer",
]
