"""Policy schema and defaults, the guard (caps, windows, approvals) and escalation."""

from purser.policy.escalation import HANDOFF_REASONS, EscalationReason
from purser.policy.schema import ACTION_NAMES, DEFAULT_POLICY, ESCALATION_TRIGGERS, Policy, PolicyError

__all__ = [
    "ACTION_NAMES",
    "DEFAULT_POLICY",
    "ESCALATION_TRIGGERS",
    "HANDOFF_REASONS",
    "EscalationReason",
    "Policy",
    "PolicyError",
]
