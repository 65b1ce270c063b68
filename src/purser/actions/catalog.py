"""The action catalog (DESIGN §5): one module per action, in the order tools are offered."""

from __future__ import annotations

from purser.actions import (
    cancel,
    change_plan,
    change_seats,
    handoff,
    lookup_account,
    pause,
    payment_method_link,
    preview_change,
    refund,
    resume,
    retry_payment,
    send_invoice,
    update_billing_details,
)
from purser.actions.base import ActionSpec

CATALOG: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        lookup_account.SPEC,
        send_invoice.SPEC,
        update_billing_details.SPEC,
        refund.SPEC,
        preview_change.SPEC,
        change_plan.SPEC,
        change_seats.SPEC,
        retry_payment.SPEC,
        payment_method_link.SPEC,
        pause.SPEC,
        resume.SPEC,
        cancel.SPEC,
        handoff.SPEC,
    )
}
"""Every action by name."""

__all__ = ["CATALOG"]
