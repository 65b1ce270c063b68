"""The Slack channel (DESIGN §9): customers in DMs and Slack Connect channels, the team's approvals
and handoffs in the team's own channels.

    POST /channels/slack/events         Events API: url_verification, message events
    POST /channels/slack/interactions   interactivity: Confirm / Cancel, Approve / Deny (block_actions)

Requests are verified with the app's signing secret and answered at once (Slack wants an answer
within 3 s); the turn runs in the background in the channel service, so nothing here calls Slack
while a request waits. Everything Purser says goes out through the Web API (`slack_sdk.WebClient`
on `api_base`): `chat.postMessage` (mrkdwn text and Block Kit cards), `chat.update` (a decided
approval request; a customer's answered confirmation card, its buttons replaced by the choice and
its outcome; a message's quick replies once the next turn is delivered, their buttons removed),
`conversations.open` (a DM with a user who has no thread yet).

The SlackChannel is also the `TeamDesk`: handoffs are posted to `team_channel` (a teammate's reply
in the post's thread goes to the customer), approval requests to `approvals_channel` with Approve /
Deny buttons. Which conversation a handoff post belongs to, and where an approval request was
posted, and where each confirmation card went, is kept in the channel store's token rows (purpose
`slack_handoff` / `slack_approval` / `slack_card`; they
carry no signature, so they can never be redeemed as links), so it survives restarts and works
across server processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from purser.agent.events import ActionResult, AgentEvent, AgentMessage, ApprovalPending, ConfirmationRequest
from purser.channels._slack_inbound import SLACK, InboundRules, parse_events, parse_interactions, verify
from purser.channels._slack_render import (
    SlackPost,
    approval_decided_post,
    approval_post,
    confirmation_answered_post,
    escape,
    event_post,
    handoff_post,
    mrkdwn,
    text_post,
)
from purser.channels.base import ChannelDeliveryError, ChannelError, ChannelNotConfigured, RawRequest, Reception
from purser.channels.render import quote_facts
from purser.domain.dates import iso_utc
from purser.ports.channels import ChannelRepository, ChannelThread, LinkToken, LinkTokenId

if TYPE_CHECKING:
    from purser.channels.links import SignedLinks
    from purser.config import Settings, SlackSettings

__all__ = ["SlackChannel", "build"]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_RETRIED_BATCHES = 1000
KEEP_POSTS = timedelta(days=365)
"""How long a handoff post's thread keeps reaching the customer (and an approval request stays updatable)."""


