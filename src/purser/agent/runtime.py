"""The conversation runtime: customer events in, §7 agent events out, everything persisted.

Per turn: build the context (policy summary, knowledge, fresh account snapshot), route to the
cheap or strong model, run pydantic-ai's tool loop with the catalog's tools (every call through
the gateway), turn outcomes into events, and commit messages, events, confirmations and usage
in one transaction. Safety in code: N consecutive failed tool calls, more than `max_steps`
model requests in a turn, or the per-conversation cost cap end the turn in a handoff.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage

from purser.actions.outcome import Scope
from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage
from purser.agent.graph_loop import UNAVAILABLE_TEXT
from purser.agent.live import LiveHub, LiveQueue, loop_runner
from purser.agent.outcomes import quote_amounts
from purser.agent.prompts import APPROVAL_PREFIX, CONFIRMATION_PREFIX, control_message
from purser.agent.tools import TurnState, build_tools, tool_functions
from purser.agent.transcript import ConversationStore
from purser.agent.turn import HANDED_OFF_TEXT, TurnAssembly, TurnInput, compact_outcome
from purser.domain import CustomerId
from purser.errors import PurserError
from purser.models.cost import Usage
from purser.models.registry import ModelRegistry
from purser.models.routing import largest
from purser.policy.escalation import REPEATED_FAILURE_THRESHOLD
from purser.ports.conversations import (
    ConversationNotFound,
    ConversationRecord,
    ConversationStoreFactory,
    PendingConfirmation,
    TranscriptEntry,
    TurnLoad,
)
from purser.processors import ProcessorError

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from purser.actions.gateway import Gateway
    from purser.agent.human import HumanReply
    from purser.config import Settings
    from purser.knowledge import KnowledgeBase
    from purser.policy.schema import Policy
    from purser.processors import BillingProcessor
    from purser.store.db import Database

__all__ = ["HANDED_OFF_TEXT", "UNAVAILABLE_TEXT", "Runtime", "RuntimeInputError", "TurnCheck", "UnknownConversation"]

MAX_STEPS = 20


class RuntimeInputError(PurserError, ValueError):
    """A customer event or decision that cannot apply (unknown conversation, action, approval); nothing changed."""

    code = "cannot_apply"
    status = 409


class UnknownConversation(ConversationNotFound, RuntimeInputError):
    """No conversation with that id (a `RuntimeInputError` for callers that catch those); nothing changed."""

    code = "conversation_not_found"
    status = 404


TurnCheck = Callable[[ConversationRecord], None]
"""Called with the conversation as the turn read it, before anything runs (e.g. the web layer's identity
check); an exception it raises ends the turn with nothing written."""


class Runtime(TurnAssembly):
    """Conversations between verified customers and the agent (docs/CONTRACTS.md)."""

    def __init__(
        self,
        db: Database,
        gateway: Gateway,
        *,
        models: ModelRegistry,
        knowledge: KnowledgeBase | None = None,
        cost_cap_usd: str = "0.50",
        max_steps: int = MAX_STEPS,
        max_failures: int = REPEATED_FAILURE_THRESHOLD,
        enforce_triggers: bool = True,
        units: ConversationStoreFactory | None = None,
    ) -> None:
        self.db = db
        self.gateway = gateway
        self.processor: BillingProcessor = gateway.processor
        self.policy: Policy = gateway.policy
        self.models = models
        models.check()  # a missing key or package fails here, never after a customer's confirmation ran
        self.knowledge = knowledge
        self.cost_cap = Decimal(cost_cap_usd)
        self.max_steps = max_steps
        self.max_failures = max_failures
        self.enforce_triggers = enforce_triggers
        if units is None:
            # The bootstrap may pass a unit-of-work factory; without one, the gateway's (on the same store).
            units = gateway.uow
        self.store = ConversationStore(units, audit=self._append_audit)
        self.live = LiveHub()
        specs = gateway.tools()
        self._kinds = {spec.name: spec.kind for spec in specs}
        self._tool_functions = tool_functions(specs, gateway, knowledge)
        self._agent: Agent[TurnState, str] = Agent(
            None,
            deps_type=TurnState,
            output_type=str,
            tools=build_tools(specs, gateway, knowledge),
            retries={"tools": max_steps + 5, "output": 2},
            name="purser",
            defer_model_check=True,
        )
        # One lock per conversation while anyone holds or waits for it (no growth in a long-running server).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        db: Database,
        processor: BillingProcessor,
        gateway: Gateway,
        policy: Policy,
        knowledge: KnowledgeBase | None,
        model: Model | None = None,
        units: ConversationStoreFactory | None = None,
    ) -> Runtime:
        """Wire from the configuration (`model` overrides every configured model, e.g. in tests)."""
        del processor, policy  # the gateway carries both
        return cls(
            db,
            gateway,
            models=ModelRegistry.from_settings(settings, override=model),
            knowledge=knowledge,
            cost_cap_usd=settings.cost_cap_usd,
            units=units,
        )

    # -- public API (sync wrappers run on the shared runtime loop) ------------------------------
    def start(self, customer_id: str, channel: str = "web") -> str:
        """A new conversation with a verified customer; raises `RuntimeInputError` for an unknown customer."""
        try:
            # The customer alone: the first turn reads the account itself, fresh.
            self.processor.get_customer(CustomerId(customer_id))
        except ProcessorError as exc:
            raise RuntimeInputError(f"customer {customer_id!r}: {exc}") from None
        return self.store.create(customer_id, channel)

    def handle(self, conversation_id: str, event: CustomerMessage | CustomerConfirm) -> list[AgentEvent]:
        """One customer event → the agent's events for that turn."""
        return loop_runner().run(self._handle(conversation_id, event))

    async def ahandle(
        self,
        conversation_id: str,
        event: CustomerMessage | CustomerConfirm,
        *,
        check: TurnCheck | None = None,
        measure: bool = False,
    ) -> list[AgentEvent]:
        """`handle` for async callers.

        `check(record)` runs right after the turn's one read (the web's identity check); with
        `measure`, the turn's latency row (`web_turns`) is written in the turn's transaction.
        """
        started = time.perf_counter() if measure else None
        return await loop_runner().run_async(self._handle(conversation_id, event, check=check, started=started))

    def decide_approval(
        self, approval_id: str, *, approve: bool, approver: str, reason: str
    ) -> tuple[str, list[AgentEvent]]:
        """A human's decision, delivered to its conversation: (conversation id, events delivered there)."""
        return loop_runner().run(self._decide(approval_id, approve, approver, reason))

    async def adecide_approval(
        self, approval_id: str, *, approve: bool, approver: str, reason: str
    ) -> tuple[str, list[AgentEvent]]:
        """`decide_approval` for async callers."""
        return await loop_runner().run_async(self._decide(approval_id, approve, approver, reason))

    async def ahuman_reply(self, conversation_id: str, text: str, *, author: str) -> HumanReply:
        """A teammate's reply in a handed-off conversation (`purser.agent.human.reply`)."""
        from purser.agent.human import reply

        return await loop_runner().run_async(reply(self, conversation_id, text, author))

    async def arelease(self, conversation_id: str, *, author: str) -> str:
        """Hand a handed-off conversation back to the agent (`purser.agent.human.release`)."""
        from purser.agent.human import release

        return await loop_runner().run_async(release(self, conversation_id, author))

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Every event of the conversation (after transcript position `after`), in order."""
        self.conversation(conversation_id)
        return self.store.transcript(conversation_id, after=after)

    def usage(self, conversation_id: str, *, turn: int | None = None) -> Usage:
        """Tokens and cost (decimal string, USD) of the conversation or one turn, per model."""
        return self.store.usage(conversation_id, turn=turn)

    def conversation(self, conversation_id: str) -> ConversationRecord:
        """The conversation's record; raises `UnknownConversation` (a `RuntimeInputError`) when unknown."""
        try:
            return self.store.get(conversation_id)
        except ConversationNotFound as exc:
            raise UnknownConversation(str(exc)) from None

    def conversations(self, *, limit: int, offset: int = 0) -> list[ConversationRecord]:
        """Conversations, most recently active first."""
        return self.store.recent(limit=limit, offset=offset)

    def pending_confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Confirmation requests still waiting for the customer's button."""
        return self.store.pending_confirmations(conversation_id)

    def subscribe(
        self, conversation_id: str, callback: Callable[[str, list[Any]], None], *, transient: bool = False
    ) -> Callable[[], None]:
        """Live delivery: `callback(conversation_id, events)` after each persisted batch; returns unsubscribe.

        `transient=True` also delivers `MessageDelta`s while a reply streams (and makes the turn stream).
        """
        return self.live.subscribe(conversation_id, callback, transient=transient)

    def queue(self, conversation_id: str) -> LiveQueue:
        """Live delivery as an asyncio queue on the caller's loop (`await q.get()`, `q.close()`)."""
        return self.live.queue(conversation_id)

    # -- turns ------------------------------------------------------------------------------------
    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    def _load(self, conversation_id: str) -> tuple[TurnLoad, list[ModelMessage]]:
        try:
            return self.store.load(conversation_id)
        except ConversationNotFound as exc:
            raise UnknownConversation(str(exc)) from None

    async def _handle(
        self,
        conversation_id: str,
        event: CustomerMessage | CustomerConfirm,
        *,
        check: TurnCheck | None = None,
        started: float | None = None,
    ) -> list[AgentEvent]:
        async with self._lock(conversation_id):
            if isinstance(event, CustomerMessage):
                # Nothing writes the conversation's actions before this turn's proposals: they are
                # read with the conversation, in the turn's one read.
                try:
                    load, history, actions = self.store.load_with_actions(conversation_id)
                except ConversationNotFound as exc:
                    raise UnknownConversation(str(exc)) from None
            else:
                # The answered action is read with the conversation (the gateway's write re-checks it).
                try:
                    load, history, answered = self.store.load_with_action(conversation_id, event.action_id)
                except ConversationNotFound as exc:
                    raise UnknownConversation(str(exc)) from None
                actions = None
            record = load.record
            if check is not None:
                check(record)
            turn = TurnInput(load, history, [("customer", event.model_dump(mode="json"))], started, event.type)
            if isinstance(event, CustomerMessage):
                turn.actions = actions
                return await self._turn(turn, event.text, query=event.text, pre=[])
            conf = load.confirmation(event.action_id)
            if conf is None:
                raise RuntimeInputError(f"no confirmation {event.action_id!r} is pending in this conversation")
            if conf.status != "pending":
                raise RuntimeInputError(f"confirmation {event.action_id!r} was already answered ({conf.status})")
            scope = Scope(conversation_id, CustomerId(record.customer_id), record.channel, "customer")
            outcome = self.gateway.confirm(scope, event.action_id, event.decision, row=answered)
            turn.answered.append((event.action_id, event.decision))
            payload = {
                "action_id": event.action_id,
                "action": conf.action,
                "decision": event.decision,
                "outcome": compact_outcome(outcome),
            }
            stake = largest(quote_amounts(conf.quote))
            prompt = control_message(CONFIRMATION_PREFIX, payload)
            return await self._turn(turn, prompt, query=None, pre=[outcome], stake=stake)

    async def _decide(
        self, approval_id: str, approve: bool, approver: str, reason: str
    ) -> tuple[str, list[AgentEvent]]:
        request = self.gateway.approval(approval_id)
        if request is None:
            raise RuntimeInputError(f"no approval request {approval_id!r}")
        cid = request.conversation_id
        async with self._lock(cid):
            # Read before deciding: an unknown conversation changes nothing. Deciding writes only the
            # gateway's records, so what was read stays the conversation's state (its lock is held).
            load, history = self._load(cid)
            outcome = self.gateway.decide_approval(approval_id, approve=approve, approver=approver, reason=reason)
            if outcome.status == "refused" and outcome.reason in ("unknown_approval", "already_decided"):
                raise RuntimeInputError(f"approval {approval_id!r}: {outcome.summary}")
            if outcome.status == "pending_approval":
                return cid, []  # a first signature of a two-person approval: nothing resumes yet
            payload = {
                "approval_id": approval_id,
                "action_id": request.action_id,
                "action": request.action,
                "decision": "approved" if approve else "denied",
                "reason": reason,
                "outcome": compact_outcome(outcome),
            }
            prompt = control_message(APPROVAL_PREFIX, payload)
            events = await self._turn(TurnInput(load, history, []), prompt, query=None, pre=[outcome], stake=None)
            return cid, events
