"""The renewal batch's state and storage: what `batch.py` advances in memory, read and written in bulk.

`BatchState.load` reads the batch's customers, live subscriptions, open invoices with their lines,
default cards and the plans in six statements (the rows it changes locked `FOR UPDATE` on
PostgreSQL, as `cycle.run_customer` locks them); `flush` writes every new invoice, line, charge and
event and every changed invoice, subscription and customer with one executemany per table (COPY
for the inserts on PostgreSQL). Statements are compiled once and run on the cursor (`prepared.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Select, String, bindparam, cast, func, insert, select, update
from sqlalchemy.dialects import postgresql

from purser.domain import Customer, Invoice, PaymentMethod, Plan, Subscription
from purser.processors.sandbox import prepared, rows
from purser.processors.sandbox.clock import to_db
from purser.processors.sandbox.prepared import Prepared
from purser.store import sandbox_tables as t

__all__ = ["BatchState", "CustomerState", "InvoiceState", "SubState"]

_INV_COLS = tuple(c.name for c in t.invoices.c)
_CUS_COLS = tuple(c.name for c in t.customers.c)
_PREFIX = _CUS_COLS.index("invoice_prefix")
_CURRENCY = _CUS_COLS.index("currency")


def _in(column: Any, size: int) -> Any:
    if size == 0:
        # PostgreSQL: the ids as one JSON array (the SQL text the same for every batch; psycopg
        # would dump a list parameter element by element in Python).
        ids = func.json_array_elements_text(cast(bindparam("ids", type_=String), JSON))
        return column.in_(select(ids).scalar_subquery())
    return column.in_([bindparam(f"c{i}") for i in range(size)])


# The batch's reads, by the number of customer-id parameters they take (SQLite: `_loader` pads the
# list to a power of two, so a handful of statements are compiled once each and then run on the
# cursor; PostgreSQL: size 0, one JSON array parameter).
_READS: dict[str, Callable[[int], Select[Any]]] = {
    "customers": lambda n: select(t.customers).where(_in(t.customers.c.id, n)).order_by(t.customers.c.id),
    "subs": lambda n: (
        select(t.subscriptions)
        .where(_in(t.subscriptions.c.customer_id, n), t.subscriptions.c.status != "canceled")
        .order_by(t.subscriptions.c.id)
    ),
    "open": lambda n: (
        select(t.invoices)
        .where(_in(t.invoices.c.customer_id, n), t.invoices.c.status == "open")
        .order_by(t.invoices.c.id)
    ),
    "lines": lambda n: (
        select(t.invoice_lines)
        .join(t.invoices, t.invoices.c.id == t.invoice_lines.c.invoice_id)
        .where(_in(t.invoices.c.customer_id, n), t.invoices.c.status == "open")
        .order_by(t.invoice_lines.c.invoice_id, t.invoice_lines.c.position)
    ),
    "cards": lambda n: (
        select(t.payment_methods)
        .where(_in(t.payment_methods.c.customer_id, n), t.payment_methods.c.is_default.is_(True))
        .order_by(t.payment_methods.c.id)
    ),
}
_LOCKED = frozenset({"customers", "subs", "open"})
"""Rows the batch changes: locked (`FOR UPDATE`) on PostgreSQL, as `run_customer` locks them."""
_LOADERS: dict[tuple[str, int, bool], Prepared] = {}
_PLANS = Prepared(select(t.plans))


def _loader(name: str, size: int, lock: bool) -> Prepared:
    key = (name, size, lock)
    found = _LOADERS.get(key)
    if found is None:
        stmt = _READS[name](size)
        found = _LOADERS[key] = Prepared(stmt.with_for_update() if lock and name in _LOCKED else stmt)
    return found


def _read(conn: Connection, name: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    if conn.dialect.name == "postgresql":
        return _loader(name, 0, True).rows(conn, {"ids": _ENCODE(list(ids))})
    size = 8
    while size < len(ids):
        size *= 2
    params = {f"c{i}": ids[min(i, len(ids) - 1)] for i in range(size)}  # padded with the last id
    return _loader(name, size, conn.dialect.name == "postgresql").rows(conn, params)


def _updater(table: Any, columns: Sequence[str]) -> Any:
    # Bind names must differ from column names in an UPDATE's SET clause: prefix them.
    return update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})


_SUB_SET = (
    "plan_id",
    "quantity",
    "status",
    "billing_cycle_anchor",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "canceled_at",
    "ended_at",
    "pause_starts_at",
    "resumes_at",
    "scheduled_plan_id",
    "scheduled_quantity",
)
_CUS_SET = ("balance", "currency", "next_invoice_number")
_INV_SET = ("status", "amount_paid", "attempts", "next_payment_attempt")
_UPDATE_SUB = Prepared(_updater(t.subscriptions, _SUB_SET))
_UPDATE_CUS = Prepared(_updater(t.customers, _CUS_SET))
_UPDATE_INV = Prepared(_updater(t.invoices, _INV_SET))


class _BulkUpdate:
    """PostgreSQL: many rows of one table updated by one statement taking one JSON document.

    `UPDATE t SET c = v.b_c FROM json_to_recordset(:rows) AS v(b_id VARCHAR, b_c type, ...)`: the
    rows are encoded by the json module's C encoder in one call, where psycopg's executemany costs a
    protocol round per row and its array parameters a Python-level dump per element. SQLite keeps
    the executemany."""

    def __init__(self, table: Any, columns: Sequence[str], fallback: Prepared) -> None:
        dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
        names = ("id", *columns)
        record = ", ".join(f"b_{c} {table.c[c].type.compile(dialect=dialect)}" for c in names)
        sets = ", ".join(f"{c} = v.b_{c}" for c in columns)
        self.sql = f"UPDATE {table.name} AS t SET {sets} FROM json_to_recordset(%s) AS v({record}) WHERE t.id = v.b_id"
        self.fallback = fallback

    def many(self, conn: Connection, params: Sequence[dict[str, Any]]) -> None:
        """Update every row of `params` (each names `b_id` and every `b_<column>`)."""
        if not params:
            return
        if conn.dialect.name != "postgresql":
            self.fallback.many(conn, params)
            return
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, (_ENCODE(params),))
        finally:
            cursor.close()


_ENCODE = prepared.ENCODE_JSON


_BULK_SUB = _BulkUpdate(t.subscriptions, _SUB_SET, _UPDATE_SUB)
_BULK_CUS = _BulkUpdate(t.customers, _CUS_SET, _UPDATE_CUS)
_BULK_INV = _BulkUpdate(t.invoices, _INV_SET, _UPDATE_INV)
_LINE_KEYS = tuple(c.name for c in t.invoice_lines.c)[1:]
_EVENT_KEYS = tuple(c.name for c in t.events.c)[1:]
_INSERT_INVOICES = Prepared(insert(t.invoices), _INV_COLS)
_INSERT_LINES = Prepared(insert(t.invoice_lines), _LINE_KEYS)
_INSERT_CHARGES = Prepared(insert(t.charges), tuple(c.name for c in t.charges.c))
_INSERT_EVENTS = Prepared(insert(t.events), _EVENT_KEYS)


@dataclass
class CustomerState:
    """A customer being advanced (the columns a renewal changes beside the entity)."""

    entity: Customer
    prefix: str
    next_number: int
    currency: str | None
    dirty: bool = False


@dataclass
class SubState:
    """A live subscription being advanced, with its billing anchor."""

    entity: Subscription
    anchor: datetime
    dirty: bool = False
    loaded: tuple[Subscription, datetime] | None = None
    """The entity and anchor as read (SQLite updates only the columns that changed)."""


@dataclass
class InvoiceState:
    """An open or new invoice: its row (column → value) and line rows."""

    row: dict[str, Any]
    lines: list[tuple[Any, ...]]
    new: bool = False
    dirty: bool = False
    cached: Invoice | None = None
    shape: tuple[Invoice, dict[str, Any]] | None = None
    """An entity of this invoice and its event object (`events.obj`), to derive the next one from."""

    def entity(self) -> Invoice:
        """What a read of the row would return."""
        # What a read of the row would return (built once, then kept up to date with `replace`).
        if self.cached is None:
            self.cached = rows.invoice(tuple(self.row[c] for c in _INV_COLS), self.lines)
        return self.cached


@dataclass
class BatchState:
    """One transaction's customers in memory, and the rows their transitions write."""

    conn: Connection
    plans: dict[str, Plan] = field(default_factory=dict)
    customers: dict[str, CustomerState] = field(default_factory=dict)
    subs: dict[str, SubState] = field(default_factory=dict)
    subs_of: dict[str, list[str]] = field(default_factory=dict)
    open_of: dict[str, list[InvoiceState]] = field(default_factory=dict)
    invoices: dict[str, InvoiceState] = field(default_factory=dict)
    cards: dict[str, PaymentMethod] = field(default_factory=dict)
    charges: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def load(self, customer_ids: Sequence[str]) -> None:
        """Read (and on PostgreSQL lock) everything the customers' transitions touch."""
        conn = self.conn
        if not customer_ids:
            return
        self.plans = {p.id: p for p in map(rows.plan, _PLANS.rows(conn))}
        for r in _read(conn, "customers", customer_ids):
            cust = rows.customer(r)
            self.customers[cust.id] = CustomerState(cust, r[_PREFIX], int(r[_PREFIX + 1]), r[_CURRENCY])
            self.subs_of[cust.id] = []
            self.open_of[cust.id] = []
        for r in _read(conn, "subs", customer_ids):
            sub = rows.subscription(r)
            anchor = rows.anchor(r)
            self.subs[sub.id] = SubState(sub, anchor, loaded=(sub, anchor))
            self.subs_of[sub.customer_id].append(sub.id)
        for r in _read(conn, "open", customer_ids):
            inv = InvoiceState(dict(zip(_INV_COLS, r, strict=True)), [])
            self.invoices[inv.row["id"]] = inv
            self.open_of[inv.row["customer_id"]].append(inv)
        for r in _read(conn, "lines", customer_ids):
            self.invoices[r[1]].lines.append(r)
        for r in _read(conn, "cards", customer_ids):
            pm = rows.payment_method(r)
            self.cards.setdefault(pm.customer_id, pm)

    def flush(self) -> None:
        """Write what the batch did: inserts first (foreign keys), then the changed rows."""
        conn = self.conn
        new = [inv for inv in self.invoices.values() if inv.new]
        _INSERT_INVOICES.many(conn, [inv.row for inv in new])
        lines = [dict(zip(_LINE_KEYS, line[1:], strict=True)) for inv in new for line in inv.lines]
        _INSERT_LINES.many(conn, lines)
        _INSERT_CHARGES.many(conn, self.charges)
        _INSERT_EVENTS.many(conn, self.events)
        changed = [inv for inv in self.invoices.values() if inv.dirty and not inv.new]
        _BULK_INV.many(conn, [_bind(inv.row["id"], inv.row, _INV_SET) for inv in changed])
        subs = [s for s in self.subs.values() if s.dirty]
        if conn.dialect.name == "postgresql":
            _BULK_SUB.many(conn, [_bind(s.entity.id, _sub_values(s), _SUB_SET) for s in subs])
        else:
            _update_changed(conn, subs)
        custs = [c for c in self.customers.values() if c.dirty]
        _BULK_CUS.many(conn, [_bind(c.entity.id, _cus_values(c), _CUS_SET) for c in custs])


