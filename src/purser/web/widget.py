"""What the widget reads besides the chat API: the table of customer-facing quote facts.

    GET /api/widget/quote-facts   {"facts": [{"key", "label", "kind"}, ...]}

The widget lays out a confirmation card from the same table the channels use
(`purser.channels.render.QUOTE_FACTS`): only the keys listed there are shown, under their label, in
table order, so a card in the browser and a message in Slack or email say the same things. The
widget translates the labels (its own strings table, by English label) and formats the values for
the visitor's locale (money with its currency, dates as `1 December 2026`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from purser.channels.render import QUOTE_FACTS

__all__ = ["quote_fact_table", "router"]

router = APIRouter(prefix="/api/widget", tags=["chat"])


def quote_fact_table() -> list[dict[str, Any]]:
    """`QUOTE_FACTS` as JSON rows, in table order."""
    return [{"key": key, "label": label, "kind": kind} for key, label, kind in QUOTE_FACTS]


@router.get("/quote-facts", summary="The quote keys a customer sees, with their labels (the channels' table)")
def quote_facts() -> Response:
    """Every quote key a card may show, its English label and its kind (money, date, text, lines)."""
    return JSONResponse({"facts": quote_fact_table()}, headers={"Cache-Control": "public, max-age=300"})
