"""The root of every error Purser raises on purpose.

Each error carries a stable machine `code` and the HTTP `status` the web layer answers with;
the web maps exceptions by type (`isinstance(exc, PurserError)`), so any other exception — a
bug's `ValueError` included — is a 500 with a generic body. Vendor exceptions (SQLAlchemy's,
stripe's, httpx's) never cross an adapter boundary: adapters translate them into one of these.

The tree (`code` [status], then the defining module under `purser.`; a builtin base in parentheses
is kept for callers that catch it):

    PurserError                                                purser_error [500]  errors
    ├── ActionIdExhausted (RuntimeError)                       action_id_exhausted [503]  actions.records
    ├── Superseded                                             superseded [409]  actions.records
    ├── ApprovalRefused                                        approval_refused [403]  actions.approvals
    │   └── ApproverOverLimit                                  over_approval_limit [403]  actions.approvals
    ├── AlreadySigned (ValueError)                             same_approver [409]  ports.approvals
    ├── RuntimeInputError (ValueError)                         cannot_apply [409]  agent.runtime
    │   ├── InvalidReply                                       invalid_value [422]  agent.human
    │   └── NotHandedOff                                       not_handed_off [409]  agent.human
    ├── BootstrapError (RuntimeError)                          bootstrap_error [503]  app
    ├── ChannelError (ValueError)                              channel_bad_request [400]  channels.base
    │   ├── SignatureInvalid                                   signature_invalid [401]  channels.base
    │   ├── ChannelForbidden                                   channel_forbidden [403]  channels.base
    │   └── ChannelNotConfigured                               channel_not_configured [404]  channels.base
    ├── ChannelDeliveryError (RuntimeError)                    channel_delivery_failed [502]  channels.base
    ├── LinkRefused (ValueError)                               link_refused [422]  channels.identity
    ├── LinkError (ValueError)                                 link_invalid [400]  channels.links
    │   ├── LinkExpired                                        link_expired [410]  channels.links
    │   └── LinkUsed                                           link_used [409]  channels.links
    ├── ExportFormatError (ValueError)                         unknown_export_format [422]  audit.export
    ├── CheckpointRefused (RuntimeError)                       audit_checkpoint_refused [409]  audit.log
    ├── ConfigError (ValueError)                               configuration_error [503]  config
    ├── InvalidTestCard (ValueError)                           invalid_test_card [422]  dunning.payment
    ├── PaymentLinkClosed (RuntimeError)                       payment_link_closed [409]  dunning.payment
    ├── ScenarioError (ValueError)                             invalid_scenario [422]  gym.loader
    ├── GymSetupError (RuntimeError)                           gym_setup_error [503]  gym.wiring
    ├── KnowledgeError (ValueError)                            knowledge_error [422]  knowledge.errors
    │   └── DocumentError                                      bad_document [422]  knowledge.errors
    ├── ProviderConfigError (ValueError)                       model_not_configured [503]  models.providers
    ├── CurrencyMismatch (ValueError)                          currency_mismatch [422]  money
    ├── InvalidAmount (ValueError)                             invalid_amount [422]  money
    ├── InvalidPerson (ValueError)                             invalid_person [422]  people.errors
    ├── UnknownPerson (LookupError)                            unknown_person [404]  people.errors
    ├── AuthenticationFailed                                   unauthorized [401]  people.errors
    ├── NotPermitted                                           not_permitted [403]  people.errors
    │   └── CsrfRejected                                       csrf_rejected [403]  people.errors
    ├── SsoError                                               sso_failed [401]  people.errors
    │   ├── SsoNotConfigured                                   sso_not_configured [404]  people.errors
    │   └── SsoUnavailable                                     sso_unavailable [503]  people.errors
    ├── PersonExists (ValueError)                              person_exists [409]  ports.people
    ├── PolicyError (ValueError)                               invalid_policy [422]  policy.schema
    ├── Conflict                                               conflict [409]  ports.actions
    │   └── AlreadyAnswered                                    already_answered [409]  actions.records
    ├── AuditError (ValueError)                                audit_invalid [422]  ports.audit
    │   └── AuditDataError (TypeError)                         audit_data_not_json [422]  ports.audit
    ├── AuditKeyError (ValueError)                             audit_key_invalid [503]  ports.audit
    ├── UnreadableAuditRecord (ValueError)                     audit_unreadable [500]  ports.audit
    ├── InboxInputError (ValueError)                           invalid_inbox_request [422]  ports.inbox
    ├── AlreadyResolved (RuntimeError)                         inbox_already_resolved [409]  ports.inbox
    ├── ConversationBusy (RuntimeError)                        conversation_busy [409]  ports.conversations
    ├── UnknownJob (ValueError)                                unknown_job [400]  ports.jobs
    ├── ConversationNotFound (LookupError)                     conversation_not_found [404]  ports.conversations
    │   └── UnknownConversation (also RuntimeInputError)       conversation_not_found [404]  agent.runtime
    ├── ProcessorError                                         processor_error [502]  processors.errors
    │   ├── CardDeclined                                       card_declined [402]  processors.errors
    │   ├── Conflict                                           conflict [409]  processors.errors
    │   ├── IdempotencyError                                   idempotency_key_in_use [409]  processors.errors
    │   ├── InvalidRequest                                     invalid_request [422]  processors.errors
    │   │   └── WebhookSignatureError                          bad_signature [400]  processors.stripe.webhooks
    │   ├── NotFound                                           resource_missing [404]  processors.errors
    │   └── ProcessorUnavailable                               unavailable [503]  processors.errors
    ├── QueueConfigError (ValueError)                          queue_configuration_error [503]  jobs.backend
    ├── InvalidJob (ValueError)                                invalid_job [422]  jobs.queue
    ├── MailDeliveryError (RuntimeError)                       mail_undeliverable [503]  mail.smtp
    ├── JobLeaseLost (RuntimeError)                            job_lease_lost [409]  ports.jobs
    ├── InvalidEmail (ValueError)                              invalid_email [422]  ports.outbox
    ├── WebError                                               bad_request [400]  web.errors
    │   ├── BadRequest                                         bad_request [400]  web.errors
    │   ├── Forbidden                                          forbidden [403]  web.errors
    │   ├── NotFoundError                                      not_found [404]  web.errors
    │   ├── PayloadTooLarge                                    payload_too_large [413]  web.errors
    │   ├── RateLimited                                        rate_limited [429]  web.errors
    │   ├── ServiceUnavailable                                 unavailable [503]  web.errors
    │   └── Unauthorized                                       unauthorized [401]  web.errors
    ├── CrossCheckError (ValueError)                           invalid_world [422]  worlds.schema
    └── WorldError (ValueError)                                invalid_world [422]  worlds.schema

Every subclass sets `code` and `status` as class attributes; an instance may override `code`
(a processor error carries the processor's own code, e.g. `insufficient_funds`).

Outside the tree on purpose: control flow raised and caught inside one component, never reaching a
caller (`actions.base.Refusal` becomes a gateway outcome, `processors.sandbox.idempotency.RecordedFailure`
re-raises its `ProcessorError`, `models.offline.dialogue.StopTurn` / `NeedCall` end the offline model's
turn). A test (`tests/test_errors.py`) fails when a `PurserError`
is missing from this drawing.
"""

from __future__ import annotations

__all__ = ["PurserError"]


class PurserError(Exception):
    """Base of every deliberate Purser error: `message`, a stable `code` and an HTTP `status`."""

    code: str = "purser_error"
    """Stable machine-readable code (the class's; an instance may carry a more specific one)."""
    status: int = 500
    """The HTTP status the web layer answers with."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message
