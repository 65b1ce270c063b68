"""The team inbox under `/api/admin/`: one list of everything that needs a person, working it, and the
customer beside the conversation.

    GET  /api/admin/inbox                                   pending approvals and handed-off conversations
    POST /api/admin/conversations/{id}/claim                the caller takes it          (agent or higher)
    POST /api/admin/conversations/{id}/assign               {"assignee": name}           (agent or higher)
    POST /api/admin/conversations/{id}/resolve              it needs nobody any more     (agent or higher)
    GET  /api/admin/conversations/{id}/notes                the team's private notes
    POST /api/admin/conversations/{id}/notes                {"text"}                     (agent or higher)
    GET  /api/admin/conversations/{id}/customer             the customer panel (the processor's snapshot)

Authentication is the admin API's (`purser.web.people`): any role reads, changes need the `reply`
permission, and the audit actor is the authenticated person. A note is never part of the transcript, so
it never reaches the customer's widget nor a channel. `conversation_rows` is the conversation list with
names, previews and search (`GET /api/admin/conversations`, routed in `purser.web.admin`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from purser.domain.entities import InvoiceStatus
from purser.errors import PurserError
from purser.people import Principal
from purser.ports.conversations import ConversationRecord
from purser.ports.inbox import Assignment, InboxRepository, check_name, check_note
from purser.web.app import WebState, state_of
from purser.web.conversations import jsonable
from purser.web.errors import NotFoundError
from purser.web.people import require
from purser.web.schemas import ID_PATTERN, error_responses

if TYPE_CHECKING:
    from purser.app import Container
    from purser.domain.snapshot import AccountSnapshot

__all__ = ["Customers", "assignment_of", "conversation_rows", "router"]

SEARCH_WINDOW = 1000
"""Conversations a search looks through (the most recently active; names and emails live in the processor)."""
PREVIEW_CHARS = 280
"""Characters of the last reply a list row carries."""
HANDOFF_WINDOW = 500
"""Handed-off conversations (and handoff records for their reasons) the inbox lists at most."""

_bearer = HTTPBearer(auto_error=False, description="A person's API token, or PURSER_ADMIN_TOKEN")


async def _reader(
    principal: Annotated[Principal, Depends(require("read"))],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    del credentials  # declared for the OpenAPI security scheme; `require` checks the header
    return principal


router = APIRouter(
    prefix="/api/admin", tags=["inbox"], dependencies=[Depends(_reader)], responses=error_responses(401, 422, 429)
)
ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="The conversation id.")]
Worker = Annotated[Principal, Depends(require("reply"))]


class Customers:
    """Account snapshots by customer id, each read once (a request's cache: on Stripe a snapshot is several
    API calls). A customer the processor does not know is None."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.seen: dict[str, AccountSnapshot | None] = {}

    def snapshot(self, customer_id: str) -> AccountSnapshot | None:
        """The customer's snapshot, or None when the processor cannot give one."""
        if customer_id not in self.seen:
            from purser.domain.ids import CustomerId

            try:
                self.seen[customer_id] = self.container.processor.snapshot(CustomerId(customer_id))
            except PurserError:  # unknown customer, processor down: the row still shows, with its id
                self.seen[customer_id] = None
        return self.seen[customer_id]

    def name(self, customer_id: str) -> str | None:
        """The customer's display name, if known."""
        found = self.snapshot(customer_id)
        return None if found is None else found.customer.name

    def email(self, customer_id: str) -> str | None:
        """The customer's email, if known."""
        found = self.snapshot(customer_id)
        return None if found is None else found.customer.email


def _later(*times: str | None) -> str:
    return max((t for t in times if t), default="")


def _age_seconds(at: str, now: datetime) -> int:
    try:
        then = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return max(0, int((now - then).total_seconds()))


def _preview(text: str | None) -> str | None:
    if text is None or len(text) <= PREVIEW_CHARS:
        return text
    return text[: PREVIEW_CHARS - 1].rstrip() + "…"


def _unread(record: ConversationRecord, seen_at: str | None) -> bool:
    # Both sides are the conversation's own `updated_at`: no clocks compared.
    return seen_at is None or record.updated_at > seen_at


def _is_resolved(assignment: Assignment | None, last_activity: str) -> bool:
    # Resolved until something happens after it (the customer writes again, a new handoff).
    return assignment is not None and assignment.resolved_at is not None and assignment.resolved_at >= last_activity


