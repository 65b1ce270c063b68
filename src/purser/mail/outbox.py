"""`OutboxService`: the `Outbox` port over the `outbox` table, delivered by `email.deliver` jobs over SMTP.

`send` validates the message and stores it with its delivery job in one transaction (a stable
Message-ID is fixed then), then hands the job to the workers. The job builds the MIME message,
gives it to the SMTP server and, in one transaction, marks the message sent and the job done.

Exactly once, honestly: an SMTP server's `250 OK` and our commit are two systems. A worker killed
after the server accepted a message and before the commit re-sends it on the next attempt, with the
SAME Message-ID, and receivers (and our tests) dedupe by Message-ID. A message is never sent under
two different Message-IDs, and never lost: while the server is down the row stays `queued` with the
error and the next attempt's time; after the last retry it is `failed`, kept, and re-queueable.

Recorded without SMTP, sent once it is configured: a message stored where no SMTP server was set
(the embedded demo) stays `queued` with `NOT_CONFIGURED`. An outbox built with an SMTP server hands
each such message to a delivery job of its own (`resume`, at start-up; keyed per message, so any
number of processes starting add one job each), and the message goes out like any other.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from purser.jobs.queue import HueyJobQueue
from purser.mail.message import DEFAULT_SENDER, check_email, mime_message
from purser.mail.smtp import MailDeliveryError, SmtpTarget, deliver, parse_smtp_url
from purser.ports.jobs import JobContext, Payload
from purser.ports.outbox import InvalidEmail, Outbox, OutboxEntry, OutboxStatus, OutgoingEmail
from purser.store.outbox import OutboxStore

__all__ = ["DELIVER_KIND", "NOT_CONFIGURED", "RESUME_LIMIT", "OutboxService"]

log = logging.getLogger("purser.mail")

DELIVER_KIND = "email.deliver"
"""The delivery job's kind."""

NOT_CONFIGURED = "not delivered: no SMTP server is configured (set PURSER_SMTP_URL)"
"""The error a message keeps when it was recorded on a machine without SMTP (the embedded demo)."""

RESUME_LIMIT = 1000
"""The most messages recorded without SMTP that one start-up hands to delivery (the newest first)."""

_RESUMED = ":smtp"
"""Suffix of the delivery job of a message recorded without SMTP (its first job is done already)."""


class OutboxService:
    """Send email through the outbox (implements `purser.ports.outbox.Outbox`)."""

    def __init__(
        self,
        store: OutboxStore,
        queue: HueyJobQueue,
        *,
        smtp_url: str | None,
        sender: str | None = None,
        retries: int = 12,
        retry_delay_seconds: int = 30,
        timeout_seconds: int = 10,
    ) -> None:
        self.store = store
        self.queue = queue
        self.target: SmtpTarget | None = parse_smtp_url(smtp_url) if smtp_url else None
        self.sender = sender or DEFAULT_SENDER
        """The From address of messages that name none."""
        self.timeout_seconds = timeout_seconds
        address = self.sender.rpartition("<")[2].rstrip(">")
        self.message_domain = address.rpartition("@")[2] or "purser.local"
        queue.register(DELIVER_KIND, self.deliver_job, retries=retries, retry_delay_seconds=retry_delay_seconds)
        if self.target is not None:
            try:
                self.resume()
            except Exception:  # the database is briefly away: the messages wait for the next start
                log.exception("outbox: messages recorded without SMTP were not handed to delivery")

    def resume(self, *, limit: int = RESUME_LIMIT) -> int:
        """Hand every message recorded while no SMTP server was configured (`queued`, `NOT_CONFIGURED`)
        to a delivery job of its own; the number of jobs added (0 without SMTP, or when each message
        has its job already)."""
        if self.target is None:
            return 0
        added = 0
        now = datetime.now(UTC)
        for entry in self.store.entries(status="queued", limit=limit):
            if entry.last_error != NOT_CONFIGURED:
                continue  # on its way: its own job retries it
            if self.queue.enqueue(DELIVER_KIND, {"outbox_id": entry.id}, key=_job_key(entry.id) + _RESUMED, eta=now):
                added += 1
        if added:
            log.info("outbox: %d message(s) recorded without SMTP handed to delivery", added)
        return added

    def send(self, email: OutgoingEmail, *, key: str) -> OutboxEntry:
        """Store `email` under `key` with its delivery job and hand the job to the workers."""
        check_email(email)
        if not key.strip() or len(key) > 300:
            raise InvalidEmail(f"email {email.kind!r}: the key must be a non-empty string of at most 300 characters")
        now = datetime.now(UTC)
        max_attempts, _delay = self.queue.spec(DELIVER_KIND)
        entry, job_key = self.store.insert(
            email,
            key=key,
            message_domain=self.message_domain,
            now=now,
            job_kind=DELIVER_KIND,
            max_attempts=max_attempts,
        )
        if entry.status == "queued":
            self.queue.announce(job_key, now)
        return entry

    def get(self, outbox_id: str) -> OutboxEntry | None:
        """One entry by id (with attachments)."""
        return self.store.get(outbox_id)

    def entries(self, *, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxEntry]:
        """Newest first."""
        return self.store.entries(status=status, limit=limit)

    def requeue(self, outbox_id: str) -> bool:
        """Try a `failed` message again (its dead delivery job gets new attempts)."""
        if not self.store.requeue(outbox_id, now=datetime.now(UTC)):
            return False
        # Its dead job: the first one, or the one `resume` added when it was recorded without SMTP.
        if not self.queue.requeue(_job_key(outbox_id)):
            self.queue.requeue(_job_key(outbox_id) + _RESUMED)
        return True

    # -- the job -----------------------------------------------------------------------------------
    def deliver_job(self, payload: Payload, context: JobContext) -> None:
        """`email.deliver`: send one outbox message over SMTP (raises to be retried while the server fails)."""
        outbox_id = str(payload.get("outbox_id") or "")
        entry = self.store.get(outbox_id)
        if entry is None:
            raise InvalidEmail(f"email.deliver: no outbox message {outbox_id!r}")
        now = datetime.now(UTC)
        if entry.status == "sent":
            return  # delivered by an earlier attempt whose job bookkeeping was lost
        if self.target is None:
            self.store.attempted(outbox_id, error=NOT_CONFIGURED, next_attempt_at=None, now=now, keep_queued=True)
            log.info("email %s (%s) recorded, %s", outbox_id, entry.email.kind, NOT_CONFIGURED)
            return
        msg = mime_message(entry, default_sender=self.sender)
        try:
            deliver(self.target, msg, timeout=self.timeout_seconds)
        except MailDeliveryError as exc:
            max_attempts, _delay = self.queue.spec(DELIVER_KIND)
            retry = now + self.queue.backoff(DELIVER_KIND, context.attempt) if context.attempt < max_attempts else None
            self.store.attempted(outbox_id, error=str(exc), next_attempt_at=retry, now=now)
            raise
        self.store.delivered(outbox_id, job_key=context.key, attempt=context.attempt, now=datetime.now(UTC))
        log.info(
            "email %s (%s) delivered to %s as %s", outbox_id, entry.email.kind, self.target.address, entry.message_id
        )


def _job_key(outbox_id: str) -> str:
    return f"{DELIVER_KIND}:{outbox_id}"


def _implements_the_port(service: OutboxService) -> Outbox:
    # Never called: mypy checks here that the service still satisfies `purser.ports.outbox.Outbox`.
    return service