class SlackChannel:
    """Slack's Events API and interactivity in, the Web API out; the team desk for approvals and handoffs."""

    name = SLACK

    def __init__(self, settings: SlackSettings, repo: ChannelRepository, *, client: WebClient | None = None) -> None:
        self.settings = settings
        self.repo = repo
        self.client = client or WebClient(
            token=settings.bot_token,
            base_url=settings.api_base,
            timeout=TIMEOUT_SECONDS,
            retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(1)],
        )
        self._progress: dict[tuple[int, str, str], int] = {}
        """Batches whose delivery failed part-way → how many of their posts went out."""
        self._progress_lock = threading.Lock()
        self._offered: dict[str, tuple[str, SlackPost]] = {}
        """Slack channel → its last message with quick-reply buttons (ts, post), retired by the next batch."""
        self.rules = InboundRules(
            approvals_channel=settings.approvals_channel,
            team_channel=settings.team_channel,
            handoff_of=self._handoff_conversation,
        )

    # -- inbound ----------------------------------------------------------------------------------
    def receive(self, request: RawRequest) -> Reception:
        """Verify Slack's signature, then parse an Events API or interactivity request."""
        verify(request, self.settings.signing_secret)
        if request.method != "POST":
            raise ChannelError("Slack requests are POSTs")
        path = request.path.strip("/")
        if path == "events":
            return parse_events(request.body, self.rules)
        if path == "interactions":
            return parse_interactions(request.body, self.rules)
        raise ChannelError(f"unknown Slack endpoint {path!r} (use events or interactions)")

    # -- customer side ----------------------------------------------------------------------------
    def deliver(self, thread: ChannelThread, events: Sequence[AgentEvent]) -> None:
        """Each event as one message in the customer's DM or shared channel, in order."""
        channel = _address_channel(thread.address)
        # A turn may say an action's outcome twice (the result, then a message with the same words):
        # in a chat it reads as a repeat, so the message is left out.
        results = {e.summary for e in events if isinstance(e, ActionResult)}
        posts = [e for e in events if not (isinstance(e, AgentMessage) and e.text in results)]
        # The service retries a failed delivery with the same batch: what was posted before the
        # failure is not posted again (keyed by the batch object and its content, while it is retried).
        key = (id(events), thread.thread_key, _digest(events))
        with self._progress_lock:
            done = self._progress.pop(key, 0)
            offered = self._offered.pop(channel, None) if done == 0 else None
        if offered is not None:
            self._retire_replies(channel, *offered)
        for index, event in enumerate(posts[done:], start=done):
            try:
                post = event_post(event, user=thread.external_id)
                ts = self._post(channel, post)
                if isinstance(event, AgentMessage) and event.quick_replies and post.blocks:
                    with self._progress_lock:
                        self._offered[channel] = (ts, post)
                if isinstance(event, ConfirmationRequest):
                    facts = json.dumps(quote_facts(event.quote), ensure_ascii=False)
                    card = {"channel": channel, "ts": ts, "summary": event.summary, "facts": facts}
                    self._remember("slack_card", f"slack-card:{event.action_id}", card)
            except ChannelDeliveryError:
                with self._progress_lock:
                    self._progress[key] = index
                    while len(self._progress) > MAX_RETRIED_BATCHES:
                        self._progress.pop(next(iter(self._progress)))
                raise

    def confirmation_answered(
        self, thread: ChannelThread, action_id: str, decision: str, events: Sequence[AgentEvent]
    ) -> None:
        """The answered card updated in place (`chat.update`): buttons gone, the choice and its outcome shown.

        Called by the service after the turn that answers the card (its events say what came of it);
        once per card, so a second press (or a retried delivery) leaves the first outcome standing.
        """
        key = f"slack-card:{action_id}"
        posted = self._recall(key)
        if posted is None or not self.repo.use_token(LinkTokenId(key), iso_utc(datetime.now(UTC))):
            return
        facts = [(str(label), str(value)) for label, value in json.loads(posted.get("facts") or "[]")]
        post = confirmation_answered_post(
            summary=posted["summary"], facts=facts, verdict=_verdict(action_id, decision, events)
        )
        self._call(
            "chat.update",
            lambda: self.client.chat_update(
                channel=posted["channel"], ts=posted["ts"], text=post.text, blocks=post.blocks, metadata=post.metadata
            ),
        )

    def _retire_replies(self, channel: str, ts: str, post: SlackPost) -> None:
        """The previous turn's quick replies are answered (pressed or not): their buttons are removed
        (`chat.update` with the message's other blocks). Best effort: the message stays as it was when
        Slack refuses, and a later press is still just the customer's message."""
        blocks = [b for b in post.blocks if b.get("type") != "actions"]
        try:
            self._call(
                "chat.update",
                lambda: self.client.chat_update(
                    channel=channel, ts=ts, text=post.text, blocks=blocks, metadata=post.metadata
                ),
            )
        except ChannelDeliveryError as exc:
            log.info("slack: old quick replies not removed: %s", exc)

    def send_text(self, external_id: str, text: str, *, thread: ChannelThread | None = None) -> None:
        """A plain message: into `thread`, else into a DM opened with the user (`conversations.open`)."""
        if thread is not None:
            channel = _address_channel(thread.address)
        else:
            opened = self._call("conversations.open", lambda: self.client.conversations_open(users=external_id))
            dm = opened.get("channel")
            if not isinstance(dm, dict) or not isinstance(dm.get("id"), str):
                raise ChannelDeliveryError("Slack conversations.open answered without a channel id")
            channel = dm["id"]
        self._post(channel, text_post(text))

    # -- team desk --------------------------------------------------------------------------------
    def post_handoff(self, *, conversation_id: str, customer_id: str, channel: str, reason: str, summary: str) -> None:
        """The handoff in `team_channel`; its thread becomes the teammate's way to the customer."""
        team = self.settings.team_channel
        if team is None:
            return
        post = handoff_post(customer_id=customer_id, channel=channel, reason=reason, summary=summary)
        ts = self._post(team, post)
        self._remember("slack_handoff", f"slack-team:{team}:{ts}", {"conversation_id": conversation_id})

    def post_approval(
        self, *, approval_id: str, conversation_id: str, customer_id: str, action: str, summary: str, amount: str | None
    ) -> None:
        """The approval request in `approvals_channel` with Approve / Deny buttons."""
        approvals = self.settings.approvals_channel
        if approvals is None:
            return
        key = f"slack-approval:{approval_id}"
        if self.repo.token(LinkTokenId(key)) is not None:
            return  # posted already (a retried delivery): one request per approval
        post = approval_post(
            approval_id=approval_id, customer_id=customer_id, action=action, summary=summary, amount=amount
        )
        ts = self._post(approvals, post)
        facts = {"channel": approvals, "ts": ts, "customer_id": customer_id, "action": action, "summary": summary}
        self._remember("slack_approval", key, {**facts, "amount": amount or ""})

    def approval_decided(self, *, approval_id: str, approve: bool, approver: str, outcome: str) -> None:
        """The posted request updated in place (`chat.update`): who decided, and what happened."""
        key = f"slack-approval:{approval_id}"
        posted = self._recall(key)
        # The first decision reported for a request updates its post; a press racing it (or one on a
        # request decided elsewhere first) must not overwrite what the post says happened.
        if posted is None or not self.repo.use_token(LinkTokenId(key), iso_utc(datetime.now(UTC))):
            return
        post = approval_decided_post(
            customer_id=posted["customer_id"],
            action=posted["action"],
            summary=posted["summary"],
            amount=posted["amount"] or None,
            approve=approve,
            approver=approver,
            outcome=outcome,
        )
        self._call(
            "chat.update",
            lambda: self.client.chat_update(
                channel=posted["channel"], ts=posted["ts"], text=post.text, blocks=post.blocks, metadata=post.metadata
            ),
        )

    def _handoff_conversation(self, team_channel: str, thread_ts: str) -> str | None:
        posted = self._recall(f"slack-team:{team_channel}:{thread_ts}")
        return None if posted is None else posted["conversation_id"]

    # -- Web API ------------------------------------------------------------------------------------
    def _post(self, channel: str, post: SlackPost) -> str:
        """`chat.postMessage`; returns the message's `ts`."""
        answer = self._call(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=post.text,
                blocks=post.blocks or None,
                metadata=post.metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        ts = answer.get("ts")
        if not isinstance(ts, str):
            raise ChannelDeliveryError("Slack chat.postMessage answered without a message ts")
        return ts

    @staticmethod
    def _call(method: str, call: Callable[[], SlackResponse]) -> dict[str, Any]:
        """One Web API call; Slack's refusals and transport failures become `ChannelDeliveryError`."""
        try:
            response = call()
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = data.get("error") or f"HTTP {exc.response.status_code}"
            raise ChannelDeliveryError(f"Slack {method} failed: {error}") from None
        except (SlackClientError, OSError, ValueError) as exc:
            raise ChannelDeliveryError(f"Slack {method} failed: {type(exc).__name__}") from None
        if not isinstance(response.data, dict):
            raise ChannelDeliveryError(f"Slack {method} answered with something other than JSON")
        return response.data

    # -- what Slack posts belong to ---------------------------------------------------------------
    def _remember(self, purpose: str, key: str, payload: dict[str, str]) -> None:
        expires_at = iso_utc(datetime.now(UTC) + KEEP_POSTS)
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        self.repo.save_token(LinkToken(LinkTokenId(key), purpose, body, expires_at, None))

    def _recall(self, key: str) -> dict[str, str] | None:
        row = self.repo.token(LinkTokenId(key))
        if row is None or not row.purpose.startswith("slack_"):
            return None
        loaded = json.loads(row.payload)
        return loaded if isinstance(loaded, dict) else None


def _verdict(action_id: str, decision: str, events: Sequence[AgentEvent]) -> str:
    """What an answered card says instead of its buttons: the choice, then what came of it."""
    if decision != "yes":
        return ":x: You declined: nothing was changed."
    for event in events:
        if isinstance(event, ActionResult) and event.action_id == action_id:
            icon = {"succeeded": ":white_check_mark:", "failed": ":warning:", "refused": ":no_entry:"}[event.status]
            return f"{icon} You confirmed: {mrkdwn(event.summary)}"
        if isinstance(event, ApprovalPending) and event.action_id == action_id:
            return ":hourglass_flowing_sand: You confirmed: a teammate is reviewing it; you'll hear back here."
    return f":white_check_mark: {escape('You confirmed.')}"


def _digest(events: Sequence[AgentEvent]) -> str:
    text = json.dumps([e.model_dump(mode="json") for e in events], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _address_channel(address: str) -> str:
    """The Slack channel id of a thread's stored address (`{"channel": "D…"}`)."""
    try:
        loaded = json.loads(address)
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("channel"), str):
        raise ChannelDeliveryError("the thread has no Slack channel in its address")
    return str(loaded["channel"])


def build(settings: Settings, *, links: SignedLinks) -> SlackChannel:
    """The Slack adapter from `channels.slack` (app.build_channels calls this)."""
    slack = settings.channels.slack
    if slack is None:
        raise ChannelNotConfigured("channel 'slack' is not configured (add channels.slack to purser.yaml)")
    return SlackChannel(slack, links.repo)
