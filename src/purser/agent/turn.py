"""One turn of the runtime, from the turn's read to its write (the runtime's public API is in runtime.py).

Per turn: the fresh account snapshot, routing to the cheap or strong model, the context, the tool loop
(our own for the offline model, pydantic-ai's agent graph otherwise; every tool call through the
gateway, whose writes are buffered in the turn's `TurnBatch`), outcomes turned into §7 events, and one
write committing messages, events, confirmations, usage, the gateway's batch and the latency row.
Safety in code: N consecutive failed tool calls, more than `max_steps` model requests in a turn, or
the per-conversation cost cap end the turn in a handoff.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic_ai.messages import ModelMessage, ModelResponse

from purser.actions.outcome import Outcome, Scope
from purser.agent.context import build_context
from purser.agent.events import AgentEvent, AgentMessage
from purser.agent.graph_loop import count_failures, run_graph
from purser.agent.offline_loop import LoopLimits, run_offline
from purser.agent.outcomes import (
    SortedEvents,
    customer_tier,
    handoff_event,
    one_reply,
    outcome_events,
    quote_amounts,
)
from purser.agent.streaming import DeltaRelay
from purser.agent.tools import TurnState
from purser.agent.transcript import encode_messages, without_instructions
from purser.domain import AccountSnapshot, CustomerId
from purser.models.cost import decimal_str, price_tokens
from purser.models.offline import OfflineModel
from purser.models.offline.languages import fold, language_of
from purser.models.routing import RoutingSignals, amounts_in_text, choose_tier, confidence_from_reply, largest
from purser.policy.escalation import detect_triggers
from purser.ports.actions import Action
from purser.ports.audit import AuditDraft
from purser.ports.conversations import (
    ConversationRecord,
    PendingConfirmation,
    TurnLatency,
    TurnLoad,
    TurnWrite,
    UsageRow,
)
from purser.ports.unit_of_work import TurnBatch, UnitOfWork
from purser.processors import ProcessorError

if TYPE_CHECKING:
    from pydantic_ai import Agent
    from pydantic_ai.models import Model

    from purser.actions.gateway import Gateway
    from purser.agent.live import LiveHub
    from purser.agent.transcript import ConversationStore
    from purser.knowledge import KnowledgeBase
    from purser.models.registry import ModelRegistry
    from purser.policy.schema import Policy
    from purser.processors import BillingProcessor

__all__ = ["HANDED_OFF_TEXT", "TurnAssembly", "TurnInput", "compact_outcome"]

HANDED_OFF_TEXT = "A teammate has this conversation now and will reply here."


class TurnAssembly:
    """The turn itself; `Runtime` (runtime.py) inherits it and sets these attributes in its constructor."""

    gateway: Gateway
    processor: BillingProcessor
    policy: Policy
    models: ModelRegistry
    knowledge: KnowledgeBase | None
    cost_cap: Decimal
    max_steps: int
    max_failures: int
    enforce_triggers: bool
    store: ConversationStore
    live: LiveHub
    _kinds: dict[str, str]
    _tool_functions: Any
    _agent: Agent[TurnState, str]

    async def _turn(
        self,
        turn: TurnInput,
        prompt: str,
        *,
        query: str | None,
        pre: list[Outcome],
        stake: Decimal | None = None,
    ) -> list[AgentEvent]:
        record = turn.load.record
        # A confirmation or approval that ended without executing anything (an approval requested, a
        # refusal) read the account to quote again: the billing system is still as it read it.
        quoted = self.gateway.take_quoted_snapshot(pre[0].action_id if pre else "")  # taken (dropped) either way
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
        if turn.actions is not None:
            batch.stored[record.id] = turn.actions  # read with the conversation: no read per proposal
        if record.handed_off:
            message = AgentMessage(text=HANDED_OFF_TEXT)
        else:
            snapshot, account = self._account(record.customer_id, quoted)
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
            without_instructions(new_messages)  # the next run sends its own: stored history needs none
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
        status: str | None = None
        handoff_reason: str | None = None
        handing_off = handoff is not None and not record.handed_off
        announced = handoff_event(handoff) if handoff is not None and handing_off else None
        # The customer's language labels the quick replies, whatever language the model answered in.
        language = language_of(fold(query)) if query else None
        events = one_reply(sorted_events.results, message, sorted_events.asks, announced, language=language)
        if handoff is not None and handing_off:
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

    def _append_audit(self, uow: UnitOfWork, draft: AuditDraft) -> None:
        """Audit records of a turn (e.g. a teammate's reply), inside the turn's write transaction."""
        self.gateway.audit.append(
            draft.kind,
            actor=draft.actor,
            data=draft.data,
            conversation_id=draft.conversation_id,
            action_id=draft.action_id,
            uow=uow,
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _account(
        self, customer_id: str, read: AccountSnapshot | None = None
    ) -> tuple[AccountSnapshot | None, dict[str, Any] | None]:
        """The customer's account (for the gateway) and its JSON (for the model's context); `read`: the
        account as read earlier in this turn with nothing written since (used when it is this customer's)."""
        if read is not None and read.customer.id == customer_id:
            return read, self.gateway.account_view(read)
        try:
            snapshot = self.processor.snapshot(CustomerId(customer_id))
        except ProcessorError:
            return None, None
        return snapshot, self.gateway.account_view(snapshot)  # shared with the turn's lookup_account call

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


class TurnInput:
    """What a turn carries from its read to its write."""

    __slots__ = ("actions", "answered", "events", "history", "kind", "load", "started")

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
        self.actions: list[Action] | None = None
        """The conversation's gateway actions, when the turn's read returned them."""


@functools.lru_cache(maxsize=1024)
def _detect_triggers(text: str, enabled: tuple[str, ...]) -> tuple[str, ...]:
    """`detect_triggers`, memoized: a pure function of the text and the enabled triggers."""
    return tuple(detect_triggers(text, list(enabled)))


_REASONS = ("dispute", "fraud", "legal_threat", "human_request", "abuse", "repeated_failure", "out_of_scope")


def compact_outcome(outcome: Outcome) -> dict[str, Any]:
    """An outcome as the model reads it in a control message (fields that are set)."""
    return {k: v for k, v in outcome.to_tool_result().items() if v is not None}


def _citations(passages: list[dict[str, str]]) -> list[Any]:
    if not passages:
        return []
    from purser.knowledge import citations_for

    return list(citations_for(passages))