def inbox_items(container: Container, now: datetime, *, reader: str, names: bool = True) -> list[dict[str, Any]]:
    """Pending approvals and handed-off conversations not resolved since their last activity, newest first,
    each `unread` when something happened since `reader` last opened it; without `names` the processor is
    not asked for the customers' names (the dashboard's badge poll)."""
    from purser.web.metrics import dashboard_of

    customers = Customers(container)
    items: list[dict[str, Any]] = []
    for a in container.gateway.approvals(status="pending"):
        items.append(
            {
                "kind": "approval",
                "conversation_id": a.conversation_id,
                "customer_id": a.customer_id,
                "reason": a.reason,
                "summary": a.summary,
                "created_at": a.created_at,
                "approval_id": a.id,
                "action_id": a.action_id,
                "action": a.action,
                "amount": None if a.amount is None else {"amount": a.amount, "currency": a.currency},
            }
        )
    repo = container_inbox(container)
    handed_off = repo.handed_off(limit=HANDOFF_WINDOW)  # one query, however old the handoff
    handoffs: dict[str, dict[str, Any]] = {}
    for h in dashboard_of(container.db).handoffs(limit=HANDOFF_WINDOW):  # newest first: the first one wins
        if h.conversation_id not in handoffs:
            handoffs[h.conversation_id] = {"reason": h.reason, "summary": h.summary, "created_at": h.created_at}
    assignments = repo.assignments([r.id for r in handed_off] + [i["conversation_id"] for i in items])
    for record in handed_off:
        # A handed-off conversation without a handoff record (older than the window) still shows.
        bare = {"reason": record.handoff_reason, "summary": None, "created_at": record.updated_at}
        found = handoffs.get(record.id, bare)
        if _is_resolved(assignments.get(record.id), _later(found["created_at"], record.updated_at)):
            continue
        items.append({"kind": "handoff", "conversation_id": record.id, "customer_id": record.customer_id, **found})
    records = {r.id: r for r in handed_off}
    for item in items:
        if item["conversation_id"] not in records:  # a pending approval's conversation (there are few)
            records[item["conversation_id"]] = container.runtime.store.get(item["conversation_id"])
    seen = repo.seen(reader, list(records))
    for item in items:
        cid = item["conversation_id"]
        assignment = assignments.get(cid)
        item["customer_name"] = customers.name(item["customer_id"]) if names else None
        item["channel"] = records[cid].channel
        item["unread"] = _unread(records[cid], seen.get(cid))
        item["age_seconds"] = _age_seconds(item["created_at"], now)
        item["link"] = f"/admin#conversation={cid}"
        item["assignee"] = assignment.assignee if assignment is not None and not assignment.resolved_at else None
    items.sort(key=lambda i: str(i["created_at"]), reverse=True)
    return items


def container_inbox(container: Container) -> InboxRepository:
    """The inbox repository over the container's database (built by the bootstrap)."""
    from purser.app import build_inbox

    return build_inbox(container.db)


def assignment_of(container: Container, conversation_id: str) -> dict[str, Any] | None:
    """Who works the conversation and whether it is resolved (JSON), or None when nobody took it."""
    found = container_inbox(container).assignment(conversation_id)
    return None if found is None else _assignment_json(found)


def _row(
    record: ConversationRecord, customers: Customers, assignment: Assignment | None, seen_at: str | None
) -> dict[str, Any]:
    return {
        "id": record.id,
        "customer_id": record.customer_id,
        "customer_name": customers.name(record.customer_id),
        "customer_email": customers.email(record.customer_id),
        "channel": record.channel,
        "status": record.status,
        "handoff_reason": record.handoff_reason,
        "turns": record.turns,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "last_reply": _preview(record.last_reply),
        "assignee": assignment.assignee if assignment is not None and not assignment.resolved_at else None,
        "unread": _unread(record, seen_at),
    }


def _matches(record: ConversationRecord, customers: Customers, needle: str) -> bool:
    fields = (
        record.id,
        record.customer_id,
        customers.name(record.customer_id),
        customers.email(record.customer_id),
        record.last_reply,
    )
    return any(needle in field.casefold() for field in fields if field)


