"""Escalation reasons are one enum: the policy's triggers, the handoff tool's reasons and the gym's agree."""

from __future__ import annotations

import json
from typing import get_args

from purser.policy.escalation import ESCALATION_TRIGGERS, HANDOFF_REASONS, EscalationReason, detect_triggers
from purser.policy.schema import ESCALATION_TRIGGERS as SCHEMA_TRIGGERS
from purser.policy.schema import Policy, Trigger


def test_the_reasons_of_contracts_md() -> None:
    assert [r.value for r in EscalationReason] == [
        "dispute",
        "fraud",
        "legal_threat",
        "human_request",
        "abuse",
        "repeated_failure",
        "out_of_scope",
    ]
    assert tuple(r.value for r in EscalationReason) == HANDOFF_REASONS
    assert EscalationReason.OUT_OF_SCOPE not in ESCALATION_TRIGGERS


def test_the_policy_schema_spells_the_same_triggers() -> None:
    assert get_args(Trigger) == SCHEMA_TRIGGERS == tuple(r.value for r in ESCALATION_TRIGGERS)
    assert Policy().escalation.triggers == SCHEMA_TRIGGERS


def test_members_behave_as_their_strings() -> None:
    assert EscalationReason.FRAUD == "fraud" and "fraud" in {EscalationReason.FRAUD}
    assert json.dumps({"reason": EscalationReason.LEGAL_THREAT}) == '{"reason": "legal_threat"}'
    found = detect_triggers("I will call my lawyer about this fraud")
    assert found == ["fraud", "legal_threat"] and all(type(r) is str for r in found)


def test_the_gym_accepts_every_handoff_reason() -> None:
    from purser.gym.scenario import HANDOFF_REASONS as GYM_REASONS

    assert GYM_REASONS == HANDOFF_REASONS
