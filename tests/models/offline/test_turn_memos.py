"""What the offline model keeps between the requests of a turn: the account view of a lookup, the jobs of
the customer's message, amounts and invoice numbers read from a text. Each memo must answer exactly what
working it out again would, and hand every caller something it may change without touching the next."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from purser.models.offline import OfflineModel, flows
from purser.models.offline.account import _mentions_word
from purser.models.offline.dialogue import Turn, latest_account
from purser.models.offline.history import parse_history
from purser.models.offline.numbers import parse_amounts

from .offline_fakes import account

TOOLS = frozenset({"lookup_account", "refund", "send_invoice", "handoff", "search_knowledge"})


def _looked_up(message: str, data: dict[str, Any]) -> list[ModelMessage]:
    """A customer message, the model's lookup and its result."""
    call = ToolCallPart(tool_name="lookup_account", args={}, tool_call_id="c1")
    return [
        ModelRequest(parts=[UserPromptPart(content=message)]),
        ModelResponse(parts=[call]),
        ModelRequest(parts=[ToolReturnPart(tool_name="lookup_account", content=json.dumps(data), tool_call_id="c1")]),
    ]


def _turn(messages: list[ModelMessage]) -> Turn:
    events = parse_history(messages)
    acct, at = latest_account(events)
    start = max(e.index for e in events if e.kind == "customer")
    key = events[at].key if acct is not None and acct.dated else None
    return Turn(events, start, events[start].text, acct, TOOLS, None, start, cursor=float(start), account_key=key)


def _words(text: str) -> str:
    return " ".join(text.split())


def test_one_account_view_per_lookup_result_and_a_new_one_for_an_account_that_reads_the_clock() -> None:
    events = parse_history(_looked_up("refund the October charge", account()))
    first, at = latest_account(events)
    again, _ = latest_account(events)
    assert first is not None and first is again and at == 1
    assert first.open_charges() is not first.open_charges()  # each caller gets its own list
    assert first.open_charges() == again.open_charges()

    undated = {k: v for k, v in account().items() if k != "now"}
    events = parse_history(_looked_up("refund the October charge", undated))
    one, _ = latest_account(events)
    two, _ = latest_account(events)
    assert one is not None and two is not None and one is not two and not one.dated


def test_message_jobs_are_the_same_every_request_and_each_caller_gets_its_own() -> None:
    turn = _turn(_looked_up("refund the October and September charges", account()))
    first = flows._message_jobs(turn)
    assert [j.data.get("charge_id") for j in first] == ["ch_10", "ch_09"]
    first[0].data["charge_id"] = "changed by a caller"
    first.append(first[0])
    second = flows._message_jobs(turn)
    assert [j.data.get("charge_id") for j in second] == ["ch_10", "ch_09"]
    assert [(j.intent, j.text, j.normalized, j.data) for j in second] == [
        (j.intent, j.text, j.normalized, j.data) for j in flows._resolve_jobs(turn)
    ]


def test_message_jobs_follow_the_account_they_were_read_against() -> None:
    """The same words against another account (its own charges) are other jobs."""
    other = account(charges=[{**c, "id": "ch_other_" + c["id"][3:]} for c in account()["charges"]])
    said = "refund the October and September charges"
    mine = flows._message_jobs(_turn(_looked_up(said, account())))
    theirs = flows._message_jobs(_turn(_looked_up(said, other)))
    assert [j.data.get("charge_id") for j in mine] == ["ch_10", "ch_09"]
    assert [j.data.get("charge_id") for j in theirs] == ["ch_other_10", "ch_other_09"]


def test_every_request_of_a_turn_answers_as_a_fresh_model_would() -> None:
    """The model asked again on the same history (a retried request) says the same, memos warm or not."""
    messages = _looked_up("I was charged twice in October, refund the duplicate", account())
    first = OfflineModel().respond(messages, TOOLS)
    flows._JOBS.clear()
    again = OfflineModel().respond(list(messages), TOOLS)
    assert [p.tool_name if isinstance(p, ToolCallPart) else _words(p.content) for p in first.parts] == [
        p.tool_name if isinstance(p, ToolCallPart) else _words(p.content) for p in again.parts
    ]
    assert all(isinstance(p, (ToolCallPart, TextPart)) for p in first.parts)


def test_amounts_are_a_new_list_for_each_caller() -> None:
    found = parse_amounts("refund $20 of the $40 charge")
    assert [str(a.value) for a in found] == ["20", "40"]
    found.clear()
    assert [str(a.value) for a in parse_amounts("refund $20 of the $40 charge")] == ["20", "40"]


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet="ab1-_ .#é0PUR", max_size=14),
    word=st.text(alphabet="ab1-_ .#é0PUR", min_size=1, max_size=4),
)
def test_an_invoice_number_is_found_where_the_boundary_regex_finds_it(text: str, word: str) -> None:
    pattern = r"(?<![A-Za-z0-9])" + re.escape(word) + r"(?![A-Za-z0-9])"
    assert _mentions_word(text, word) is bool(re.search(pattern, text))
