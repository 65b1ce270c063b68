"""Policy schema and defaults, the guard (caps, windows, approvals) and escalation."""

from purser.policy.schema import ACTION_NAMES, DEFAULT_POLICY, ESCALATION_TRIGGERS, Policy, PolicyError

__all__ = ["ACTION_NAMES", "DEFAULT_POLICY", "ESCALATION_TRIGGERS", "Policy", "PolicyError"]