def conversation_rows(
    container: Container, *, reader: str, limit: int, offset: int, q: str | None = None
) -> list[dict[str, Any]]:
    """Conversations, most recently active first, with the customer's name and email, the status and a
    preview of the last reply; `q` keeps those whose conversation or customer id, customer name, email or
    last reply contains it (any case), among the `SEARCH_WINDOW` most recent; `unread` for `reader`."""
    customers = Customers(container)
    needle = (q or "").strip().casefold()
    if needle:
        window = container.runtime.conversations(limit=SEARCH_WINDOW, offset=0)
        records = [r for r in window if _matches(r, customers, needle)][offset : offset + limit]
    else:
        records = container.runtime.conversations(limit=limit, offset=offset)
    repo = container_inbox(container)
    ids = [r.id for r in records]
    assignments, seen = repo.assignments(ids), repo.seen(reader, ids)
    return [_row(r, customers, assignments.get(r.id), seen.get(r.id)) for r in records]


@router.get("/inbox", summary="Everything that needs a person, newest first")
async def inbox(
    request: Request,
    reader: Annotated[Principal, Depends(_reader)],
    names: Annotated[bool, Query(description="false: skip the customers' names (no processor calls)")] = True,
) -> dict[str, Any]:
    """Pending approvals and handed-off conversations (the handoff tool's and every guard escalation), not
    resolved since their last activity, each with the customer's name, channel, reason, age in seconds, who
    works it and the dashboard link of the conversation."""
    state = state_of(request)
    now = datetime.now(UTC)
    items = await run_in_threadpool(lambda: inbox_items(state.container, now, reader=reader.name, names=names))
    return {"items": items}


class AssignBody(BaseModel):
    """Give the conversation to a person."""

    model_config = ConfigDict(extra="forbid")

    assignee: str = Field(description="A person's name (`purser admin person add`).", max_length=1000)


