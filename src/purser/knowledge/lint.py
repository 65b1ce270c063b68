"""`purser kb lint`: statements in the documents that contradict the configured policy.

Each finding names both places, e.g.
`refunds.md §1 "Refund window" says 60 days; policy.refunds.window_days is 30`.
Documents older than a configurable age are reported as warnings (they do not block).

`purser serve --strict` keeps write actions off while `kb_contradictions_block_writes(lint(...))`.

Dunning is not a policy key: the sandbox retries failed payments on the fixed schedule
`DUNNING_RETRY_DAYS` (days after the first failed attempt), which the documents are checked
against and which the sandbox imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from purser.knowledge.base import KnowledgeBase
from purser.knowledge.claims import Claim, extract_claims
from purser.knowledge.documents import Section
from purser.knowledge.text import split_sentences
from purser.money import InvalidAmount, Money
from purser.policy.schema import Policy

DUNNING_RETRY_DAYS: tuple[int, ...] = (3, 5, 7)
"""When the sandbox retries a failed invoice payment: 3 retries, 3, 5 and 7 days after the invoice's
first attempt (its creation, for renewals). After the last retry fails the subscription becomes
`unpaid`. The sample KB's dunning document states exactly this; `lint` checks documents against it."""

DUNNING_MAX_RETRIES: int = len(DUNNING_RETRY_DAYS)
"""How many automatic retries follow a failed payment."""

DEFAULT_MAX_AGE_DAYS = 365
"""Documents not updated for longer than this are reported as stale."""

Severity = Literal["contradiction", "warning"]


@dataclass(frozen=True)
class Finding:
    """A document statement that disagrees with the policy (or a stale document)."""

    kind: str
    """refund_window, refund_max, refund_count, refund_lookback, daily_budget, upgrade, downgrade,
    cancellation, pause_max, max_seat_change, dunning_count, dunning_days, dunning_span,
    dunning_every, or stale."""
    severity: Severity
    document: str
    heading: str
    location: str
    stated: str
    policy_key: str
    policy_value: str
    sentence: str

    @property
    def message(self) -> str:
        """One line naming both places."""
        if self.kind == "stale":
            return f"{self.location} {self.stated}; {self.policy_key} is {self.policy_value}"
        return f"{self.location} says {self.stated}; {self.policy_key} is {self.policy_value}"

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, str]:
        """JSON-ready, with the message."""
        return {**asdict(self), "message": self.message}


def kb_contradictions_block_writes(findings: Iterable[Finding]) -> bool:
    """True when any finding is a contradiction (stale-document warnings never block)."""
    return any(f.severity == "contradiction" for f in findings)


