"""The channel service: one path from any platform to the runtime and back (DESIGN §9).

    platform ──signed request──> web /channels/{name}/...  ──RawRequest──> ChannelService.areceive
        adapter.receive: verify, parse  ──> answer the platform at once (Slack: within 3 s)
        replays dropped (channel, event id), approvers checked       ──> 401/403 and nothing recorded
        background: Inbound        → linked? runtime turn in the thread's conversation
                                     unlinked? knowledge-base answer / self-service code flow
                    ApprovalDecision → runtime.adecide_approval as the approver
                    TeamReply        → runtime.ahuman_reply (the customer hears it in their channel)
    runtime publishes a conversation's events ──> deliveries: the thread's adapter renders and sends
                                              ──> the team desk (Slack): handoffs, approval requests

Deliveries follow the runtime's live events, so everything a conversation receives later (an
approval's outcome, a teammate's reply from the dashboard or from Slack) reaches the customer's own
channel the same way as a turn's reply. Each conversation's deliveries run in order on one of a few
delivery threads, never on the runtime's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from purser.agent.events import AgentEvent, ApprovalPending, CustomerConfirm, CustomerMessage, Handoff
from purser.agent.live import loop_runner
from purser.channels.base import (
    ApprovalDecision,
    Channel,
    ChannelDeliveryError,
    ChannelForbidden,
    ChannelNotConfigured,
    ChannelResponse,
    Inbound,
    RawRequest,
    TeamDesk,
    TeamReply,
    Work,
)
from purser.channels.identity import ChannelIdentity, find_code, find_email
from purser.domain.dates import iso_utc
from purser.errors import PurserError
from purser.ports.channels import ChannelName, ChannelRepository, ChannelThread

if TYPE_CHECKING:
    from purser.actions.gateway import Gateway
    from purser.agent.runtime import Runtime
    from purser.knowledge import KnowledgeBase

__all__ = ["ApproverLookup", "ChannelService", "canonical"]

log = logging.getLogger("purser.channels")

ApproverLookup = Callable[[ChannelName, str], str | None]
"""(channel, platform user) → the approver's name, or None when they may not decide approvals."""

DELIVERY_THREADS = 4
DELIVERY_ATTEMPTS = 3
LINK_HINT = "To see or change your billing here, reply with the email address on your account."
STALE_BUTTON = "That button is no longer active: the request was already answered or has expired."


def canonical(address: Mapping[str, Any]) -> str:
    """An address as the canonical JSON text stored with a thread."""
    return json.dumps(dict(address), sort_keys=True, separators=(",", ":"))


