"""Outbound email for every processor: the outbox service, MIME building and SMTP delivery.

Modules: outbox (`OutboxService`, the `Outbox` port and the `email.deliver` job), message (the MIME
message of an entry; validation of what may be sent), smtp (`PURSER_SMTP_URL` parsing and delivery).
"""

from purser.mail.outbox import DELIVER_KIND, OutboxService
from purser.mail.smtp import MailDeliveryError, SmtpTarget, parse_smtp_url

__all__ = ["DELIVER_KIND", "MailDeliveryError", "OutboxService", "SmtpTarget", "parse_smtp_url"]
