"""The account snapshot: a customer's whole billing state in one read, plus the upcoming invoice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql

from purser.domain import AccountSnapshot, Customer, Invoice, InvoiceStatus, Plan, Subscription, SubscriptionStatus
from purser.memo import PerAccount, Reading
from purser.money import Money
from purser.processors.errors import NotFound
from purser.processors.sandbox import invoices, queries, rows
from purser.processors.sandbox.clock import wall_now
from purser.processors.sandbox.prepared import Prepared
from purser.store import sandbox_tables as t

S = SubscriptionStatus


def next_invoice(
    conn: Connection,
    sub: Subscription | None,
    customer: Customer | None = None,
    plans: Mapping[str, Plan] | None = None,
) -> tuple[datetime | None, Money | None]:
    """Date and amount due of the next renewal invoice, scheduled changes and customer credit included."""
    if sub is None or sub.status is S.CANCELED or sub.cancel_at_period_end:
        return None, None
    if sub.status is S.TRIALING:
        when = sub.trial_end or sub.current_period_end
    elif sub.status is S.PAUSED:
        when = sub.current_period_end
        if sub.resumes_at is not None and sub.resumes_at >= sub.current_period_end:
            when = sub.resumes_at
    else:
        when = sub.current_period_end
    plan_id = sub.scheduled_plan_id or sub.plan_id
    plan = plans[plan_id] if plans and plan_id in plans else queries.plan(conn, plan_id)
    quantity = sub.scheduled_quantity or sub.quantity
    cust = customer or queries.customer(conn, sub.customer_id)
    subtotal = plan.price_for(quantity)
    tax, _ = invoices.signed_tax(cust, subtotal)
    amount = subtotal + tax
    if cust.balance is not None and cust.balance.currency == amount.currency and cust.balance.minor < 0:
        amount = Money(max(amount.minor + cust.balance.minor, 0), amount.currency)
    return when, amount


# Built once and run on the DBAPI cursor (see `prepared.py`): nine reads for the whole account, one
# statement on PostgreSQL (`_ONE_TRIP_SQL`), where each statement is a round trip through psycopg.
_CID = queries.CUSTOMER_ID
_CUSTOMER = Prepared(
    select(t.customers, select(t.clock.c.now).where(t.clock.c.id == 1).scalar_subquery()).where(
        t.customers.c.id == _CID
    )
)
_SUBSCRIPTIONS = Prepared(select(t.subscriptions).where(t.subscriptions.c.customer_id == _CID))
_PLANS = Prepared(select(t.plans).order_by(t.plans.c.id))
_INVOICES = Prepared(
    select(t.invoices, t.invoice_lines)
    .outerjoin(t.invoice_lines, t.invoice_lines.c.invoice_id == t.invoices.c.id)
    .where(t.invoices.c.customer_id == _CID)
    .order_by(t.invoices.c.created.desc(), t.invoices.c.number.desc(), t.invoices.c.id, t.invoice_lines.c.position)
)
_N_INVOICE = len(t.invoices.c)
_PAYMENT_METHODS = Prepared(
    select(t.payment_methods)
    .where(t.payment_methods.c.customer_id == _CID)
    .order_by(t.payment_methods.c.is_default.desc(), t.payment_methods.c.id)
)
_CHARGES = Prepared(
    select(t.charges).where(t.charges.c.customer_id == _CID).order_by(t.charges.c.created.desc(), t.charges.c.id.desc())
)
_REFUNDS = Prepared(
    select(t.refunds).where(t.refunds.c.customer_id == _CID).order_by(t.refunds.c.created.desc(), t.refunds.c.id.desc())
)
_DISPUTES = Prepared(
    select(t.disputes)
    .join(t.charges, t.charges.c.id == t.disputes.c.charge_id)
    .where(t.charges.c.customer_id == _CID)
    .order_by(t.disputes.c.created.desc())
)
_EMAILS = Prepared(
    select(t.emails).where(t.emails.c.customer_id == _CID).order_by(t.emails.c.sent_at.desc(), t.emails.c.id.desc())
)


T = TypeVar("T")

ACCOUNTS_KEPT = 256
"""Accounts whose last read's entities are kept (the most recently read; see `purser.memo`)."""

_ROWS: PerAccount[tuple[Any, ...], Any] = PerAccount(ACCOUNTS_KEPT)
"""Per account, the entity each row of its last read was mapped to, keyed by (mapper, row)."""
_CATALOGUE: list[tuple[tuple[tuple[Any, ...], ...], tuple[Plan, ...]]] = []
"""The plan catalogue's rows and plans as last read (every account shares it)."""