class ChannelService:
    """Receives platform requests for every configured channel and delivers the agent's events back."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        gateway: Gateway,
        repo: ChannelRepository,
        identity: ChannelIdentity,
        adapters: Mapping[ChannelName, Channel],
        knowledge: KnowledgeBase | None = None,
        team: TeamDesk | None = None,
        approvers: ApproverLookup = lambda _channel, _user: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.runtime = runtime
        self.gateway = gateway
        self.repo = repo
        self.identity = identity
        self.adapters = dict(adapters)
        self.knowledge = knowledge
        self.team = team
        self.approvers = approvers
        self.clock = clock
        self._lanes = [ThreadPoolExecutor(1, thread_name_prefix=f"purser-deliver-{i}") for i in range(DELIVERY_THREADS)]
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()
        self._unsubscribe = runtime.live.subscribe_all(self._on_events)

    # -- inbound ----------------------------------------------------------------------------------
    def adapter(self, name: str) -> Channel:
        """The adapter of a configured platform; `ChannelNotConfigured` (404) otherwise."""
        adapter = self.adapters.get(ChannelName(name))
        if adapter is None:
            raise ChannelNotConfigured(f"channel {name!r} is not configured (add channels.{name} to purser.yaml)")
        return adapter

    def receive(self, name: str, request: RawRequest) -> ChannelResponse:
        """Verify a platform request, answer it at once and run its work in the background.

        Raises a `ChannelError` (401 bad signature, 403 not an approver, 400 malformed) with
        nothing recorded. A replayed platform event id is answered like the first and runs once.
        """
        reception = self.adapter(name).receive(request)
        for work in reception.work:
            if isinstance(work, ApprovalDecision) and self.approvers(work.channel, work.external_id) is None:
                raise ChannelForbidden("only an approver may decide approval requests")
        now = iso_utc(self.clock())
        fresh = [w for w in reception.work if self.repo.first_sighting(w.channel, w.event_id, now)]
        if fresh:
            self._track(loop_runner().submit(self._run(fresh)))
        return reception.response

    def drain(self, timeout: float = 30.0) -> None:  # float-ok: seconds
        """Wait until every background turn and delivery started so far has finished (tests, the gym)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._pending_lock:
                pending = [f for f in self._pending if not f.done()]
            if not pending:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(pending)} channel jobs still running after {timeout} s")
            try:
                pending[0].result(timeout=left)
            except Exception:  # a failed job was logged where it ran; draining only waits
                continue

    def close(self) -> None:
        """Stop receiving live events, finish the deliveries under way, then close the adapters' clients."""
        self._unsubscribe()
        for lane in self._lanes:
            lane.shutdown(wait=True)
        for adapter in self.adapters.values():
            close = getattr(adapter, "close", None)
            if callable(close):
                close()

    def _track(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending = {f for f in self._pending if not f.done()}
            self._pending.add(future)

    async def _run(self, work: Sequence[Work]) -> None:
        for item in work:
            try:
                if isinstance(item, Inbound):
                    await self._inbound(item)
                elif isinstance(item, ApprovalDecision):
                    await self._approval(item)
                else:
                    await self._team_reply(item)
            except Exception:  # one platform event must never stop the next one
                log.exception("channel %s: event %s failed", item.channel, item.event_id)

    async def _inbound(self, inbound: Inbound) -> None:
        customer_id = self._customer_of(inbound)
        if customer_id is None:
            await asyncio.to_thread(self._unlinked, inbound)
            return
        thread = self._thread_for(inbound, customer_id)
        from purser.agent.runtime import RuntimeInputError

        try:
            events = await self.runtime.ahandle(thread.conversation_id, inbound.event)
        except RuntimeInputError:
            if isinstance(inbound.event, CustomerConfirm):
                self._send_later(inbound.channel, inbound.external_id, STALE_BUTTON, thread)
            else:
                raise
        else:
            if isinstance(inbound.event, CustomerConfirm):
                self._answered(thread, inbound.event, events)

    def _answered(self, thread: ChannelThread, confirm: CustomerConfirm, events: list[AgentEvent]) -> None:
        """Let the adapter show an answered card as answered (Slack updates it in place), after the
        turn's own delivery: queued on the conversation's lane, so the outcome is posted first."""
        adapter = self.adapters.get(thread.channel)
        answered = getattr(adapter, "confirmation_answered", None)
        if answered is None:
            return

        def update() -> None:
            try:
                self._with_retries(lambda: answered(thread, confirm.action_id, confirm.decision, events))
            except ChannelDeliveryError as exc:
                log.warning("channel %s: answered card not updated: %s", thread.channel, exc)

        self._track(self._lane(thread.conversation_id).submit(update))

    def _customer_of(self, inbound: Inbound) -> str | None:
        customer_id = self.identity.customer_of(inbound.channel, inbound.external_id)
        if customer_id is None and inbound.channel == "email":
            # Email: the From address on file is the identity (writes still need the signed link).
            matches = self.identity.find_customers(inbound.external_id)
            if len(matches) == 1:
                customer_id = matches[0][0]
        return customer_id

    def _thread_for(self, inbound: Inbound, customer_id: str) -> ChannelThread:
        return self._save_thread(
            inbound.channel, inbound.thread_key, inbound.external_id, inbound.address, customer_id, inbound=True
        )

    def _save_thread(
        self, channel: ChannelName, thread_key: str, external_id: str, address: str, customer_id: str, *, inbound: bool
    ) -> ChannelThread:
        """The platform thread's row, bound to the customer's conversation (started now when the thread
        has none, or was another customer's); `inbound`: the customer just wrote in it."""
        now = iso_utc(self.clock())
        thread = self.repo.thread(channel, thread_key)
        same = thread is not None and thread.customer_id == customer_id
        conversation_id = (
            thread.conversation_id if thread is not None and same else self.runtime.start(customer_id, channel)
        )
        # Only a message from the customer opens a platform's reply window (WhatsApp's 24 hours).
        last_inbound = now if inbound else (thread.last_inbound_at if thread is not None and same else None)
        fresh = ChannelThread(
            channel=channel,
            thread_key=thread_key,
            conversation_id=conversation_id,
            customer_id=customer_id,
            external_id=external_id,
            address=address,
            last_inbound_at=last_inbound,
            updated_at=now,
        )
        self.repo.save_thread(fresh)
        return fresh

    def bind(self, channel: str, *, external_id: str, thread_key: str, address: Mapping[str, Any]) -> str:
        """The conversation of a platform thread for a linked user, started now when there is none (drivers).

        Nothing was received: no event is recorded as seen and the thread's reply window stays as it was."""
        name = ChannelName(channel)
        customer_id = self.identity.customer_of(name, external_id)
        if customer_id is None:
            raise ChannelForbidden(f"{channel} user {external_id!r} is not linked to a customer")
        return self._save_thread(
            name, thread_key, external_id, canonical(address), customer_id, inbound=False
        ).conversation_id

    def _unlinked(self, inbound: Inbound) -> None:
        """Knowledge-base answers only, and the self-service code flow; never account data."""
        event = inbound.event
        if not isinstance(event, CustomerMessage):
            self._send(inbound.channel, inbound.external_id, STALE_BUTTON, None)
            return
        code = find_code(event.text)
        email = find_email(event.text)
        if code is not None:
            reply = self.identity.check(inbound.channel, inbound.external_id, code).message
        elif email is not None:
            reply = self.identity.start(inbound.channel, inbound.external_id, email)
        else:
            reply = self._knowledge_answer(event.text)
        self._send(inbound.channel, inbound.external_id, reply, None)

    def _knowledge_answer(self, question: str) -> str:
        from purser.knowledge.tool import answer_from_passages

        answer = ""
        if self.knowledge is not None:
            answer = answer_from_passages(question, self.knowledge.search(question, 3))
        if not answer:
            answer = "I can answer general billing questions here."
        return f"{answer}\n\n{LINK_HINT}"

    async def _approval(self, decision: ApprovalDecision) -> None:
        approver = self.approvers(decision.channel, decision.external_id) or decision.external_id
        from purser.actions.approvals import ApprovalRefused
        from purser.agent.runtime import RuntimeInputError
        from purser.ports.approvals import AlreadySigned

        try:
            _, events = await self.runtime.adecide_approval(
                decision.approval_id,
                approve=decision.approve,
                approver=approver,
                reason=decision.reason or f"decided in {decision.channel}",
            )
        except (ApprovalRefused, AlreadySigned) as exc:
            # Above the presser's limit, or their second signature of a two-person approval: nothing changed
            # and the request stays open (its buttons too) for another approver.
            log.info(
                "channel %s: %s's press on %s not applied: %s", decision.channel, approver, decision.approval_id, exc
            )
            return
        except RuntimeInputError as exc:
            outcome = f"not applied: {exc}"
        else:
            if not events:  # the first of two signatures: still pending, the buttons stay for the second
                log.info(
                    "channel %s: %s signed %s; a second approver is needed",
                    decision.channel,
                    approver,
                    decision.approval_id,
                )
                return
            outcome = next((e.summary for e in events if hasattr(e, "summary")), "decided")
        if self.team is not None:
            team = self.team
            # Tracked, so drain() also waits for the team desk's update (it writes to the store).
            self._track(
                self._lane(decision.approval_id).submit(
                    self._quietly,
                    lambda: team.approval_decided(
                        approval_id=decision.approval_id, approve=decision.approve, approver=approver, outcome=outcome
                    ),
                )
            )

    async def _team_reply(self, reply: TeamReply) -> None:
        # A teammate with an account linked to this platform user replies under their name (the customer
        # reads it); anyone else as the platform id, which the customer reads as "Teammate".
        author = self.approvers(reply.channel, reply.external_id) or f"{reply.channel}:{reply.external_id}"
        await self.runtime.ahuman_reply(reply.conversation_id, reply.text, author=author)

    # -- outbound ---------------------------------------------------------------------------------
    def notify(self, customer_id: str, text: str) -> bool:
        """A proactive message (dunning) on the customer's most recent channel; False when they have none."""
        thread = self.repo.latest_thread(customer_id)
        if thread is not None and thread.channel in self.adapters:
            return self._send(thread.channel, thread.external_id, text, thread)
        for link in self.repo.links_of(customer_id):
            if link.channel in self.adapters:
                return self._send(link.channel, link.external_id, text, None)
        return False

    def _send(self, channel: ChannelName, external_id: str, text: str, thread: ChannelThread | None) -> bool:
        try:
            self._with_retries(lambda: self.adapters[channel].send_text(external_id, text, thread=thread))
        except ChannelDeliveryError as exc:
            log.warning("channel %s: message to a user not delivered: %s", channel, exc)
            return False
        return True

    def _send_later(self, channel: ChannelName, external_id: str, text: str, thread: ChannelThread | None) -> None:
        key = thread.conversation_id if thread is not None else external_id
        self._track(self._lane(key).submit(self._send, channel, external_id, text, thread))

    def _on_events(self, conversation_id: str, events: list[Any]) -> None:
        # Called on the publishing thread (often the runtime's loop): hand off at once.
        agent_events = [e for e in events if getattr(e, "type", "") != "message_delta"]
        if agent_events:
            self._track(self._lane(conversation_id).submit(self._deliver, conversation_id, agent_events))

    def _deliver(self, conversation_id: str, events: list[AgentEvent]) -> None:
        thread = self.repo.thread_of(conversation_id)
        if thread is not None and thread.channel in self.adapters:
            adapter = self.adapters[thread.channel]
            try:
                self._with_retries(lambda: adapter.deliver(thread, events))
            except ChannelDeliveryError as exc:
                log.warning("channel %s: events of %s not delivered: %s", thread.channel, conversation_id, exc)
        if self.team is not None:
            self._to_team(conversation_id, events)

    def _to_team(self, conversation_id: str, events: list[AgentEvent]) -> None:
        team = self.team
        assert team is not None
        record = self.runtime.conversation(conversation_id)
        for event in events:
            if isinstance(event, Handoff):
                try:
                    team.post_handoff(
                        conversation_id=conversation_id,
                        customer_id=record.customer_id,
                        channel=record.channel,
                        reason=event.reason,
                        summary=event.summary,
                    )
                except PurserError as exc:
                    log.warning("team desk: handoff of %s not posted: %s", conversation_id, exc)
            elif isinstance(event, ApprovalPending):
                self._post_approval(team, conversation_id, record.customer_id, event)

    def _post_approval(self, team: TeamDesk, conversation_id: str, customer_id: str, event: ApprovalPending) -> None:
        for request in self.gateway.approvals(conversation_id=conversation_id):
            if request.action_id != event.action_id or request.status != "pending":
                continue
            try:
                team.post_approval(
                    approval_id=str(request.id),
                    conversation_id=conversation_id,
                    customer_id=customer_id,
                    action=request.action,
                    summary=event.summary,
                    amount=_amount_text(request.amount, request.currency),
                )
            except PurserError as exc:
                log.warning("team desk: approval %s not posted: %s", request.id, exc)

    @staticmethod
    def _with_retries(send: Callable[[], None]) -> None:
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                send()
                return
            except ChannelDeliveryError:
                if attempt == DELIVERY_ATTEMPTS:
                    raise
                time.sleep(0.2 * 2**attempt)  # float-ok: seconds of backoff

    @staticmethod
    def _quietly(call: Callable[[], None]) -> None:
        try:
            call()
        except PurserError as exc:
            log.warning("team desk: %s", exc)

    def _lane(self, key: str) -> ThreadPoolExecutor:
        return self._lanes[zlib.crc32(key.encode()) % len(self._lanes)]


def _amount_text(amount: object, currency: object) -> str | None:
    from purser.channels.render import money_text

    return money_text(amount, currency) if amount is not None else None
