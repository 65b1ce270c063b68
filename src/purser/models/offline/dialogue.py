"""The dialogue manager: from the event history to the next tool call or reply.

`decide(events, tools)` is a pure function. It:

1. finds the customer's latest message (everything after it belongs to this turn);
2. asks for `lookup_account` when there is no lookup result since the last
   executed write (a confirmed or approved action that succeeded);
3. works out what the previous turn left open (an offer to refund a duplicate,
   the cancellation save offer, a clarifying question) by replaying the
   manager over the history before this message;
4. turns the message into requests (`understand`), resolved against what was
   left open ("yes please" after an offer, "the August one" after "which
   charge?");
5. runs each request's handler (`handlers`) in order. A handler claims the tool
   calls it made earlier in this turn (in order, by tool name), reads their
   results and the `[confirmation]` / `[approval]` messages about them, and
   either reports (done), calls a tool, or stops the turn with a question or a
   "please confirm". Only one write awaits confirmation at a time; after the
   confirmation arrives the next request of the same message continues.

Reports are shown once: only those produced after the model's last text.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from purser.models.offline.account import Account
from purser.models.offline.history import Event, ToolRecord

__all__ = ["Call", "Decision", "Open", "Reply", "Turn", "decide"]

WRITE_ACTIONS: frozenset[str] = frozenset(
    {
        "send_invoice",
        "update_billing_details",
        "refund",
        "change_plan",
        "change_seats",
        "retry_payment",
        "payment_method_link",
        "pause",
        "resume",
        "cancel",
    }
)


@dataclass(frozen=True)
class Call:
    """Call one tool."""

    tool: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """End the turn with text for the customer."""

    text: str


Decision = Call | Reply


@dataclass(frozen=True)
class Open:
    """What the agent's last reply left open for the customer to answer."""

    kind: str  # offer_refund | save_offer | clarify
    intent: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class StopTurn(Exception):
    """Raised by a handler to end the turn with a question or a confirmation prompt."""

    def __init__(self, text: str, open_item: Open | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.open_item = open_item


class NeedCall(Exception):
    """Raised by a handler that needs a tool call before it can go on."""

    def __init__(self, call: Call) -> None:
        super().__init__(call.tool)
        self.call = call


@dataclass
class Turn:
    """Everything a handler may read about the current turn."""

    events: list[Event]
    start: int
    """Index of the customer message that opened this turn."""
    message: str
    account: Account | None
    tools: frozenset[str]
    open_item: Open | None
    last_text: int
    claimed: set[str] = field(default_factory=set)
    reports: list[tuple[float, str]] = field(default_factory=list)
    cursor: float = 0.0
    """Where the requests handled so far got to (position of their last event)."""
    handed_off: bool = False
    soft_open: Open | None = None
    """Context a handler leaves for the next message without asking anything (the charge discussed)."""
    account_key: int | None = None
    """The history fingerprint (`Event.key`) of the lookup `account` was read from (None without one, or
    for an account that reads the clock)."""

    def after(self) -> list[Event]:
        """Events after the opening customer message."""
        return self.events[self.start + 1 :]

    def claim(self, tool: str) -> ToolRecord | None:
        """The next tool call of this name in this turn not yet claimed by another request."""
        for event in self.after():
            record = event.tool
            if event.kind == "tool" and record and record.name == tool and record.call_id not in self.claimed:
                self.claimed.add(record.call_id)
                return record
        return None

    def report(self, index: float, text: str) -> None:
        """Say `text` in the reply if it happened after the model's last text."""
        if index > self.last_text and text:
            self.reports.append((index, text))

    def event_for(self, kind: str, action_id: str) -> Event | None:
        """The first `[confirmation]` / `[approval]` event about `action_id` in this turn."""
        for event in self.after():
            if event.kind != kind:
                continue
            payload = event.payload
            raw = payload.get("outcome")
            outcome: dict[str, Any] = raw if isinstance(raw, dict) else {}
            if action_id in (payload.get("action_id"), outcome.get("action_id")):
                return event
        return None


_ACCOUNTS: OrderedDict[int, tuple[dict[str, Any], Account]] = OrderedDict()
_ACCOUNTS_SIZE = 256
_ACCOUNTS_LOCK = threading.Lock()


def latest_account(events: list[Event]) -> tuple[Account | None, int]:
    """The newest `lookup_account` result and its position."""
    for event in reversed(events):
        result = event.tool.result if event.kind == "tool" and event.tool else None
        if not (event.tool and event.tool.name == "lookup_account" and result):
            continue
        inner = result.get("result")
        if isinstance(inner, dict) and ("customer" in inner or "plans" in inner):
            result = inner  # the gateway's outcome wrapping the account
        if "customer" in result or "plans" in result:
            return _account_of(result), event.index
    return None, -1


def _account_of(result: dict[str, Any]) -> Account:
    """The `Account` view of a lookup result, one per result object (bounded LRU on its identity).

    Every request of a conversation re-reads the same parsed result (`parse_history` shares its
    events), so its view, and what the view derives once (plan names, ids), is built once. Nothing
    changes an account or its data after the lookup. A result without its own "now" gets a new view
    each time, as that view reads the clock.
    """
    key = id(result)
    with _ACCOUNTS_LOCK:
        hit = _ACCOUNTS.get(key)
        if hit is not None and hit[0] is result:
            _ACCOUNTS.move_to_end(key)
            return hit[1]
    account = Account(result)
    if not account.dated:
        return account  # its "now" is the clock's: not to be kept
    with _ACCOUNTS_LOCK:
        _ACCOUNTS[key] = (result, account)  # the result is held, so its id is not reused while cached
        while len(_ACCOUNTS) > _ACCOUNTS_SIZE:
            _ACCOUNTS.popitem(last=False)
    return account


def _outcome_of(event: Event) -> dict[str, Any]:
    outcome = event.payload.get("outcome")
    return outcome if isinstance(outcome, dict) else event.payload


def last_write(events: list[Event]) -> int:
    """Position of the last executed (succeeded) write."""
    last = -1
    for event in events:
        if (event.kind in ("confirmation", "approval") and _outcome_of(event).get("status") == "succeeded") or (
            event.kind == "tool"
            and event.tool
            and event.tool.name in WRITE_ACTIONS
            and (event.tool.result or {}).get("status") == "succeeded"
        ):
            last = event.index
    return last


def _plan_turn(
    events: list[Event], tools: frozenset[str], depth: int, context_only: bool
) -> tuple[Decision, Open | None]:
    starts = [e.index for e in events if e.kind == "customer"]
    if not starts:
        return Reply("Hi! I can help with billing: refunds, invoices, plan and seat changes, payment methods, "
                     "pausing or cancelling. What can I do for you?"), None  # fmt: skip
    start = starts[-1]
    account, lookup_at = latest_account(events)
    if not context_only and "lookup_account" in tools and (account is None or lookup_at < last_write(events)):
        return Call("lookup_account", {}), None
    open_item: Open | None = None
    if depth < 4 and len(starts) > 1:
        open_item = _earlier_open(events[:start], tools, depth + 1)
    return _plan_with(events, tools, start, account, open_item, context_only, _key_at(events, account, lookup_at))


def _key_at(events: list[Event], account: Account | None, index: int) -> int | None:
    """The fingerprint of the lookup an account was read from; None without an account, or for one that
    reads the clock (what is derived from it is then not memoized)."""
    return events[index].key if account is not None and account.dated else None


def _plan_with(
    events: list[Event],
    tools: frozenset[str],
    start: int,
    account: Account | None,
    open_item: Open | None,
    context_only: bool,
    account_key: int | None,
) -> tuple[Decision, Open | None]:
    """Plan the turn that starts at `start`, given what the turn before it left open."""
    from purser.models.offline import flows

    texts = [e.index for e in events[start + 1 :] if e.kind == "text"]
    turn = Turn(
        events=events,
        start=start,
        message=events[start].text,
        account=account,
        tools=tools,
        open_item=open_item,
        last_text=texts[-1] if texts else start,
        cursor=float(start),
        account_key=account_key,
    )
    try:
        flows.run_turn(turn)
    except NeedCall as need:
        if context_only:
            return Reply(""), None
        return need.call, None
    except StopTurn as stop:
        return Reply(_join([t for _, t in sorted(turn.reports)] + [stop.text])), stop.open_item
    text = _join([t for _, t in sorted(turn.reports)])
    return Reply(text or "Is there anything else I can help you with?"), turn.soft_open


_EARLIER: OrderedDict[tuple[int, int, frozenset[str], str], Open | None] = OrderedDict()
_EARLIER_SIZE = 256  # entries pay only while their conversation is active: as many as history._PARSED
_EARLIER_LOCK = threading.Lock()


def _earlier_open(prefix: list[Event], tools: frozenset[str], depth: int) -> Open | None:
    """What the turn ending `prefix` left open, as the planner at recursion `depth` sees it.

    A pure function of the history prefix, the tools and what the turn before it left open (which
    `depth` bounds: four turns back at most), so it is memoized on exactly those (bounded LRU). Each
    request re-reads the whole history; without the memo every request re-planned four earlier turns,
    with it a new customer turn plans about one.
    """
    starts = [e.index for e in prefix if e.kind == "customer"]
    if not starts:
        return None
    start = starts[-1]
    open_in: Open | None = None
    if depth < 4 and len(starts) > 1:
        open_in = _earlier_open(prefix[:start], tools, depth + 1)
    key = (prefix[-1].key, len(prefix), tools, repr(open_in))
    with _EARLIER_LOCK:
        if key in _EARLIER:
            _EARLIER.move_to_end(key)
            return copy.deepcopy(_EARLIER[key])
    account, lookup_at = latest_account(prefix)
    _, item = _plan_with(prefix, tools, start, account, open_in, True, _key_at(prefix, account, lookup_at))
    with _EARLIER_LOCK:
        _EARLIER[key] = copy.deepcopy(item)
        while len(_EARLIER) > _EARLIER_SIZE:
            _EARLIER.popitem(last=False)
    return item


def _join(parts: list[str]) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def decide(events: list[Event], tools: frozenset[str]) -> Decision:
    """The next step of the conversation (see the module docstring)."""
    decision, _ = _plan_turn(events, tools, 0, False)
    return decision
