"""The offline model's intents: what one request in a customer's message asks for.

A `StrEnum`, so a member equals its name as text (`Intent.REFUND == "refund"`): the training
corpus (`corpus.yaml`), the conversation history and the handoff reasons keep plain strings.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["INTENTS", "Intent"]


class Intent(StrEnum):
    """Every intent the classifier knows (the corpus must cover each, and may use no other)."""

    REFUND = "refund"
    CHARGE_QUESTION = "charge_question"
    SEND_INVOICE = "send_invoice"
    UPDATE_BILLING = "update_billing"
    CHANGE_PLAN = "change_plan"
    CHANGE_SEATS = "change_seats"
    PREVIEW_CHANGE = "preview_change"
    RETRY_PAYMENT = "retry_payment"
    PAYMENT_METHOD = "payment_method"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    ACCOUNT_QUESTION = "account_question"
    POLICY_QUESTION = "policy_question"
    HUMAN_REQUEST = "human_request"
    DISPUTE = "dispute"
    FRAUD = "fraud"
    LEGAL_THREAT = "legal_threat"
    ABUSE = "abuse"
    GREETING = "greeting"
    THANKS = "thanks"
    AFFIRM = "affirm"
    DENY = "deny"
    UNKNOWN = "unknown"


INTENTS: tuple[str, ...] = tuple(intent.value for intent in Intent)
"""Every intent's name, in the enum's order."""