def forget_rows() -> None:
    """Forget every kept entity (measurements of cold reads; kept entities never go stale: rows are keys)."""
    _ROWS.clear()
    _CATALOGUE.clear()


def _mapped(kept: Reading[tuple[Any, ...], Any], mapper: Callable[[Sequence[Any]], T], row: Sequence[Any]) -> T:
    """`mapper(row)`, or the entity the account's previous read mapped from an identical row.

    An entity is a pure function of its row and immutable, so the same row read again (the next
    turn's snapshot, or this turn's after a write that changed other rows) is not mapped again: no
    timestamps parsed, no `Money` or enums built. A row holding an unhashable value (a JSON column
    decoded to a list) is mapped every time."""
    key = (mapper, row if row.__class__ is tuple else tuple(row))
    try:
        found: T | None = kept.get(key)
    except TypeError:
        return mapper(row)
    if found is None:
        found = mapper(row)
    kept.keep(key, found)
    return found


def _catalogue(plan_rows: list[Any]) -> tuple[Plan, ...]:
    # The catalogue changes rarely and is the same for every account: one copy, replaced on a change.
    key = tuple(r if r.__class__ is tuple else tuple(r) for r in plan_rows)
    current = _CATALOGUE[:]  # a copy: `forget_rows` may empty the list meanwhile
    if current and current[0][0] == key:
        return current[0][1]
    plans = tuple(rows.plan(r) for r in plan_rows)
    _CATALOGUE[:] = [(key, plans)]
    return plans


# Not refunds: a `Refund` carries its metadata as a dict, which a shared entity must not expose.


def _invoice_of(group: Sequence[Any]) -> Invoice:
    # One invoice's rows (head + line columns; a row of NULL line columns when it has no lines).
    head = group[0][:_N_INVOICE]
    return rows.invoice(head, [r[_N_INVOICE:] for r in group if r[_N_INVOICE] is not None])


def _invoices(kept: Reading[tuple[Any, ...], Any], found: list[Any]) -> list[Invoice]:
    # One row per line (invoices without lines: one row of NULLs), invoices in the query's order.
    out: list[Invoice] = []
    group: list[Any] = []
    for r in found:
        if group and r[0] != group[0][0]:
            out.append(_mapped(kept, _invoice_of, tuple(group if group[0].__class__ is tuple else map(tuple, group))))
            group = []
        group.append(r)
    if group:
        out.append(_mapped(kept, _invoice_of, tuple(group if group[0].__class__ is tuple else map(tuple, group))))
    return out


def _current(subs: list[Subscription]) -> Subscription | None:
    # The live subscription if any, else the most recent one (as `queries.subscription_of`).
    if not subs:
        return None
    return min(subs, key=lambda s: (s.status is S.CANCELED, -s.created.timestamp()))


def _q(name: str) -> str:
    return str(_PG.identifier_preparer.quote(name))


def _agg(table: Any, alias: str, where: str, order: str, join: tuple[Any, str, str] | None = None) -> str:
    # One part of the PostgreSQL snapshot: the rows of `select(table)` (with `join`'s columns after
    # them) as one JSON array of arrays, in `order` ('[]' when there are none). Timestamps become
    # ISO 8601 text, which `rows.aware` reads.
    columns = [f"{alias}.{_q(c.name)}" for c in table.c]
    source = f"{table.name} {alias}"
    if join is not None:
        other, other_alias, on = join
        columns += [f"{other_alias}.{_q(c.name)}" for c in other.c]
        source += f" LEFT JOIN {other.name} {other_alias} ON {on}"
    row = f"json_build_array({','.join(columns)})"
    return f"(SELECT coalesce(json_agg({row} ORDER BY {order}),'[]') FROM {source} WHERE {where})"


