"""How the gym talks to the agent: straight to the runtime, or through a channel as a platform would.

`RuntimeDriver` calls the runtime (the default). `purser eval --channel NAME` uses the channel's
harness (`purser.testing.channels`): each customer message becomes the platform's signed request,
each confirmation a button press as the platform posts it, and the agent's answer is read back
from what Purser posted to the platform's (local) API, so the public suite proves every channel.
Events come back as §7 JSON dicts either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from purser.app import Container

__all__ = ["ConversationDriver", "RuntimeDriver"]


class ConversationDriver(Protocol):
    """One customer's side of a conversation, plus the approver's button."""

    def start(self, customer_id: str, channel: str) -> str:
        """Begin a conversation for a verified customer; returns its id."""
        ...

    def message(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """The customer writes; returns the agent's events of that turn (§7 JSON)."""
        ...

    def confirm(self, conversation_id: str, action_id: str, decision: str) -> list[dict[str, Any]]:
        """The customer presses Confirm (`yes`) or Cancel (`no`) on a confirmation request."""
        ...

    def decide_approval(self, conversation_id: str, approval_id: str, *, approve: bool) -> list[dict[str, Any]]:
        """An approver decides; returns the events the customer then receives."""
        ...


def _dump(event: Any) -> dict[str, Any]:
    data = event.model_dump(mode="json")
    assert isinstance(data, dict)
    return data


class RuntimeDriver:
    """Talks to the runtime directly (no channel)."""

    def __init__(self, container: Container) -> None:
        self.runtime = container.runtime

    def start(self, customer_id: str, channel: str) -> str:
        """A conversation labelled with the scenario's channel."""
        return self.runtime.start(customer_id, channel=channel)

    def message(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """One message turn."""
        from purser.agent.events import CustomerMessage

        return [_dump(e) for e in self.runtime.handle(conversation_id, CustomerMessage(text=text))]

    def confirm(self, conversation_id: str, action_id: str, decision: str) -> list[dict[str, Any]]:
        """One confirmation turn."""
        from purser.agent.events import CustomerConfirm

        event = CustomerConfirm(action_id=action_id, decision="yes" if decision == "yes" else "no")
        return [_dump(e) for e in self.runtime.handle(conversation_id, event)]

    def decide_approval(self, conversation_id: str, approval_id: str, *, approve: bool) -> list[dict[str, Any]]:
        """The simulated approver's decision."""
        _, delivered = self.runtime.decide_approval(
            approval_id, approve=approve, approver="gym-approver", reason="simulated approver"
        )
        return [_dump(e) for e in delivered]
