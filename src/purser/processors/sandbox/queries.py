"""Loading sandbox rows inside a transaction, with row locks on PostgreSQL (`SELECT ... FOR UPDATE`).

Lock order (PostgreSQL; SQLite's `BEGIN IMMEDIATE` serializes writers instead): every write takes
its row locks in one global order — customer → subscription → invoice → charge — so two writes
never wait on each other in a cycle. The customer row comes first and is the per-customer mutex:
a write that starts from a subscription, invoice or charge id locks its owner first
(`lock_owner`), the renewal batch locks its customers (in id order), then their subscriptions,
then their open invoices. Under the customer lock nobody else holds that customer's other rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Connection, Insert, Row, Select, Table, Update, bindparam, insert, select, update

from purser.domain import Charge, Customer, Invoice, PaymentMethod, Plan, Subscription
from purser.processors.errors import NotFound
from purser.processors.sandbox import rows
from purser.store import sandbox_tables as t

_KIND = {
    "sbx_customers": "customer",
    "sbx_plans": "plan",
    "sbx_subscriptions": "subscription",
    "sbx_invoices": "invoice",
    "sbx_charges": "charge",
    "sbx_payment_methods": "payment method",
}


_BY_ID: dict[tuple[str, bool], Select[Any]] = {}


def _by_id(table: Table, lock: bool) -> Select[Any]:
    key = (table.name, lock)
    stmt = _BY_ID.get(key)
    if stmt is None:
        stmt = select(table).where(table.c.id == bindparam("id"))
        if lock:
            stmt = stmt.with_for_update()
        _BY_ID[key] = stmt
    return stmt


def row(conn: Connection, table: Table, id_: str, *, lock: bool = False) -> Row[Any]:
    """The row of `table` with primary key `id_`; `NotFound` naming the kind and id when absent."""
    stmt = _by_id(table, lock and conn.dialect.name == "postgresql")
    found = conn.execute(stmt, {"id": id_}).first()
    if found is None:
        raise NotFound(f"no such {_KIND.get(table.name, table.name)}: {id_!r}")
    return found


_UPDATES: dict[tuple[str, tuple[str, ...]], Update] = {}
_INSERTS: dict[str, Insert] = {}


def set_values(conn: Connection, table: Table, id_: str, **values: Any) -> None:
    """`UPDATE table SET ... WHERE id = id_`, the statement built once per table and set of columns."""
    key = (table.name, tuple(values))
    stmt = _UPDATES.get(key)
    if stmt is None:
        # Bind names must differ from the column names in a SET clause: prefix them.
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in values})
        _UPDATES[key] = stmt
    params = {f"b_{c}": v for c, v in values.items()}
    params["b_id"] = id_
    conn.execute(stmt, params)


def insert_row(conn: Connection, table: Table, row: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Insert one row (or several, executemany) into `table` with a statement built once per table."""
    stmt = _INSERTS.get(table.name)
    if stmt is None:
        stmt = _INSERTS[table.name] = insert(table)
    conn.execute(stmt, row)


_OWNER: dict[str, Select[Any]] = {}


def lock_owner(conn: Connection, table: Table, id_: str) -> None:
    """Lock (PostgreSQL) the customer that owns row `id_` of `table` — before any of its other rows.

    One statement: the owner is found by a subquery and only the customer row is locked. A missing
    row locks nothing (the caller's own read then raises `NotFound`). A no-op on SQLite."""
    if conn.dialect.name != "postgresql":
        return
    stmt = _OWNER.get(table.name)
    if stmt is None:
        owner = select(table.c.customer_id).where(table.c.id == bindparam("id")).scalar_subquery()
        stmt = _OWNER[table.name] = select(t.customers.c.id).where(t.customers.c.id == owner).with_for_update()
    conn.execute(stmt, {"id": id_})


def customer(conn: Connection, id_: str, *, lock: bool = False) -> Customer:
    """A customer by id."""
    return rows.customer(row(conn, t.customers, id_, lock=lock))


def plan(conn: Connection, id_: str) -> Plan:
    """A plan by id."""
    return rows.plan(row(conn, t.plans, id_))