_PG: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
_C = "%(customer_id)s"
_CUSTOMER_PART = (
    f"(SELECT json_build_array(json_build_array({','.join('c.' + _q(c.name) for c in t.customers.c)},"
    f"(SELECT now FROM {t.clock.name} WHERE id=1))) FROM {t.customers.name} c WHERE c.id={_C})"
)
_ONE_TRIP_SQL = (
    "SELECT json_build_array("
    + ",".join(
        [
            f"coalesce({_CUSTOMER_PART},'[]')",
            _agg(t.subscriptions, "s", f"s.customer_id={_C}", "s.id"),
            _agg(t.plans, "p", "true", "p.id"),
            _agg(
                t.invoices,
                "i",
                f"i.customer_id={_C}",
                "i.created DESC,i.number DESC,i.id,l.position",
                (t.invoice_lines, "l", "l.invoice_id=i.id"),
            ),
            _agg(t.payment_methods, "m", f"m.customer_id={_C}", "m.is_default DESC,m.id"),
            _agg(t.charges, "h", f"h.customer_id={_C}", "h.created DESC,h.id DESC"),
            _agg(t.refunds, "r", f"r.customer_id={_C}", "r.created DESC,r.id DESC"),
            _agg(
                t.disputes,
                "d",
                f"d.charge_id IN (SELECT id FROM {t.charges.name} WHERE customer_id={_C})",
                "d.created DESC",
            ),
            _agg(t.emails, "e", f"e.customer_id={_C}", "e.sent_at DESC,e.id DESC"),
        ]
    )
    + ")"
)
"""PostgreSQL: the nine reads as one statement, one round trip and one JSON document (compact SQL:
psycopg re-parses a long query text on every execute)."""

_PARTS = (_CUSTOMER, _SUBSCRIPTIONS, _PLANS, _INVOICES, _PAYMENT_METHODS, _CHARGES, _REFUNDS, _DISPUTES, _EMAILS)


def _fetch(conn: Connection, by_customer: dict[str, str], *, one_trip: bool = True) -> list[list[Any]]:
    # The rows of the nine reads, in `_PARTS` order.
    if conn.dialect.name != "postgresql" or not one_trip:
        return Prepared.rows_of(conn, _PARTS, by_customer)
    if not conn.in_transaction():
        conn.begin()
    cursor = conn.connection.cursor()
    try:
        cursor.execute(_ONE_TRIP_SQL, by_customer)
        found = cursor.fetchone()
    finally:
        cursor.close()
    assert found is not None
    parts: list[list[Any]] = found[0]
    return parts


def build(conn: Connection, customer_id: str, *, one_trip: bool = True) -> AccountSnapshot:
    """Everything about one customer, at the sandbox clock (raises `NotFound`).

    `one_trip=False` reads with the nine statements on PostgreSQL too (tests compare the two)."""
    parts = _fetch(conn, {"customer_id": customer_id}, one_trip=one_trip)
    if not parts[0]:
        raise NotFound(f"no such customer: {customer_id!r}")
    with _ROWS.reading(customer_id) as kept:
        return _snapshot(conn, kept, parts)


def _snapshot(conn: Connection, kept: Reading[tuple[Any, ...], Any], parts: list[list[Any]]) -> AccountSnapshot:
    # The account from the nine reads' rows (`_PARTS` order), mapping only rows its last read did not have.
    head_rows, sub_rows, plan_rows, inv_rows, pm_rows, charge_rows, refund_rows, dispute_rows, email_rows = parts
    head = head_rows[0]
    cust = _mapped(kept, rows.customer, head[:-1])
    now = rows.aware(head[-1]) or wall_now()
    sub = _current([_mapped(kept, rows.subscription, r) for r in sub_rows])
    catalogue = _catalogue(plan_rows)
    by_id: dict[str, Plan] = {p.id: p for p in catalogue}
    plan = by_id.get(sub.plan_id) if sub else None
    scheduled = by_id.get(sub.scheduled_plan_id) if sub and sub.scheduled_plan_id else None
    all_invoices = _invoices(kept, inv_rows)
    open_invoices = [i for i in all_invoices if i.status is InvoiceStatus.OPEN]
    due = sum(i.total.minor - (i.amount_paid.minor if i.amount_paid else 0) for i in open_invoices)
    currency = open_invoices[0].total.currency if open_invoices else None
    when, amount = next_invoice(conn, sub, cust, by_id)
    return AccountSnapshot(
        customer=cust,
        now=now,
        payment_methods=tuple(_mapped(kept, rows.payment_method, r) for r in pm_rows),
        subscription=sub,
        plan=plan,
        scheduled_plan=scheduled,
        plans=catalogue,
        invoices=tuple(all_invoices),
        charges=tuple(_mapped(kept, rows.charge, r) for r in charge_rows),
        refunds=tuple(rows.refund(r) for r in refund_rows),
        disputes=tuple(_mapped(kept, rows.dispute, r) for r in dispute_rows),
        emails=tuple(_mapped(kept, rows.email, r) for r in email_rows),
        next_invoice_date=when,
        next_invoice_amount=amount,
        past_due=Money(due, currency) if currency else None,
    )
