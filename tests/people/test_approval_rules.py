"""The approval rules in the gateway's approval path (`purser.actions.approvals`), property-tested on money:
an approver passes exactly when the amount is within their limit converted into its currency (rounded
down), so no approval ever moves more than the limit is worth; two people are needed exactly above the
threshold; roles and disabled accounts are refused first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purser.actions.approvals import SECOND_APPROVAL, ApprovalRefused, ApprovalRules, ApproverOverLimit
from purser.app import memory_database
from purser.audit.log import AuditLog
from purser.money import Money
from purser.policy.fx import REFERENCE_RATES_PER_USD, cap_in, spent_in
from purser.policy.schema import Policy
from purser.ports.actions import ApprovalRequest
from purser.ports.approvals import AlreadySigned
from purser.ports.people import Person, PersonId
from purser.store.db import Database
from purser.store.people import SqlApprovalSignatures
from purser.store.unit_of_work import SqlUnitOfWorkFactory

CURRENCIES = sorted(REFERENCE_RATES_PER_USD)
NOW = datetime(2026, 12, 7, tzinfo=UTC)


@pytest.fixture(scope="module")
def db() -> Iterator[Database]:
    database = memory_database()
    yield database
    database.dispose()


def _rules(db: Database, people: dict[str, Person], two_person_above: str | None = None) -> ApprovalRules:
    policy = Policy.from_mapping({"approvals": {"two_person_above": two_person_above}} if two_person_above else {})
    uow = SqlUnitOfWorkFactory(db)
    return ApprovalRules(policy, SqlApprovalSignatures(db), people.get, audit=AuditLog(db), uow=uow, clock=lambda: NOW)


def _approver(name: str, limit: Money | None, role: str = "approver") -> Person:
    return Person(PersonId(f"per_{name}"), name, role, limit, None, NOW)  # type: ignore[arg-type]


_ids = iter(range(10**9))


def _request(amount: Money | None) -> ApprovalRequest:
    return ApprovalRequest(
        id=f"apr_{next(_ids)}",
        action_id=f"act_{next(_ids)}",
        conversation_id="c_1",
        customer_id="cus_ana",
        action="refund",
        amount=amount.amount_str() if amount else None,
        currency=amount.currency if amount else None,
        requested_by="model:offline",
        reason="per_refund_max",
        summary="Refund",
        status="pending",
        created_at="2026-12-07T00:00:00+00:00",
    )


@settings(max_examples=300, deadline=None)
@given(
    limit_minor=st.integers(min_value=1, max_value=10**9),
    currency=st.sampled_from(CURRENCIES),
    amount_minor=st.integers(min_value=1, max_value=10**12),
)
def test_an_approver_passes_exactly_within_their_limit_converted_down(
    db: Database, limit_minor: int, currency: str, amount_minor: int
) -> None:
    limit = Money(limit_minor, "usd")
    amount = Money(amount_minor, currency)
    rules = _rules(db, {"alice": _approver("alice", limit)})
    within = amount <= cap_in(limit, currency)
    try:
        review = rules.review(_request(amount), approve=True, approver="alice")
    except ApproverOverLimit as exc:
        assert not within
        assert f"alice's approval limit of {limit}" in str(exc)
    else:
        assert within and review.pending is None
        # Whatever the currency, what alice approved is worth no more than her limit.
        assert spent_in(amount, "usd") <= limit


@settings(max_examples=200, deadline=None)
@given(
    threshold_minor=st.integers(min_value=1, max_value=10**8),
    currency=st.sampled_from(CURRENCIES),
    amount_minor=st.integers(min_value=1, max_value=10**11),
)
def test_two_people_are_needed_exactly_above_the_threshold(
    db: Database, threshold_minor: int, currency: str, amount_minor: int
) -> None:
    threshold = Money(threshold_minor, "usd")
    amount = Money(amount_minor, currency)
    people = {"alice": _approver("alice", None, "admin"), "bob": _approver("bob", None, "admin")}
    rules = _rules(db, people, two_person_above=threshold.amount_str())
    request = _request(amount)
    first = rules.review(request, approve=True, approver="alice")
    if amount <= cap_in(threshold, currency):
        assert first.pending is None and first.signers == ()
        return
    assert first.pending is not None and first.pending.status == "pending_approval"
    assert first.pending.reason == SECOND_APPROVAL and first.pending.approval_id == request.id
    with pytest.raises(AlreadySigned):
        rules.review(request, approve=True, approver="alice")
    second = rules.review(request, approve=True, approver="bob")
    assert second.pending is None and second.signers == ("alice", "bob")


def test_roles_disabled_accounts_and_denials(db: Database) -> None:
    limit = Money.parse("10.00", "usd")
    people = {
        "vera": _approver("vera", None, "viewer"),
        "gus": _approver("gus", None, "agent"),
        "old": replace(_approver("old", limit), disabled=True),
        "nolimit": _approver("nolimit", None),
        "alice": _approver("alice", limit),
    }
    rules = _rules(db, people)
    big = _request(Money.parse("500.00", "usd"))
    for name, message in (("vera", "vera is a viewer"), ("gus", "gus is an agent"), ("old", "disabled")):
        for approve in (True, False):
            with pytest.raises(ApprovalRefused, match=message):
                rules.review(big, approve=approve, approver=name)
    with pytest.raises(ApproverOverLimit, match="no approval limit set"):
        rules.review(big, approve=True, approver="nolimit")
    assert rules.review(big, approve=False, approver="alice").pending is None  # denying needs no limit
    # Names without an account (the bootstrap admin, a fallback Slack user) have no limit.
    assert rules.review(big, approve=True, approver="admin").pending is None
    assert rules.review(big, approve=True, approver="slack:U0X").pending is None
    # Requests without money, and decided or unknown ones, pass through to the gateway.
    assert rules.review(_request(None), approve=True, approver="alice").pending is None
    assert rules.review(replace(big, status="approved"), approve=True, approver="vera").pending is None
    assert rules.review(None, approve=True, approver="vera").pending is None


def test_the_first_signature_is_audited(db: Database) -> None:
    rules = _rules(db, {}, two_person_above="1.00")
    request = _request(Money.parse("20.00", "eur"))
    review = rules.review(request, approve=True, approver="alice")
    assert review.pending is not None and "a second approver is needed" in review.pending.summary
    [record] = [r for r in AuditLog(db).records(action_id=request.action_id)]
    assert (record.kind, record.actor) == ("approval_signature", "human:alice")
    assert record.data == {"approval_id": request.id, "amount": "20.00", "currency": "eur"}
