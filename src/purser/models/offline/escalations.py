"""Escalation reasons in a customer's words: the policy's detector (`purser.policy.escalation`),
with high-precision patterns as the fallback when it finds nothing."""

from __future__ import annotations

import re
from functools import lru_cache

from purser.policy.escalation import ESCALATION_TRIGGERS, EscalationReason, detect_triggers
from purser.text import ascii_twin

__all__ = ["ESCALATIONS", "detect_escalation"]

ESCALATIONS: tuple[str, ...] = tuple(
    reason.value
    for reason in ESCALATION_TRIGGERS
    if reason is not EscalationReason.REPEATED_FAILURE  # counted by the gateway, never read in words
)
"""The escalation intents, in the order the policy lists its triggers."""

_ESCALATION_PATTERNS: tuple[tuple[str, str], ...] = (
    ("legal_threat", r"\b(?:lawyer|attorney|solicitor|sue|suing|lawsuit|legal action|court|legal notice)\b"),
    # "charge back" in two words is the policy detector's to judge ("put the charge back" is a refund)
    ("dispute", r"\b(?:chargebacks?|dispute|disputing|disputed)\b"),
    (
        "fraud",
        r"\b(?:fraud\w*|unauthori[sz]ed|did not authori[sz]e|never authori[sz]ed|hacked|compromised|"
        r"identity (?:was )?stolen|never signed up|"
        r"(?:used|charged)\b.{0,20}\bwithout (?:my )?(?:permission|consent|knowledge)|"
        r"(?:stole|stolen)\b.{0,40}\b(?:used|charged|using|paid)|not my (?:charge|payment|transaction))\b",
    ),
    (
        "human_request",
        r"\b(?:human|real person|live agent|(?:speak|talk|get|want|need|put me through|connect me|transfer me)\b"
        r"[^.]{0,20}\b(?:representative|supervisor|manager|operator)|talk to (?:a |an )?"
        r"(?:person|agent|someone)|speak (?:to|with) (?:a |an )?(?:person|agent|someone))\b",
    ),
    ("abuse", r"\b(?:idiots?|stupid|moron\w*|f\*+k|fuck\w*|fck|stfu|shut up|screw you|go to hell|scum)\b"),
)


_COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern)) for reason, pattern in _ESCALATION_PATTERNS
)
_COMPILED_ASCII = tuple((reason, ascii_twin(pattern)) for reason, pattern in _COMPILED)
_HOW_TO_DISPUTE = re.compile(r"\b(?:can i|how do i|how to|could i|want to) dispute\b")


def detect_escalation(raw: str, normalized: str) -> list[str]:
    """Escalation reasons in the text: the policy's detector when present, else patterns."""
    return list(_detect(raw, normalized))


@lru_cache(maxsize=1024)
def _detect(raw: str, normalized: str) -> tuple[str, ...]:
    # bounded memo: a one-clause message is read as its clause and again as the whole message
    found = [reason for reason in detect_triggers(raw) if reason in ESCALATIONS]
    if found:
        return tuple(found)
    for reason, pattern in _COMPILED_ASCII if normalized.isascii() else _COMPILED:  # see purser.text
        if pattern.search(normalized) and reason not in found:
            found.append(reason)
    if "dispute" in found and _HOW_TO_DISPUTE.search(normalized):
        found.remove("dispute")
    return tuple(found)
