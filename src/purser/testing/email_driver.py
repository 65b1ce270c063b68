"""`purser eval --channel email`: the gym's customer writes real email, and reads Purser's replies.

Each customer message becomes a raw RFC 822 email, signed as the inbound relay signs it, POSTed to
`/channels/email/inbound` of the real web app; the agent's answer is read back from the replies
that reached the local SMTP sink (through the outbox and its delivery jobs). A confirmation is
given as a person does it: open the link in the email (GET the page), press Confirm or Cancel (POST
its form). The reply's HTML blocks (`purser-message`, `purser-confirmation`, ...) become §7 events
again; what an email does not show (an action's id and status, a handoff's reason) is read from the
conversation's record, as the approver's side reads the gateway's pending approvals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from purser.channels.email import CONFIRM_PURPOSE, EmailChannel
from purser.testing.email import MailClient, inbound_email
from purser.testing.smtp import SmtpSink

if TYPE_CHECKING:
    from purser.app import Container
    from purser.config import Settings

__all__ = ["EmailBlock", "EmailDriver", "EmailHarness", "read_blocks"]

SECRET = "gym-email-inbound-secret"
SUPPORT = "Purser Billing <billing@purser.local>"
PUBLIC_URL = "http://testserver"
PENDING_TRAILER = "\nA teammate is reviewing this; you'll hear back here."


@dataclass
class EmailBlock:
    """One event of a reply's HTML: its kind and what it shows."""

    kind: str
    """message | confirmation | result | pending | handoff."""
    text: str = ""
    """The block's text (a confirmation's summary)."""
    link: str = ""
    """A confirmation's link to its page."""
    parts: list[str] = field(default_factory=list)


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[EmailBlock] = []
        self._depth = 0
        self._block_depth = -1
        self._in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._depth += 1
        names = dict(attrs)
        css = (names.get("class") or "").split()
        kind = next((c.removeprefix("purser-") for c in css if c.startswith("purser-")), None)
        if tag == "div" and kind is not None and self._block_depth < 0:
            self.blocks.append(EmailBlock(kind))
            self._block_depth = self._depth
        elif self.blocks and self._block_depth >= 0:
            if "purser-summary" in css:
                self._in_summary = True
            if tag == "a" and "purser-review" in css:
                self.blocks[-1].link = names.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if self._depth == self._block_depth:
            block = self.blocks[-1]
            block.text = "".join(block.parts)
            self._block_depth = -1
        self._in_summary = False if tag == "p" else self._in_summary
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._block_depth < 0:
            return
        block = self.blocks[-1]
        if block.kind != "confirmation" or self._in_summary:
            block.parts.append(data)