_PLANS = select(t.plans).order_by(t.plans.c.id)
# Per-customer statements are built once (see `_by_id`): reusing the object skips rebuilding it and
# its cache key on every read.
CUSTOMER_ID: BindParameter[str] = bindparam("customer_id")
"""The `customer_id` parameter of the per-customer statements built once here and in `snapshot`."""
_INVOICES_OF = (
    select(t.invoices)
    .where(t.invoices.c.customer_id == CUSTOMER_ID)
    .order_by(t.invoices.c.created.desc(), t.invoices.c.number.desc())
)
_LINES_OF = (
    select(t.invoice_lines)
    .join(t.invoices, t.invoices.c.id == t.invoice_lines.c.invoice_id)
    .where(t.invoices.c.customer_id == CUSTOMER_ID)
    .order_by(t.invoice_lines.c.invoice_id, t.invoice_lines.c.position)
)
_PAYMENT_METHODS_OF = (
    select(t.payment_methods)
    .where(t.payment_methods.c.customer_id == CUSTOMER_ID)
    .order_by(t.payment_methods.c.is_default.desc(), t.payment_methods.c.id)
)
_SUBSCRIPTION_OF = (
    select(t.subscriptions)
    .where(t.subscriptions.c.customer_id == CUSTOMER_ID)
    .order_by((t.subscriptions.c.status == "canceled").asc(), t.subscriptions.c.created.desc())
    .limit(1)
)


def plans(conn: Connection) -> list[Plan]:
    """Every plan, by id."""
    return [rows.plan(r) for r in conn.execute(_PLANS)]


def subscription(conn: Connection, id_: str, *, lock: bool = False) -> Subscription:
    """A subscription by id."""
    return rows.subscription(row(conn, t.subscriptions, id_, lock=lock))


def charge(conn: Connection, id_: str, *, lock: bool = False) -> Charge:
    """A charge by id."""
    return rows.charge(row(conn, t.charges, id_, lock=lock))


_LINES = (
    select(t.invoice_lines).where(t.invoice_lines.c.invoice_id == bindparam("id")).order_by(t.invoice_lines.c.position)
)


def lines_of(conn: Connection, invoice_id: str) -> list[Row[Any]]:
    """An invoice's line rows, in order."""
    return list(conn.execute(_LINES, {"id": invoice_id}))


def invoice(conn: Connection, id_: str, *, lock: bool = False) -> Invoice:
    """An invoice with its lines."""
    return rows.invoice(row(conn, t.invoices, id_, lock=lock), lines_of(conn, id_))


def invoices_of(conn: Connection, customer_id: str) -> list[Invoice]:
    """A customer's invoices with their lines, newest first."""
    by_customer = {"customer_id": customer_id}
    inv_rows = conn.execute(_INVOICES_OF, by_customer).all()
    if not inv_rows:
        return []
    by_invoice: dict[str, list[Row[Any]]] = {r.id: [] for r in inv_rows}
    for line in conn.execute(_LINES_OF, by_customer):
        by_invoice[line.invoice_id].append(line)
    return [rows.invoice(r, by_invoice[r.id]) for r in inv_rows]


def payment_methods_of(conn: Connection, customer_id: str) -> list[PaymentMethod]:
    """A customer's cards, the default first."""
    return [rows.payment_method(r) for r in conn.execute(_PAYMENT_METHODS_OF, {"customer_id": customer_id})]


_DEFAULT_PM = select(t.payment_methods).where(
    t.payment_methods.c.customer_id == CUSTOMER_ID, t.payment_methods.c.is_default.is_(True)
)


def default_payment_method(conn: Connection, customer_id: str) -> PaymentMethod | None:
    """The customer's default card, if any."""
    found = conn.execute(_DEFAULT_PM, {"customer_id": customer_id}).first()
    return rows.payment_method(found) if found else None


def subscription_of(conn: Connection, customer_id: str) -> Subscription | None:
    """The customer's subscription: the live one if any, else the most recent."""
    found = conn.execute(_SUBSCRIPTION_OF, {"customer_id": customer_id}).first()
    return rows.subscription(found) if found else None