def lint(
    policy: Policy,
    kb: KnowledgeBase,
    *,
    max_age_days: int | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """Every statement in `kb` that contradicts `policy`, then (with `max_age_days`) stale documents."""
    findings: list[Finding] = []
    for section in kb.sections:
        # Headings make statements too ("30-day refund window").
        heading = [section.heading] if section.heading else []
        for sentence in heading + split_sentences(section.text):
            for claim in extract_claims(sentence):
                finding = _check(policy, claim, section, sentence)
                if finding is not None and finding not in findings:
                    findings.append(finding)
    if max_age_days is not None:
        findings += stale_documents(kb, max_age_days, today=today)
    return findings


def stale_documents(kb: KnowledgeBase, max_age_days: int, *, today: dt.date | None = None) -> list[Finding]:
    """Warnings for documents whose `updated:` date (or file date) is more than `max_age_days` old."""
    today = today or dt.datetime.now(dt.UTC).date()
    warnings = []
    for doc in kb.documents:
        as_of = doc.as_of
        if as_of is None or (today - as_of).days <= max_age_days:
            continue
        source = "updated" if doc.updated else "file date"
        warnings.append(
            Finding(
                kind="stale",
                severity="warning",
                document=doc.name,
                heading="",
                location=doc.name,
                stated=f"is {(today - as_of).days} days old ({source} {as_of.isoformat()})",
                policy_key="kb_max_age_days",
                policy_value=str(max_age_days),
                sentence="",
            )
        )
    return warnings


def _expected(policy: Policy, claim: Claim) -> tuple[str, str, bool]:
    """(policy key, policy value as text, whether the claim agrees)."""
    refunds, plans, cancel = policy.refunds, policy.plans, policy.cancellation
    value = claim.value
    schedule = DUNNING_RETRY_DAYS
    retries = "retry" if len(schedule) == 1 else "retries"
    schedule_text = f"{len(schedule)} {retries} on days {', '.join(map(str, schedule))}"
    if claim.kind == "refund_window":
        return "policy.refunds.window_days", str(refunds.window_days), value == refunds.window_days
    if claim.kind == "refund_count":
        return "policy.refunds.per_customer_count", str(refunds.per_customer_count), value == refunds.per_customer_count
    if claim.kind == "refund_lookback":
        return "policy.refunds.per_customer_days", str(refunds.per_customer_days), value == refunds.per_customer_days
    if claim.kind == "refund_max":
        if refunds.max_amount == "one_cycle":
            return "policy.refunds.max_amount", "one_cycle", value == "1_cycle"
        agrees = (
            isinstance(value, str)
            and not value.endswith("_cycle")
            and _same_money(value, claim.currencies, refunds.max_amount, policy)
        )
        return "policy.refunds.max_amount", f"{refunds.max_amount} {policy.currency}", agrees
    if claim.kind == "daily_budget":
        agrees = isinstance(value, str) and _same_money(value, claim.currencies, refunds.daily_budget, policy)
        return "policy.refunds.daily_budget", f"{refunds.daily_budget} {policy.currency}", agrees
    if claim.kind == "upgrade":
        return "policy.plans.upgrade", plans.upgrade, value == plans.upgrade
    if claim.kind == "downgrade":
        return "policy.plans.downgrade", plans.downgrade, value == plans.downgrade
    if claim.kind == "cancellation":
        return "policy.cancellation.effective", cancel.effective, value == cancel.effective
    if claim.kind == "pause_max":
        months = cancel.pause_max_months
        agrees = value == months if isinstance(value, int) and value >= 0 else False
        return "policy.cancellation.pause_max_months", str(months), agrees
    if claim.kind == "max_seat_change":
        return "policy.plans.max_seat_change", str(plans.max_seat_change), value == plans.max_seat_change
    key = "purser.knowledge.lint.DUNNING_RETRY_DAYS"
    if claim.kind == "dunning_count":
        return key, schedule_text, value == len(schedule)
    if claim.kind == "dunning_days":
        return key, schedule_text, value == schedule
    if claim.kind == "dunning_span":
        return key, schedule_text, value == schedule[-1]
    if claim.kind == "dunning_every":
        uniform = all(day == schedule[0] * (i + 1) for i, day in enumerate(schedule))
        return key, schedule_text, uniform and value == schedule[0]
    raise ValueError(f"unknown claim kind {claim.kind!r}")


def _same_money(stated: str, currencies: tuple[str, ...], configured: str, policy: Policy) -> bool:
    if currencies and policy.currency not in currencies:
        return False  # "€50" in a USD policy
    try:
        return Money.parse(stated, policy.currency) == Money.parse(configured, policy.currency)
    except InvalidAmount:
        return False


def _check(policy: Policy, claim: Claim, section: Section, sentence: str) -> Finding | None:
    key, expected, agrees = _expected(policy, claim)
    if agrees:
        return None
    return Finding(
        kind=claim.kind,
        severity="contradiction",
        document=section.document,
        heading=section.heading,
        location=section.location,
        stated=claim.stated,
        policy_key=key,
        policy_value=expected,
        sentence=sentence,
    )


__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "DUNNING_MAX_RETRIES",
    "DUNNING_RETRY_DAYS",
    "Finding",
    "Severity",
    "kb_contradictions_block_writes",
    "lint",
    "stale_documents",
]
