"""The one date formatter: every customer-facing date and every machine timestamp goes through here.

Styles (English; amounts have their own formatter in `purser.money`):

- `long`    "16 November 2026"    the gateway's quotes and summaries, emails
- `us`      "November 16, 2026"   US order (unused by Purser's own text: every sentence uses `long`)
- `short`   "16 Nov 2026"         PDF invoices and narrow tables
- `iso`     "2026-11-16"          a calendar day in JSON and tables

`iso_utc` is the JSON timestamp of CONTRACTS.md ("2026-11-16T00:00:00Z"), to the second, in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal, overload

__all__ = ["DateStyle", "format_date", "iso_utc", "parse_iso_utc"]

DateStyle = Literal["long", "us", "short", "iso"]
"""How a date is written for a reader (see the module docstring)."""

# Month names are fixed English text, not the process locale's (`%B` follows LC_TIME).
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(value: date, style: DateStyle = "long") -> str:
    """`value` (a date, or a datetime's UTC calendar day) written in `style`."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    month = _MONTHS[value.month - 1]
    if style == "long":
        return f"{value.day} {month} {value.year}"
    if style == "us":
        return f"{month} {value.day}, {value.year}"
    if style == "short":
        return f"{value.day:02d} {month[:3]} {value.year}"
    if style == "iso":
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    raise ValueError(f"unknown date style {style!r}: expected long, us, short or iso")


@overload
def iso_utc(moment: datetime) -> str: ...
@overload
def iso_utc(moment: None) -> None: ...
@overload
def iso_utc(moment: datetime | None) -> str | None: ...
def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, to the second ("2026-11-16T00:00:00Z"); None stays None.

    A naive datetime is taken to be UTC already (the sandbox stores UTC without a zone).
    """
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def parse_iso_utc(text: str) -> datetime:
    """The inverse of `iso_utc`: an aware UTC datetime (a naive input is taken to be UTC)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
