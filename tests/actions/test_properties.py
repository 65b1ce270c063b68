"""Property: arbitrary (and hostile) sequences of action calls never produce a write the policy forbids.

After every step the processor's state is read back and checked against an independent
re-computation of the policy: proposals never write; every refund was confirmed "yes" in the
proposing conversation by its customer (or approved by a human); unapproved refunds stay inside the
window, the per-refund cap (except one exact duplicate), the per-customer count and the daily budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.actions.conftest import NOW, Env, customer, make_env, world

from purser.actions.gateway import Scope
from purser.domain import CustomerId, Refund

CUSTOMERS = ("ana", "bob", "tea")
CAP = {"ana": 2000, "bob": 2000, "tea": 6000}  # one_cycle in cents
DUPLICATE_PAIR = {"ch_ana_11", "ch_ana_11b"}
CHARGES = [f"ch_{c}_{m:02d}" for c in CUSTOMERS for m in range(6, 12)] + ["ch_ana_11b", "ch_nobody", "", "ch_ana_11 "]
AMOUNTS = [
    None,
    "1.00",
    "5.00",
    "20.00",
    "20",
    "60.00",
    "0",
    "-5.00",
    "0.001",
    "1e2",
    "abc",
    "99999999999.99",
    "$5",
    "5.00 eur",
    "€5.00",
    "5,00",
    "500 JPY",
]

propose_refund = st.tuples(
    st.just("refund"), st.sampled_from(CUSTOMERS), st.integers(0, 1), st.sampled_from(CHARGES), st.sampled_from(AMOUNTS)
)
propose_other = st.tuples(
    st.just("other"),
    st.sampled_from(CUSTOMERS),
    st.integers(0, 1),
    st.sampled_from(
        [("change_seats", {"quantity": q}) for q in (-1, 0, 3, 6, 80)]
        + [("pause", {"months": m}) for m in (0, 2, 9)]
        + [("change_plan", {"plan": p}) for p in ("business", "basic", "nope")]
        + [("cancel", {"reason": None}), ("refund", {"charge_id": "x", "x": 1})]
    ),
    st.none(),
)
confirm = st.tuples(
    st.just("confirm"),
    st.sampled_from(CUSTOMERS),
    st.integers(0, 1),
    st.integers(0, 30),
    st.sampled_from(["yes", "yes", "no"]),
)
decide = st.tuples(st.just("decide"), st.none(), st.none(), st.integers(0, 30), st.booleans())
steps = st.lists(st.one_of(propose_refund, propose_other, confirm, decide), min_size=1, max_size=14)
policies = st.fixed_dictionaries(
    {
        "over_limit": st.sampled_from(["approval", "refuse"]),
        "per_customer_count": st.integers(0, 2),
        "daily_budget": st.sampled_from(["25.00", "500.00"]),
        "max_amount": st.sampled_from(["one_cycle", "10.00"]),
    }
)


@dataclass
class Harness:
    env: Env
    rules: dict[str, Any]
    proposed: list[tuple[str, Scope]] = field(default_factory=list)  # (action_id, scope)
    confirmed: set[str] = field(default_factory=set)  # action ids confirmed yes by their own scope
    approved: set[str] = field(default_factory=set)
    seen: list[Refund] = field(default_factory=list)

    def state(self) -> tuple[Any, ...]:
        snaps = [self.env.processor.snapshot(CustomerId(c)) for c in CUSTOMERS]
        return tuple((s.refunds, s.subscription, s.charges, len(s.emails)) for s in snaps)

    def refunds(self) -> list[Refund]:
        return [r for c in CUSTOMERS for r in self.env.processor.snapshot(CustomerId(c)).refunds]


def _scope(cust: str, conv: int) -> Scope:
    return Scope(f"conv_{cust}_{conv}", CustomerId(cust), "web", "hostile-model")


def _check(h: Harness) -> None:
    new = [r for r in h.refunds() if r.id not in {s.id for s in h.seen}]
    assert len(new) <= 1
    h.seen.extend(new)
    charges = {c.id: c for cust in CUSTOMERS for c in h.env.processor.snapshot(CustomerId(cust)).charges}
    counted: dict[str, int] = {c: 0 for c in CUSTOMERS}
    spent = 0
    exempt_used = False
    for refund in h.seen:
        action_id = refund.metadata.get("action_id", "")
        charge = charges[refund.charge_id]
        assert charge.customer_id == refund.customer_id
        assert action_id in h.confirmed, "a refund ran without its customer's confirmation"
        assert not charge.disputed
        if action_id in h.approved:
            continue
        assert NOW - charge.created <= timedelta(days=30), "outside the window"
        spent += refund.amount.minor
        twin_refunded = any(r.charge_id in DUPLICATE_PAIR and r.id != refund.id for r in h.seen[: h.seen.index(refund)])
        duplicate = (
            refund.charge_id in DUPLICATE_PAIR
            and refund.amount == charge.amount
            and not twin_refunded
            and not exempt_used
        )
        if duplicate:
            exempt_used = True
            continue
        cap = CAP[refund.customer_id] if h.rules["max_amount"] == "one_cycle" else 1000
        assert refund.amount.minor <= cap, "over the per-refund cap"
        counted[refund.customer_id] += 1
        assert counted[refund.customer_id] <= h.rules["per_customer_count"], "over the per-customer count"
    assert spent <= int(h.rules["daily_budget"].replace(".", "")), "over the daily budget"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=policies, plan=steps)
def test_no_sequence_breaks_the_policy(rules: dict[str, Any], plan: list[tuple[Any, ...]]) -> None:
    env = make_env(
        world(
            customer("ana", duplicate=True),
            customer("bob"),
            customer("tea", plan="team-monthly", amount="60.00", quantity=5),
        ),
        policy={"refunds": rules},
    )
    h = Harness(env, rules)
    for kind, cust, conv, target, extra in plan:
        before = h.state()
        if kind == "refund":
            out = env.gateway.propose(
                _scope(cust, conv), "refund", {"charge_id": target, "amount": extra, "reason": None}
            )
            h.proposed.append((out.action_id, _scope(cust, conv)))
            assert h.state() == before, "a proposal wrote"
        elif kind == "other":
            name, args = target
            out = env.gateway.propose(_scope(cust, conv), name, args)
            h.proposed.append((out.action_id, _scope(cust, conv)))
            assert h.state() == before, "a proposal wrote"
        elif kind == "confirm" and h.proposed:
            action_id, owner = h.proposed[target % len(h.proposed)]
            scope = _scope(cust, conv)
            out = env.gateway.confirm(scope, action_id, extra)
            if scope != owner:
                assert out.status == "refused"
                assert h.state() == before, "a confirmation from another conversation wrote"
            elif extra == "yes" and out.status in ("succeeded", "pending_approval", "failed"):
                h.confirmed.add(action_id)
        elif kind == "decide":
            approvals = env.gateway.approvals()
            if approvals:
                apr = approvals[target % len(approvals)]
                out = env.gateway.decide_approval(apr.id, approve=extra, approver="pat", reason="test")
                if extra and out.status == "succeeded":
                    h.approved.add(apr.action_id)
        _check(h)
    assert env.audit.verify().ok
