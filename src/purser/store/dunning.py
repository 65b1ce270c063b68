"""`purser.ports.dunning.DunningRepository` on SQLAlchemy: each call its own short transaction.

Uniqueness does the deduplication: the invoice id is unique on `dn_cases`, (case, step, action) is
the key of `dn_steps` and (case, step) of `dn_links`, and a close only updates a row still open.
A concurrent duplicate insert loses on the constraint and reads the winner's row.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.domain.ids import CustomerId, InvoiceId, SubscriptionId
from purser.dunning.cases import (
    CaseStatus,
    DunningCase,
    DunningCaseId,
    RecoveredBy,
    StepAction,
    StepRecord,
)
from purser.money import Money
from purser.store.dunning_tables import dn_cases, dn_cursors, dn_links, dn_steps

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from purser.store.db import Database

__all__ = ["SqlDunningRepository", "iso", "parse_time"]


def iso(at: datetime) -> str:
    """A UTC ISO-8601 string that sorts as text."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """The aware datetime of an `iso` string."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _case(row: Any, steps: tuple[StepRecord, ...] = ()) -> DunningCase:
    return DunningCase(
        id=DunningCaseId(row.id),
        invoice_id=InvoiceId(row.invoice_id),
        customer_id=CustomerId(row.customer_id),
        subscription_id=SubscriptionId(row.subscription_id) if row.subscription_id else None,
        amount=Money(int(row.amount), row.currency),
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        decline_reason=row.decline_reason,
        opened_at=parse_time(row.opened_at),
        status=CaseStatus(row.status),
        closed_at=parse_time(row.closed_at) if row.closed_at else None,
        recovered_by=RecoveredBy(row.recovered_by) if row.recovered_by else None,
        close_reason=row.close_reason,
        steps=steps,
    )


def _steps(conn: Connection, case_id: str) -> tuple[StepRecord, ...]:
    found = conn.execute(select(dn_steps).where(dn_steps.c.case_id == case_id).order_by(dn_steps.c.done_at))
    return tuple(
        StepRecord(step=int(r.step), action=StepAction(r.action), done_at=parse_time(r.done_at), outcome=r.outcome)
        for r in found
    )