_SUB_UPDATES: dict[tuple[str, ...], Prepared] = {}


def _update_changed(conn: Connection, subs: Sequence[SubState]) -> None:
    # SQLite: each subscription's UPDATE sets only the columns that changed, grouped by column set (a
    # renewal moves the period; SQLite would otherwise rewrite every indexed column's entry and check
    # every foreign key of the SET clause, row by row).
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for state in subs:
        changed: tuple[str, ...]
        if state.loaded is None:
            changed = _SUB_SET
        else:
            before, anchor = state.loaded
            after = state.entity
            changed = tuple(
                c
                for c in _SUB_SET
                if (state.anchor != anchor if c == "billing_cycle_anchor" else getattr(after, c) != getattr(before, c))
            )
        if changed:
            groups.setdefault(changed, []).append(_bind(state.entity.id, _sub_values(state), changed))
    for columns, params in groups.items():
        stmt = _SUB_UPDATES.get(columns)
        if stmt is None:
            stmt = _SUB_UPDATES[columns] = Prepared(_updater(t.subscriptions, columns))
        stmt.many(conn, params)


def _bind(id_: str, values: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    bound = {f"b_{c}": values[c] for c in columns}
    bound["b_id"] = id_
    return bound


def _sub_values(state: SubState) -> dict[str, Any]:
    s = state.entity
    return {
        "plan_id": s.plan_id,
        "quantity": s.quantity,
        "status": s.status.value,
        "billing_cycle_anchor": to_db(state.anchor),
        "current_period_start": to_db(s.current_period_start),
        "current_period_end": to_db(s.current_period_end),
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": to_db(s.canceled_at),
        "ended_at": to_db(s.ended_at),
        "pause_starts_at": to_db(s.pause_starts_at),
        "resumes_at": to_db(s.resumes_at),
        "scheduled_plan_id": s.scheduled_plan_id,
        "scheduled_quantity": s.scheduled_quantity,
    }


def _cus_values(state: CustomerState) -> dict[str, Any]:
    balance = state.entity.balance
    return {
        "balance": balance.minor if balance else 0,
        "currency": state.currency,
        "next_invoice_number": state.next_number,
    }
