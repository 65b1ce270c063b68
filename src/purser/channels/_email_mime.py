"""Reading an inbound email (RFC 822 / MIME) for the email channel: who wrote, in which thread, what.

Parsed with the standard library (`email.policy.default`). What the customer wrote is the text/plain
part (or the HTML part turned into text), without the quoted earlier messages and the signature a
mail client appends ("On ... wrote:", lines starting with ">", everything after "-- "), so the agent
reads only the new words. Automatic mail (auto-replies, bounces, bulk mail) is recognised so the
channel never answers it: two robots answering each other would loop forever.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html.parser import HTMLParser

from purser.channels.base import ChannelError

__all__ = ["MAX_TEXT", "InboundMail", "html_to_text", "is_automatic", "parse_mail", "strip_quoted"]

MAX_TEXT = 4000
"""A customer message's longest text (the runtime's limit); longer mail is cut there."""

MAX_REFERENCES = 20
"""References kept from a message (the newest); enough to find a thread, bounded for the address."""

_MSG_ID = re.compile(r"<[^<>\s]{1,250}>")
_QUOTE_HEADER = re.compile(
    r"^\s*(On\s.{0,300}?\bwrote:|Le\s.{0,300}?\ba écrit\s?:|Am\s.{0,300}?\bschrieb.{0,80}:|"
    r"El\s.{0,300}?\bescribió:|-{2,}\s*Original Message\s*-{2,}|_{5,}|From:\s.+)\s*$",
    re.IGNORECASE,
)
_ROBOT_SENDERS = ("mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply")


@dataclass(frozen=True, slots=True)
class InboundMail:
    """The parts of an inbound email the channel uses."""

    message_id: str
    """`<id@host>`; a hash of the body when the message carries none."""
    sender: str
    """The From address, lower-cased."""
    display_name: str
    """The From display name ("" when none)."""
    subject: str
    """The subject line ("" when none)."""
    in_reply_to: str | None
    """The message this one answers, if any."""
    references: tuple[str, ...]
    """The thread's earlier Message-IDs, oldest first."""
    text: str
    """What the customer wrote: quotes and signature stripped, at most `MAX_TEXT` characters."""
    automatic: bool
    """An auto-reply, bounce or bulk mail: never answered."""


def parse_mail(body: bytes) -> InboundMail:
    """Parse a raw RFC 822 message; `ChannelError` (400) when it has no usable From address."""
    if not body.strip():
        raise ChannelError("the inbound email is empty")
    parsed = email.message_from_bytes(body, policy=email.policy.default)
    if not isinstance(parsed, EmailMessage) or not parsed.keys():
        raise ChannelError("the inbound body is not an RFC 822 email message (no headers)")
    sender, display_name = _sender(parsed)
    ids = _message_ids(str(parsed.get("Message-ID", "")))
    message_id = ids[0] if ids else f"<{hashlib.sha256(body).hexdigest()[:40]}@inbound.purser.invalid>"
    in_reply = _message_ids(str(parsed.get("In-Reply-To", "")))
    references = tuple(_message_ids(str(parsed.get("References", "")))[-MAX_REFERENCES:])
    subject = " ".join(str(parsed.get("Subject", "")).split())[:300]
    return InboundMail(
        message_id=message_id,
        sender=sender,
        display_name=display_name,
        subject=subject,
        in_reply_to=in_reply[0] if in_reply else None,
        references=references,
        text=strip_quoted(_body_text(parsed))[:MAX_TEXT].strip(),
        automatic=is_automatic(parsed, sender),
    )


def _sender(msg: EmailMessage) -> tuple[str, str]:
    header = msg.get("From")
    addresses: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    if len(addresses) == 1 and addresses[0].addr_spec and "@" in addresses[0].addr_spec:
        return addresses[0].addr_spec.lower(), addresses[0].display_name or ""
    # A From header the structured parser rejected: fall back to the lenient parser.
    pairs = [(name, addr) for name, addr in getaddresses([str(header or "")]) if "@" in addr]
    if len(pairs) != 1:
        raise ChannelError("the inbound email needs exactly one From address")
    name, addr = pairs[0]
    if any(c in addr for c in " \r\n<>,;") or len(addr) > 200:
        raise ChannelError("the inbound email's From address is not valid")
    return addr.lower(), name


def _message_ids(header: str) -> list[str]:
    return _MSG_ID.findall(header)


def is_automatic(msg: Message, sender: str) -> bool:
    """Auto-replies, bounces and bulk mail (RFC 3834 `Auto-Submitted`, `Precedence`, mailer-daemon)."""
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if str(msg.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if any(msg.get(name) is not None for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return True
    if msg.get_content_type() == "multipart/report":  # delivery status notifications
        return True
    local = sender.partition("@")[0]
    return local in _ROBOT_SENDERS


def _body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content


def strip_quoted(text: str) -> str:
    """The new words of a reply: stops at the quote header, quoted lines (">") and the signature ("-- ")."""
    kept: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        # Mail clients wrap a long "On <date>, <name> <address> wrote:" over two lines.
        joined = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if line in ("-- ", "--") or line.startswith(">") or _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith("On ") and _QUOTE_HEADER.match(joined):
            break
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


class _TextOfHtml(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._quoted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "blockquote":
            self._quoted += 1  # the quoted earlier message of an HTML reply
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "blockquote":
            self._quoted = max(0, self._quoted - 1)
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._quoted:
            self.parts.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks become lines, scripts, styles and quoted blocks are dropped."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