def read_blocks(html: str) -> list[EmailBlock]:
    """The event blocks of a reply's HTML, in order."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


class EmailDriver:
    """One gym customer with their own address, linked to the scenario's customer."""

    def __init__(self, container: Container, sink: SmtpSink) -> None:
        assert container.channels is not None, "the email harness's settings configure channels.email"
        self.container = container
        self.channels = container.channels
        adapter = self.channels.adapter("email")
        assert isinstance(adapter, EmailChannel)
        self.links = adapter.links
        self.mail = MailClient(container, sink, secret=SECRET)
        self.address = f"gym-{uuid.uuid4().hex[:16]}@customers.example"
        self.root = f"<{uuid.uuid4().hex}@customers.example>"
        self.last: EmailMessage | None = None
        self.confirm_links: dict[str, str] = {}
        self.approvals_seen: set[str] = set()
        self.cursor = 0

    def start(self, customer_id: str, channel: str) -> str:
        """Link this address to the customer and bind the thread the first email will start."""
        del channel  # the conversation lives on the email channel
        self.channels.identity.link("email", self.address, customer_id, by="admin:gym")
        address = {"to": self.address, "subject": "Billing question", "in_reply_to": self.root, "references": []}
        return self.channels.bind("email", external_id=self.address, thread_key=self.root, address=address)

    def message(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """The customer emails `text` (the first message starts the thread, later ones answer the last reply)."""
        if self.last is None:
            answer = self.mail.post(inbound_email(self.address, text, message_id=self.root))
        else:
            answer = self.mail.write(self.address, text, answering=self.last)
        if answer.status_code != 200:
            raise RuntimeError(f"the inbound endpoint answered {answer.status_code}: {answer.text}")
        return self._read(conversation_id)

    def confirm(self, conversation_id: str, action_id: str, decision: str) -> list[dict[str, Any]]:
        """Open the confirmation link, then press Confirm or Cancel on the page."""
        url = self.confirm_links.get(action_id)
        if url is None:
            raise RuntimeError(f"no confirmation link was emailed for action {action_id}")
        page = self.mail.open_link(url)
        if page.status_code != 200:
            raise RuntimeError(f"the confirmation page answered {page.status_code}")
        done = self.mail.press(url, "yes" if decision == "yes" else "no")
        if done.status_code != 200:
            raise RuntimeError(f"pressing the button answered {done.status_code}")
        return self._read(conversation_id)

    def decide_approval(self, conversation_id: str, approval_id: str, *, approve: bool) -> list[dict[str, Any]]:
        """The simulated approver decides; the customer reads the outcome in their mailbox."""
        self.container.runtime.decide_approval(
            approval_id, approve=approve, approver="gym-approver", reason="simulated approver"
        )
        return self._read(conversation_id)

    # -- reading replies back -----------------------------------------------------------------------
    def _read(self, conversation_id: str) -> list[dict[str, Any]]:
        replies = self.mail.replies(self.address)
        if replies:
            self.last = replies[-1]
        recorded = self._recorded(conversation_id)
        events: list[dict[str, Any]] = []
        for reply in replies:
            html = reply.get_body(preferencelist=("html",))
            content = html.get_content() if html is not None else ""
            # SMTP carries lines ending in CRLF; the agent wrote "\n".
            text = content.replace("\r\n", "\n") if isinstance(content, str) else ""
            for block in read_blocks(text):
                if block.kind == "replies":
                    continue  # the quick replies' line under a message: not an event of its own
                events.append(self._event(block, conversation_id, recorded))
        return events

    def _recorded(self, conversation_id: str) -> dict[str, list[dict[str, Any]]]:
        """The conversation's new action results and handoffs, for what an email does not show."""
        entries = self.container.runtime.transcript(conversation_id, after=self.cursor)
        if entries:
            self.cursor = entries[-1].seq
        found: dict[str, list[dict[str, Any]]] = {"action_result": [], "handoff": []}
        for entry in entries:
            kind = entry.event.get("type")
            if kind in found:
                found[str(kind)].append(entry.event)
        return found

    def _event(
        self, block: EmailBlock, conversation_id: str, recorded: dict[str, list[dict[str, Any]]]
    ) -> dict[str, Any]:
        if block.kind == "confirmation":
            token = urlsplit(block.link).path.rsplit("/", 1)[-1]
            payload = self.links.peek(CONFIRM_PURPOSE, token)
            action_id = str(payload["action_id"])
            self.confirm_links[action_id] = block.link
            summary = str(payload.get("summary", block.text))
            return {
                "type": "confirmation_request",
                "action_id": action_id,
                "action": payload["action"],
                "summary": summary,
                "quote": {},
            }
        if block.kind == "result":
            known = recorded["action_result"].pop(0) if recorded["action_result"] else {}
            return {
                "type": "action_result",
                "action_id": known.get("action_id", ""),
                "status": known.get("status", "succeeded"),
                "summary": block.text,
            }
        if block.kind == "pending":
            return {
                "type": "approval_pending",
                "action_id": self._new_approval(conversation_id),
                "summary": block.text.removesuffix(PENDING_TRAILER),
            }
        if block.kind == "handoff":
            known = recorded["handoff"].pop(0) if recorded["handoff"] else {}
            return {"type": "handoff", "reason": known.get("reason", ""), "summary": known.get("summary", "")}
        return {"type": "message", "text": block.text, "citations": []}

    def _new_approval(self, conversation_id: str) -> str:
        for request in self.container.gateway.approvals(conversation_id=conversation_id):
            if request.status == "pending" and str(request.id) not in self.approvals_seen:
                self.approvals_seen.add(str(request.id))
                return str(request.action_id)
        return ""


class EmailHarness:
    """The SMTP sink for this process's trials, and their email drivers."""

    def __init__(self) -> None:
        self.sink = SmtpSink().start()

    def settings(self, base: Settings) -> Settings:
        """`base` with `channels.email` delivering to the sink, links under the test client's host."""
        from purser.config import EmailChannelSettings

        email = EmailChannelSettings(inbound_secret=SECRET, smtp_url=self.sink.url, from_address=SUPPORT)
        channels = base.channels.model_copy(update={"email": email})
        return base.model_copy(update={"channels": channels, "public_url": PUBLIC_URL})

    def driver(self, container: Container) -> EmailDriver:
        """A driver with a fresh address for one trial."""
        return EmailDriver(container, self.sink)

    def close(self) -> None:
        """Stop the SMTP sink."""
        self.sink.stop()
