"""The conversation runtime: customer events in, §7 agent events out, everything persisted.

Per turn: build the context (policy summary, knowledge, fresh account snapshot), route to the
cheap or strong model, run pydantic-ai's tool loop with the catalog's tools (every call through
the gateway), turn outcomes into events, and commit messages, events, confirmations and usage
in one transaction. Safety in code: N consecutive failed tool calls, more than `max_steps`
model requests in a turn, or the per-conversation cost cap end the turn in a handoff.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
)

from purser.actions.lookup_account import account_json
from purser.actions.outcome import Outcome, Scope
from purser.agent.context import build_context
from purser.agent.events import AgentEvent, AgentMessage, CustomerConfirm, CustomerMessage
from purser.agent.graph_loop import UNAVAILABLE_TEXT, count_failures, run_graph
from purser.agent.live import LiveHub, LiveQueue, loop_runner
from purser.agent.offline_loop import LoopLimits, run_offline
from purser.agent.outcomes import SortedEvents, customer_tier, handoff_event, outcome_events, quote_amounts
from purser.agent.prompts import APPROVAL_PREFIX, CONFIRMATION_PREFIX, control_message
from purser.agent.streaming import DeltaRelay
from purser.agent.tools import TurnState, build_tools, tool_functions
from purser.agent.transcript import ConversationStore, encode_messages
from purser.domain import AccountSnapshot, CustomerId
from purser.errors import PurserError
from purser.models.cost import Usage, decimal_str, price_tokens
from purser.models.offline import OfflineModel
from purser.models.registry import ModelRegistry
from purser.models.routing import RoutingSignals, amounts_in_text, choose_tier, confidence_from_reply, largest
from purser.policy.escalation import REPEATED_FAILURE_THRESHOLD, detect_triggers
from purser.ports.audit import AuditDraft
from purser.ports.conversations import (
    ConversationNotFound,
    ConversationRecord,
    ConversationStoreFactory,
    PendingConfirmation,
    TranscriptEntry,
    TurnLatency,
    TurnLoad,
    TurnWrite,
    UsageRow,
)
from purser.ports.unit_of_work import TurnBatch
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

__all__ = ["UNAVAILABLE_TEXT", "Runtime", "RuntimeInputError", "TurnCheck", "UnknownConversation"]

MAX_STEPS = 20
HANDED_OFF_TEXT = "A teammate has this conversation now and will reply here."


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


class Runtime:
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
            self.processor.snapshot(CustomerId(customer_id))
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
            load, history = self._load(conversation_id)
            record = load.record
            if check is not None:
                check(record)
            turn = _Turn(load, history, [("customer", event.model_dump(mode="json"))], started, event.type)
            if isinstance(event, CustomerMessage):
                return await self._turn(turn, event.text, query=event.text, pre=[])
            conf = load.confirmation(event.action_id)
            if conf is None:
                raise RuntimeInputError(f"no confirmation {event.action_id!r} is pending in this conversation")
            if conf.status != "pending":
                raise RuntimeInputError(f"confirmation {event.action_id!r} was already answered ({conf.status})")
            scope = Scope(conversation_id, CustomerId(record.customer_id), record.channel, "customer")
            outcome = self.gateway.confirm(scope, event.action_id, event.decision)
            turn.answered.append((event.action_id, event.decision))
            payload = {
                "action_id": event.action_id,
                "action": conf.action,
                "decision": event.decision,
                "outcome": _compact(outcome),
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
            payload = {
                "approval_id": approval_id,
                "action_id": request.action_id,
                "action": request.action,
                "decision": "approved" if approve else "denied",
                "reason": reason,
                "outcome": _compact(outcome),
            }
            prompt = control_message(APPROVAL_PREFIX, payload)
            events = await self._turn(_Turn(load, history, []), prompt, query=None, pre=[outcome], stake=None)
            return cid, events

    async def _turn(
        self,
        turn: _Turn,
        prompt: str,
        *,
        query: str | None,
        pre: list[Outcome],
        stake: Decimal | None = None,
    ) -> list[AgentEvent]:
        record = turn.load.record
        sorted_events = SortedEvents()
        for outcome in pre:
            sorted_events.add(outcome_events(outcome, self._kinds.get(outcome.action)))
        failures = record.consecutive_failures
        handoff: Outcome | None = next((o for o in pre if o.status == "escalated" or o.handoff_reason), None)
        message: AgentMessage | None = None
        new_messages: list[ModelMessage] = []
        usage: tuple[UsageRow, ...] = ()
        new_confirmations: list[PendingConfirmation] = []
        batch = TurnBatch()  # the gateway's writes of this turn, committed with it
        if record.handed_off:
            message = AgentMessage(text=HANDED_OFF_TEXT)
        else:
            snapshot, account = self._account(record.customer_id)
            pending = turn.load.pending
            signals = RoutingSignals(
                money_at_stake=largest(
                    [
                        stake,
                        *(amounts_in_text(query) if query else []),
                        *[a for c in pending for a in quote_amounts(c.quote)],
                        *quote_amounts((account or {}).get("past_due") or {}),
                    ]
                ),
                confidence=None if record.last_reply is None else confidence_from_reply(record.last_reply),
                consecutive_failures=failures,
                customer_tier=customer_tier(account, self.models.routing.strong_tiers),
            )
            resolved = self.models.resolve(choose_tier(self.models.routing, signals).tier)
            scope = Scope(record.id, CustomerId(record.customer_id), record.channel, resolved.name)
            triggers = self._triggers(query)
            context = build_context(
                policy=self.policy,
                knowledge=self.knowledge,
                account=account,
                query=query,
                budget_tokens=resolved.context_tokens,
            )
            instructions = context.instructions
            if triggers:
                instructions += (
                    f"\n\nThe customer's message shows: {', '.join(triggers)}. "
                    f"Call handoff with reason {triggers[0]} and tell them a teammate will reply."
                )
            state = TurnState(scope=scope, kinds=self._kinds, snapshot=snapshot, batch=batch)
            spent = Decimal(record.cost_usd)
            text, new_messages, stop, failures = await self._run_model(
                record, turn.history, prompt, instructions, resolved.model, state, spent, failures
            )
            usage = self._usage_rows(new_messages, record.turns + 1)
            known = {c.action_id for c in turn.load.confirmations}
            for outcome in state.outcomes:
                sorted_events.add(outcome_events(outcome, self._kinds.get(outcome.action)))
                if outcome.status == "needs_confirmation" and outcome.action_id not in known:
                    known.add(outcome.action_id)
                    new_confirmations.append(
                        PendingConfirmation(
                            outcome.action_id, record.id, outcome.action, outcome.summary, outcome.quote, "pending"
                        )
                    )
            handoff = handoff or state.handoff
            acted = any(self._kinds.get(o.action, "read") not in ("read", "control") for o in state.outcomes)
            if handoff is None and stop is None and triggers and not acted:
                # The model neither handed off nor worked on a billing action: the code-side detection decides.
                stop = triggers[0]
            if handoff is None and stop is not None:
                summary = f"Stopped: {stop}. Customer wrote: {(query or prompt)[:400]}"
                reason = stop if stop in _REASONS else "out_of_scope"
                handoff = self.gateway.escalate(scope, reason, summary, batch=batch)
                if text is None or stop in ("repeated_failure", "step_limit", "cost_cap", "unavailable"):
                    text = handoff.summary
            if text:
                message = AgentMessage(text=text, citations=_citations(state.passages))
        events: list[AgentEvent] = [*sorted_events.results]
        if message is not None:
            events.append(message)
        events.extend(sorted_events.asks)
        status: str | None = None
        handoff_reason: str | None = None
        if handoff is not None and not record.handed_off:
            events.append(handoff_event(handoff))
            status = "handed_off"
            handoff_reason = handoff.handoff_reason or "out_of_scope"
        cost = sum((Decimal(u.cost_usd) for u in usage), Decimal(0))
        latency = None
        if turn.started is not None:
            elapsed = int((time.perf_counter() - turn.started) * 1000)
            latency = TurnLatency(turn.kind, 200, elapsed, len(events))
        write = TurnWrite(
            turn=record.turns + 1,
            messages=encode_messages(new_messages),
            events=(*turn.events, *(("agent", e.model_dump(mode="json")) for e in events)),
            new_confirmations=tuple(new_confirmations),
            answered=tuple(turn.answered),
            usage=usage,
            status=status,
            handoff_reason=handoff_reason,
            consecutive_failures=failures,
            cost_usd=decimal_str(Decimal(record.cost_usd) + cost) if usage else None,
            last_reply=message.text if message is not None else None,
            latency=latency,
        )
        self.store.commit_turn(record, write, history=turn.history, new=new_messages, batch=batch)
        self.live.publish(record.id, events)
        return events

    async def _run_model(
        self,
        record: ConversationRecord,
        history: Sequence[ModelMessage],
        prompt: str,
        instructions: str,
        model: Model,
        state: TurnState,
        spent: Decimal,
        failures: int,
    ) -> tuple[str | None, list[ModelMessage], str | None, int]:
        """Run the tool loop; returns (final text, new messages, stop reason, consecutive failures)."""
        if spent >= self.cost_cap:
            return None, [], "cost_cap", failures
        relay = DeltaRelay.for_turn(self.live, record.id, model)  # None: nobody listens, or the model can't stream
        limits = LoopLimits(self.max_steps, self.max_failures, self.max_steps + 5, self.cost_cap, spent)
        if isinstance(model, OfflineModel):
            # The offline model needs none of the agent graph: our own loop builds the same messages.
            result = await run_offline(
                model,
                history=history,
                prompt=prompt,
                instructions=instructions,
                tools=self._tool_functions,
                state=state,
                limits=limits,
                failures=failures,
                count_failures=count_failures,
                cost_of=lambda response: self._price(response)[1],
                relay=relay,
            )
        else:
            result = await run_graph(
                self._agent,
                model,
                history=history,
                prompt=prompt,
                instructions=instructions,
                state=state,
                limits=limits,
                failures=failures,
                cost_of=self._cost,
                relay=relay,
            )
        return result.text, result.messages, result.stop, result.failures

    def _append_audit(self, uow: Any, draft: AuditDraft) -> None:
        """Audit records of a turn (e.g. a teammate's reply), inside the turn's write transaction."""
        self.gateway.audit.append(
            draft.kind,
            actor=draft.actor,
            data=draft.data,
            conversation_id=draft.conversation_id,
            action_id=draft.action_id,
            conn=uow.connection,
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _account(self, customer_id: str) -> tuple[AccountSnapshot | None, dict[str, Any] | None]:
        """The customer's account (for the gateway) and its JSON (for the model's context)."""
        try:
            snapshot = self.processor.snapshot(CustomerId(customer_id))
        except ProcessorError:
            return None, None
        return snapshot, account_json(snapshot)

    def _triggers(self, text: str | None) -> list[str]:
        if not text or not self.enforce_triggers:
            return []
        enabled = tuple(t for t in self.policy.escalation.triggers if t != "repeated_failure")
        return list(_detect_triggers(text, enabled))

    def _price(self, response: ModelResponse) -> tuple[str, Decimal, bool]:
        entry = self.models.entry_for_response(response.model_name)
        name = entry.name if entry else (response.model_name or "unknown")
        provider = response.provider_name or (entry.provider if entry else None)
        cost, priced = price_tokens(
            response.usage, response.model_name or name, provider=provider, base_url=response.provider_url
        )
        return name, cost, priced

    def _cost(self, messages: list[ModelMessage]) -> Decimal:
        return sum((self._price(m)[1] for m in messages if isinstance(m, ModelResponse)), Decimal(0))

    def _usage_rows(self, messages: list[ModelMessage], turn: int) -> tuple[UsageRow, ...]:
        rows: dict[str, dict[str, Any]] = {}
        for m in messages:
            if not isinstance(m, ModelResponse):
                continue
            name, cost, priced = self._price(m)
            row = rows.setdefault(
                name,
                {
                    "model": name,
                    "requests": 0,
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "cost": Decimal(0),
                    "priced": True,
                },
            )
            row["requests"] += 1
            row["input_tokens"] += m.usage.input_tokens
            row["output_tokens"] += m.usage.output_tokens
            row["cost"] += cost
            row["priced"] = row["priced"] and priced
        return tuple(
            UsageRow(
                model=row["model"],
                requests=row["requests"],
                input_tokens=row["input_tokens"],
                output_tokens=row["output_tokens"],
                cost_usd=decimal_str(row["cost"]),
                priced=row["priced"],
                turn=turn,
            )
            for row in rows.values()
        )


class _Turn:
    """What a turn carries from its read to its write."""

    __slots__ = ("answered", "events", "history", "kind", "load", "started")

    def __init__(
        self,
        load: TurnLoad,
        history: list[ModelMessage],
        events: list[tuple[str, dict[str, Any]]],
        started: float | None = None,
        kind: str = "approval",
    ) -> None:
        self.load = load
        self.history = history
        self.events = events
        self.answered: list[tuple[str, str]] = []
        self.started = started
        self.kind = kind


@functools.lru_cache(maxsize=1024)
def _detect_triggers(text: str, enabled: tuple[str, ...]) -> tuple[str, ...]:
    """`detect_triggers`, memoized: a pure function of the text and the enabled triggers."""
    return tuple(detect_triggers(text, list(enabled)))


_REASONS = ("dispute", "fraud", "legal_threat", "human_request", "abuse", "repeated_failure", "out_of_scope")


def _compact(outcome: Outcome) -> dict[str, Any]:
    return {k: v for k, v in outcome.to_tool_result().items() if v is not None}


def _citations(passages: list[dict[str, str]]) -> list[Any]:
    if not passages:
        return []
    from purser.knowledge import citations_for

    return list(citations_for(passages))