class SqlDunningRepository:
    """Dunning cases in the `dn_*` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def open_case(self, case: DunningCase) -> tuple[DunningCase, bool]:
        """Insert `case` unless its invoice has one; returns the stored case and whether it is new."""
        values = {
            "id": case.id,
            "invoice_id": case.invoice_id,
            "customer_id": case.customer_id,
            "subscription_id": case.subscription_id,
            "amount": case.amount.minor,
            "currency": case.amount.currency,
            "card_brand": case.card_brand,
            "card_last4": case.card_last4,
            "decline_reason": case.decline_reason,
            "opened_at": iso(case.opened_at),
            "status": case.status.value,
            "closed_at": iso(case.closed_at) if case.closed_at else None,
            "recovered_by": case.recovered_by.value if case.recovered_by else None,
            "close_reason": case.close_reason,
        }

        def unit(conn: Connection) -> bool:
            if conn.execute(select(dn_cases.c.id).where(dn_cases.c.invoice_id == case.invoice_id)).first():
                return False
            conn.execute(insert(dn_cases).values(**values))
            return True

        try:
            created = self.db.run_write(unit, retry_conflicts=True)
        except IntegrityError:
            created = False  # a concurrent event opened it first
        stored = self._by_invoice(case.invoice_id)
        assert stored is not None
        return stored, created

    def _by_invoice(self, invoice_id: str) -> DunningCase | None:
        def unit(conn: Connection) -> DunningCase | None:
            row = conn.execute(select(dn_cases).where(dn_cases.c.invoice_id == invoice_id)).first()
            return None if row is None else _case(row, _steps(conn, row.id))

        return self.db.run_read(unit)

    def get(self, case_id: DunningCaseId) -> DunningCase | None:
        """A case with its step records."""

        def unit(conn: Connection) -> DunningCase | None:
            row = conn.execute(select(dn_cases).where(dn_cases.c.id == case_id)).first()
            return None if row is None else _case(row, _steps(conn, row.id))

        return self.db.run_read(unit)

    def open_cases(self, *, limit: int = 1000, after: DunningCaseId | None = None) -> list[DunningCase]:
        """Open cases by id (page with `after`), with their step records."""
        query = select(dn_cases).where(dn_cases.c.status == CaseStatus.OPEN.value)
        if after is not None:
            query = query.where(dn_cases.c.id > after)
        query = query.order_by(dn_cases.c.id).limit(limit)

        def unit(conn: Connection) -> list[DunningCase]:
            found = conn.execute(query).all()
            if not found:
                return []
            ids = [r.id for r in found]
            records: dict[str, list[StepRecord]] = {i: [] for i in ids}
            for r in conn.execute(select(dn_steps).where(dn_steps.c.case_id.in_(ids)).order_by(dn_steps.c.done_at)):
                records[r.case_id].append(
                    StepRecord(int(r.step), StepAction(r.action), parse_time(r.done_at), r.outcome)
                )
            return [_case(r, tuple(records[r.id])) for r in found]

        return self.db.run_read(unit)

    def open_case_of_customer(self, customer_id: str) -> DunningCase | None:
        """The customer's oldest open case, if any."""

        def unit(conn: Connection) -> DunningCase | None:
            row = conn.execute(
                select(dn_cases)
                .where(dn_cases.c.customer_id == customer_id, dn_cases.c.status == CaseStatus.OPEN.value)
                .order_by(dn_cases.c.opened_at, dn_cases.c.id)
                .limit(1)
            ).first()
            return None if row is None else _case(row, _steps(conn, row.id))

        return self.db.run_read(unit)

    def cases(self) -> list[DunningCase]:
        """Every case (without step records), for the dashboard."""
        with self.db.read() as conn:
            return [_case(r) for r in conn.execute(select(dn_cases).order_by(dn_cases.c.id))]

    def record_step(self, case_id: DunningCaseId, record: StepRecord) -> bool:
        """Record that an action ran; False when it was recorded already (nothing changes)."""
        key = (dn_steps.c.case_id == case_id) & (dn_steps.c.step == record.step)
        key = key & (dn_steps.c.action == record.action.value)

        def unit(conn: Connection) -> bool:
            if conn.execute(select(dn_steps.c.step).where(key)).first() is not None:
                return False
            conn.execute(
                insert(dn_steps).values(
                    case_id=case_id,
                    step=record.step,
                    action=record.action.value,
                    done_at=iso(record.done_at),
                    outcome=record.outcome[:120],
                )
            )
            return True

        try:
            return self.db.run_write(unit, retry_conflicts=True)
        except IntegrityError:
            return False

    def set_decline_reason(self, case_id: DunningCaseId, reason: str) -> None:
        """The latest decline's failure code (it moves the next retries)."""
        with self.db.begin() as conn:
            conn.execute(update(dn_cases).where(dn_cases.c.id == case_id).values(decline_reason=reason[:64]))

    def close(
        self,
        case_id: DunningCaseId,
        status: CaseStatus,
        *,
        at: datetime,
        reason: str,
        recovered_by: RecoveredBy | None = None,
    ) -> bool:
        """Close an open case; False when it was closed already (the first close wins)."""
        if status is CaseStatus.OPEN:
            raise ValueError("close: the status must be recovered, lost or canceled")
        with self.db.begin() as conn:
            result = conn.execute(
                update(dn_cases)
                .where(dn_cases.c.id == case_id, dn_cases.c.status == CaseStatus.OPEN.value)
                .values(
                    status=status.value,
                    closed_at=iso(at),
                    close_reason=reason[:64],
                    recovered_by=recovered_by.value if recovered_by else None,
                )
            )
        return bool(result.rowcount)

    def save_link(self, case_id: DunningCaseId, step: int, url: str) -> str:
        """Keep the payment link of a step's outreach unless one is kept already; returns the kept one."""
        key = (dn_links.c.case_id == case_id) & (dn_links.c.step == step)

        def unit(conn: Connection) -> None:
            if conn.execute(select(dn_links.c.url).where(key)).first() is None:
                conn.execute(insert(dn_links).values(case_id=case_id, step=step, url=url))

        with suppress(IntegrityError):  # a concurrent worker kept its link first: use that one
            self.db.run_write(unit, retry_conflicts=True)
        with self.db.read() as conn:
            return str(conn.execute(select(dn_links.c.url).where(key)).scalar_one())

    def cursor(self, name: str) -> str | None:
        """Where an event reader stopped."""
        with self.db.read() as conn:
            value = conn.execute(select(dn_cursors.c.value).where(dn_cursors.c.name == name)).scalar()
        return None if value is None else str(value)

    def set_cursor(self, name: str, value: str) -> None:
        """Move an event reader's cursor."""

        def unit(conn: Connection) -> None:
            found = conn.execute(select(dn_cursors.c.name).where(dn_cursors.c.name == name)).first()
            if found is None:
                conn.execute(insert(dn_cursors).values(name=name, value=value))
            else:
                conn.execute(update(dn_cursors).where(dn_cursors.c.name == name).values(value=value))

        self.db.run_write(unit, retry_conflicts=True)
