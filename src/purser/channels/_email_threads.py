"""Which thread an email belongs to: every Message-ID we answered or sent, mapped to its thread's root.

A thread's key is the Message-ID of its first message (the root). A reply names earlier messages in
`In-Reply-To` and `References`; the first of those we know gives the root, whichever mail client
trimmed which header. The map is kept with the `ChannelRepository` as `ch_threads` rows on the
pseudo-channel `email-msg` (thread_key: the Message-ID, address: `{"root": ...}`, external_id: the
customer's address, customer_id empty so a customer's thread lists never see them), so it survives
restarts and is shared by every server process without a table of its own.

A message joins a known thread only when the thread is the same sender's: a forged `References`
naming someone else's thread starts a new thread instead of joining (or re-binding) theirs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime

from purser.channels.service import canonical
from purser.domain.dates import iso_utc
from purser.ports.channels import ChannelName, ChannelRepository, ChannelThread

__all__ = ["MESSAGE_MAP", "RecentSenders", "ThreadMap"]

MESSAGE_MAP = ChannelName("email-msg")
"""The pseudo-channel of the Message-ID → root rows."""

EMAIL = ChannelName("email")


class ThreadMap:
    """Message-ID → thread root, stored with the channel repository."""

    def __init__(self, repo: ChannelRepository, *, clock: Callable[[], datetime]) -> None:
        self.repo = repo
        self.clock = clock

    def root_of(self, sender: str, message_id: str, earlier: Sequence[str]) -> str:
        """The root of the thread a message from `sender` answers (its own id when it starts one)."""
        for known in earlier:
            thread = self.repo.thread(EMAIL, known)
            if thread is not None and thread.external_id == sender:
                return known
            row = self.repo.thread(MESSAGE_MAP, known)
            if row is not None and row.external_id == sender:
                root = json.loads(row.address).get("root")
                if isinstance(root, str) and root:
                    return root
        return message_id

    def remember(self, message_id: str, root: str, customer_address: str) -> None:
        """Record that `message_id` (received or sent) belongs to the thread `root` of `customer_address`."""
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:40]
        self.repo.save_thread(
            ChannelThread(
                channel=MESSAGE_MAP,
                thread_key=message_id,
                conversation_id=f"email-msg:{digest}",  # unique per row; never a real conversation
                customer_id="",
                external_id=customer_address,
                address=canonical({"root": root}),
                last_inbound_at=None,
                updated_at=iso_utc(self.clock()),
            )
        )


class RecentSenders:
    """The last inbound address (reply headers) per sender, for answers outside a bound thread.

    A sender who is not a customer gets a knowledge-base answer; it is sent by the process that
    received their email, moments later, so a bounded in-memory map is enough to thread it.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, sender: str, address: str, root: str) -> None:
        """Remember the reply address and thread root of `sender`'s latest email."""
        with self._lock:
            self._items[sender] = (address, root)
            self._items.move_to_end(sender)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, sender: str) -> tuple[str, str] | None:
        """(address, root) of `sender`'s latest email, if this process received one."""
        with self._lock:
            return self._items.get(sender)