class NoteBody(BaseModel):
    """A private note for the team."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="1 to 4000 characters; never shown to the customer.", max_length=20_000)


def _assignment_json(assignment: Assignment) -> dict[str, Any]:
    return jsonable(assignment)  # type: ignore[no-any-return]


def _record(state: WebState, conversation_id: str) -> ConversationRecord:
    return state.container.runtime.store.get(conversation_id)  # ConversationNotFound: 404


def _claim(state: WebState, conversation_id: str, person: Principal) -> dict[str, Any]:
    _record(state, conversation_id)
    done = container_inbox(state.container).assign(conversation_id, person.name, by=person.name, kind="claimed")
    return _assignment_json(done)


def _assign(state: WebState, conversation_id: str, assignee: str, person: Principal) -> dict[str, Any]:
    name = check_name(assignee)
    _record(state, conversation_id)
    people = state.container.people
    if people is not None:
        people.person(name)  # UnknownPerson (404) names who is missing; nothing is written
    done = container_inbox(state.container).assign(conversation_id, name, by=person.name, kind="assigned")
    return _assignment_json(done)


def _resolve(state: WebState, conversation_id: str, person: Principal) -> dict[str, Any]:
    record = _record(state, conversation_id)
    done = container_inbox(state.container).resolve(conversation_id, by=person.name, since=record.updated_at)
    return _assignment_json(done)


def _add_note(state: WebState, conversation_id: str, text: str, person: Principal) -> dict[str, Any]:
    clean = check_note(text)
    _record(state, conversation_id)
    return jsonable(container_inbox(state.container).add_note(conversation_id, clean, author=person.name))  # type: ignore[no-any-return]


def _notes(state: WebState, conversation_id: str) -> dict[str, Any]:
    _record(state, conversation_id)
    return {"notes": [jsonable(n) for n in container_inbox(state.container).notes(conversation_id)]}


_CHANGES = error_responses(403, 404, 409)


def _mark_read(state: WebState, conversation_id: str, person: Principal) -> dict[str, Any]:
    record = _record(state, conversation_id)
    container_inbox(state.container).mark_read(conversation_id, person.name, record.updated_at)
    return {"conversation_id": conversation_id, "seen_at": record.updated_at}


@router.post("/conversations/{conversation_id}/read", summary="Mark a conversation read", responses=_CHANGES)
async def mark_read(
    request: Request, conversation_id: ConversationId, person: Annotated[Principal, Depends(_reader)]
) -> dict[str, Any]:
    """The caller has seen the conversation as it is now (any role; per person, not audited): it is no longer
    `unread` for them until something happens in it."""
    return await run_in_threadpool(_mark_read, state_of(request), conversation_id, person)


@router.post("/conversations/{conversation_id}/claim", summary="Take a conversation", responses=_CHANGES)
async def claim(request: Request, conversation_id: ConversationId, person: Worker) -> dict[str, Any]:
    """The authenticated person works it from now on (audited as `inbox_claimed`)."""
    return await run_in_threadpool(_claim, state_of(request), conversation_id, person)


@router.post("/conversations/{conversation_id}/assign", summary="Give a conversation to a person", responses=_CHANGES)
async def assign(request: Request, conversation_id: ConversationId, body: AssignBody, person: Worker) -> dict[str, Any]:
    """`assignee` works it from now on (audited as `inbox_assigned`, actor the caller); 404 for no such person."""
    return await run_in_threadpool(_assign, state_of(request), conversation_id, body.assignee, person)


@router.post("/conversations/{conversation_id}/resolve", summary="Nothing left for a person", responses=_CHANGES)
async def resolve(request: Request, conversation_id: ConversationId, person: Worker) -> dict[str, Any]:
    """It leaves the inbox until something happens in it again (audited as `inbox_resolved`); 409 when it is
    resolved already and nothing happened since."""
    return await run_in_threadpool(_resolve, state_of(request), conversation_id, person)


@router.get("/conversations/{conversation_id}/notes", summary="The team's private notes", responses=_CHANGES)
async def notes(request: Request, conversation_id: ConversationId) -> dict[str, Any]:
    """Oldest first; never shown to the customer."""
    return await run_in_threadpool(_notes, state_of(request), conversation_id)


@router.post("/conversations/{conversation_id}/notes", summary="Add a private note", responses=_CHANGES)
async def add_note(request: Request, conversation_id: ConversationId, body: NoteBody, person: Worker) -> dict[str, Any]:
    """A note for the team (audited as `inbox_note`); never part of the transcript, so never delivered."""
    return await run_in_threadpool(_add_note, state_of(request), conversation_id, body.text, person)


def _money(value: Any) -> Any:
    return None if value is None else jsonable(value)


def customer_panel(state: WebState, conversation_id: str) -> dict[str, Any]:
    """The customer of the conversation as the processor has them now."""
    from purser.app import build_channel_repository

    record = _record(state, conversation_id)
    snap = Customers(state.container).snapshot(record.customer_id)
    if snap is None:
        raise NotFoundError(f"the processor has no customer {record.customer_id!r}")
    sub, plan = snap.subscription, snap.plan
    links = build_channel_repository(state.container.db).links_of(record.customer_id)
    return {
        "id": snap.customer.id,
        "name": snap.customer.name,
        "email": snap.customer.email,
        "plan": None
        if plan is None or sub is None
        else {"name": plan.name, "interval": plan.interval, "price": _money(plan.price_for(sub.quantity))},
        "seats": sub.quantity if sub is not None and plan is not None and plan.per_seat else None,
        "status": None if sub is None else str(sub.status),
        "cancels_at_period_end": bool(sub and sub.cancel_at_period_end),
        "resumes_at": jsonable(sub.resumes_at) if sub is not None else None,
        "next_invoice": None
        if snap.next_invoice_date is None
        else {"date": jsonable(snap.next_invoice_date), "amount": _money(snap.next_invoice_amount)},
        "open_invoices": [
            {"id": i.id, "number": i.number, "created": jsonable(i.created), "total": _money(i.total)}
            for i in snap.invoices
            if i.status == InvoiceStatus.OPEN
        ],
        "past_due": _money(snap.past_due),
        "channels": [{"channel": link.channel, "external_id": link.external_id} for link in links],
        "processor_now": jsonable(snap.now),
    }


@router.get("/conversations/{conversation_id}/customer", summary="The customer panel", responses=error_responses(404))
async def customer(request: Request, conversation_id: ConversationId) -> dict[str, Any]:
    """Name, email, plan and price, subscription status, next invoice, open invoices and linked channels,
    from the processor's snapshot (amounts with their currency; `processor_now` is the processor's clock)."""
    return await run_in_threadpool(customer_panel, state_of(request), conversation_id)
