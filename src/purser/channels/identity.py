"""Who a platform user is (DESIGN §9 "Identity").

A platform user sees account data, or gets a write proposed, only once linked to a customer:
an administrator links them (`purser channel link CHANNEL EXTERNAL_ID CUSTOMER_ID`), or they link
themselves with a one-time code sent to the customer's email on file. The code flow never tells
whether an address is on file (the same answer either way), keeps only a hash of the code,
expires it after `CODE_TTL`, and drops it after `MAX_ATTEMPTS` wrong guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from purser.domain.dates import iso_utc, parse_iso_utc
from purser.errors import PurserError
from purser.ports.channels import ChannelLink, ChannelName, ChannelRepository, VerificationCode

__all__ = [
    "CHANNELS",
    "CODE_TTL",
    "MAX_ATTEMPTS",
    "ChannelIdentity",
    "CodeCheck",
    "LinkRefused",
    "find_code",
    "find_email",
]

CHANNELS: tuple[ChannelName, ...] = (
    ChannelName("slack"),
    ChannelName("whatsapp"),
    ChannelName("discord"),
    ChannelName("email"),
)
"""The platforms a customer can be linked on."""

CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CODE = re.compile(r"^\s*(\d{6})\s*$")

SendEmail = Callable[[str, str, str], None]
"""(to, subject, text): how a code reaches the customer's email on file (the outbox)."""

FindCustomers = Callable[[str], list[tuple[str, str]]]
"""email → [(customer_id, name)] on file with that address (case-insensitive)."""

CustomerName = Callable[[str], str | None]
"""customer_id → the customer's name, or None when the processor does not know them."""


class LinkRefused(PurserError, ValueError):
    """A link that cannot be made (unknown channel or customer, blank id); nothing changed."""

    code = "link_refused"
    status = 422


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """The outcome of a code a platform user typed."""

    customer_id: str | None
    """Linked to this customer, or None."""
    message: str
    """What to tell them."""


def find_email(text: str) -> str | None:
    """The first email address in a message, lower-cased."""
    match = _EMAIL.search(text)
    return match.group(0).lower() if match else None


def find_code(text: str) -> str | None:
    """A message that is only a six-digit code."""
    match = _CODE.match(text)
    return match.group(1) if match else None


class ChannelIdentity:
    """Links between platform users and customers, and the self-service code flow."""

    def __init__(
        self,
        repo: ChannelRepository,
        *,
        customer_name: CustomerName,
        find_customers: FindCustomers,
        send_email: SendEmail | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.repo = repo
        self.customer_name = customer_name
        self.find_customers = find_customers
        self.send_email = send_email
        self.clock = clock

    def link(self, channel: str, external_id: str, customer_id: str, *, by: str) -> ChannelLink:
        """Link a platform user to a customer (replacing an earlier link); `LinkRefused` names what is wrong."""
        name = self._channel(channel)
        external = external_id.strip()
        if not external or len(external) > 200:
            raise LinkRefused("external id must be 1-200 characters")
        if self.customer_name(customer_id) is None:
            raise LinkRefused(f"no customer {customer_id!r} at the processor")
        link = ChannelLink(
            channel=name,
            external_id=external,
            customer_id=customer_id,
            linked_by=by,
            created_at=iso_utc(self.clock()),
        )
        self.repo.link(link)
        return link

    def unlink(self, channel: str, external_id: str) -> bool:
        """Remove a link; False when there was none."""
        return self.repo.unlink(self._channel(channel), external_id.strip())

    def customer_of(self, channel: ChannelName, external_id: str) -> str | None:
        """The linked customer of a platform user, if any."""
        return self.repo.linked_customer(channel, external_id)

    def start(self, channel: ChannelName, external_id: str, email: str) -> str:
        """Send a code to `email` when it is on file for exactly one customer; the answer never says which."""
        matches = self.find_customers(email)
        if len(matches) == 1 and self.send_email is not None:
            customer_id, name = matches[0]
            code = f"{secrets.randbelow(10**6):06d}"
            self.repo.save_code(
                VerificationCode(
                    channel=channel,
                    external_id=external_id,
                    customer_id=customer_id,
                    code_hash=self._hash(channel, external_id, code),
                    expires_at=iso_utc(self.clock() + CODE_TTL),
                    attempts=0,
                )
            )
            self.send_email(
                email,
                "Your code to connect billing support",
                f"Hello {name},\n\nYour code is {code}. Reply with it in the chat to connect it to your billing "
                f"account. It expires in {int(CODE_TTL.total_seconds() // 60)} minutes.\n\n"
                "If you did not ask for this, ignore this email: nothing changes without the code.",
            )
        return (
            f"If {email} is the address on your billing account, we've just emailed it a 6-digit code. "
            "Reply here with the code to connect this chat to your account."
        )

    def check(self, channel: ChannelName, external_id: str, code: str) -> CodeCheck:
        """Link the platform user when `code` is their pending code (once; at most `MAX_ATTEMPTS` guesses)."""
        pending = self.repo.code(channel, external_id)
        if pending is None:
            return CodeCheck(None, "There's no code waiting here. Send the email address on your account first.")
        if parse_iso_utc(pending.expires_at) <= self.clock():
            self.repo.drop_code(channel, external_id)
            return CodeCheck(None, "That code has expired. Send the email address on your account for a new one.")
        if not hmac.compare_digest(pending.code_hash, self._hash(channel, external_id, code)):
            if self.repo.count_attempt(channel, external_id) >= MAX_ATTEMPTS:
                self.repo.drop_code(channel, external_id)
                return CodeCheck(None, "That code doesn't match, and it's now cancelled. Ask for a new one.")
            return CodeCheck(None, "That code doesn't match. Check the email and try again.")
        self.repo.drop_code(channel, external_id)
        self.link(channel, external_id, pending.customer_id, by="code")
        name = self.customer_name(pending.customer_id) or "your account"
        return CodeCheck(pending.customer_id, f"Thanks, this chat is now connected to {name}. How can I help?")

    @staticmethod
    def _hash(channel: str, external_id: str, code: str) -> str:
        return hashlib.sha256(f"{channel}|{external_id}|{code}".encode()).hexdigest()

    @staticmethod
    def _channel(channel: str) -> ChannelName:
        if channel not in CHANNELS:
            raise LinkRefused(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
        return ChannelName(channel)
