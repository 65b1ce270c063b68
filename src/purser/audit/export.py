"""Export the audit log for finance: JSON lines or CSV, optionally from a date."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Literal, TextIO

from purser.audit.log import AuditLog, AuditRecord, canonical_json
from purser.errors import PurserError


class ExportFormatError(PurserError, ValueError):
    """An export format other than csv or jsonl."""

    code = "unknown_export_format"
    status = 422


CSV_COLUMNS = (
    "seq",
    "at",
    "kind",
    "actor",
    "conversation_id",
    "action_id",
    "action",
    "status",
    "amount",
    "currency",
    "data",
    "prev_hash",
    "hash",
    "scheme",
)
"""Columns of the CSV export; `action`, `status`, `amount` and `currency` are lifted from `data`."""


def _lift(record: AuditRecord, key: str) -> str:
    value = record.data.get(key)
    return "" if value is None or isinstance(value, dict | list) else str(value)


def write_records(records: Iterable[AuditRecord], out: TextIO, fmt: Literal["csv", "jsonl"]) -> int:
    """Write `records` to `out` in `fmt`; returns how many were written."""
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt != "csv":
        raise ExportFormatError(f"unknown export format {fmt!r}: expected csv or jsonl")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow(
            [
                record.seq,
                record.at,
                record.kind,
                record.actor,
                record.conversation_id or "",
                record.action_id or "",
                _lift(record, "action"),
                _lift(record, "status"),
                _lift(record, "amount"),
                _lift(record, "currency"),
                canonical_json(record.data),
                record.prev_hash,
                record.hash,
                record.scheme or "",
            ]
        )
        count += 1
    return count


def export_text(log: AuditLog, fmt: Literal["csv", "jsonl"], since: str | None = None) -> str:
    """The whole export as a string."""
    buf = io.StringIO()
    write_records(log.records(since=since), buf, fmt)
    return buf.getvalue()


__all__ = ["CSV_COLUMNS", "ExportFormatError", "export_text", "write_records"]
