"""Invoice PDFs for the customer, behind signed expiring links (issue 17).

    POST /api/conversations/{id}/invoice-links   {"invoice": "<id or number>"} -> {"url", "path", "expires_at"}
    GET  /invoices/{token}                        the PDF (Content-Disposition: attachment)

The widget asks for a link for an invoice of the conversation's customer (verified like every chat
call: `X-Purser-User-Hash` when identity is on) and opens it. The link is a `SignedLinks` token
(purpose `invoice_pdf`, payload: invoice and customer) valid for `LINK_MINUTES`; it is read with
`peek`, not used up, because a browser's PDF viewer may fetch the same URL more than once. The GET
checks the signature and expiry and that the invoice still belongs to the customer named in the
token, then serves `processor.invoice_pdf(invoice_id)`. A forged token is a 400, an expired one a
410, an invoice of another customer a 404 at issue time and at download; nothing changes either way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from purser.domain import CustomerId, InvoiceId
from purser.web.app import WebState, state_of
from purser.web.conversations import conversation_info
from purser.web.errors import NotFoundError
from purser.web.schemas import ID_PATTERN, error_responses
from purser.web.security import USER_HASH_HEADER

if TYPE_CHECKING:
    from purser.channels.links import SignedLinks
    from purser.domain.entities import Invoice

__all__ = ["LINK_MINUTES", "PURPOSE", "InvoiceLinkRequest", "router"]

LINK_MINUTES = 15
"""How long a download link works."""
PURPOSE = "invoice_pdf"
"""The `SignedLinks` purpose of a download link (a link for another page is refused here)."""

router = APIRouter(tags=["chat"])


class InvoiceLinkRequest(BaseModel):
    """Which invoice: its id or its number, as the customer's card or message shows it."""

    model_config = ConfigDict(extra="forbid")

    invoice: str = Field(pattern=ID_PATTERN, description="The invoice id or number.")


def _links(request: Request) -> SignedLinks:
    # Built once per app through the bootstrap (`purser.app.build_links`), over the app's store.
    cached: SignedLinks | None = getattr(request.app.state, "purser_invoice_links", None)
    if cached is None:
        from purser.app import build_links

        container = state_of(request).container
        cached = build_links(container.settings, container.db)
        request.app.state.purser_invoice_links = cached
    return cached


def _owned(state: WebState, customer_id: str, ref: str) -> Invoice:
    """The customer's invoice with this id or number; `NotFoundError` otherwise (never another's)."""
    snapshot = state.container.processor.snapshot(CustomerId(customer_id))
    for invoice in snapshot.invoices:
        if ref in (invoice.id, invoice.number):
            return invoice
    raise NotFoundError(f"no invoice {ref!r} on this account")


@router.post(
    "/api/conversations/{conversation_id}/invoice-links",
    summary="A signed link to download one of the customer's invoices as a PDF",
    responses=error_responses(401, 404, 422, 429),
)
async def invoice_link(
    request: Request,
    conversation_id: Annotated[str, Path(pattern=ID_PATTERN, description="The conversation id.")],
    body: InvoiceLinkRequest,
    user_hash: Annotated[str | None, Header(alias=USER_HASH_HEADER, max_length=200)] = None,
) -> Response:
    """`{"url", "path", "expires_at"}`: `path` is the link on this server (what the widget opens)."""
    state = state_of(request)
    links = _links(request)

    def issue() -> dict[str, str]:
        info = conversation_info(state.container, conversation_id)
        customer_id = str(info["customer_id"])
        state.identity.verify(customer_id, user_hash)
        invoice = _owned(state, customer_id, body.invoice)
        ttl = timedelta(minutes=LINK_MINUTES)
        url = links.issue(PURPOSE, {"invoice": invoice.id, "customer": customer_id}, ttl=ttl, path="invoices")
        expires = links.clock() + ttl
        return {
            "url": url,
            "path": url[len(links.public_url) :],
            "expires_at": expires.isoformat().replace("+00:00", "Z"),
        }

    return JSONResponse(await run_in_threadpool(issue), headers={"Cache-Control": "no-store"})


@router.get("/invoices/{token}", include_in_schema=False)
async def invoice_pdf(request: Request, token: Annotated[str, Path(max_length=200)]) -> Response:
    """The invoice PDF named by a valid, unexpired link, as an attachment."""
    state = state_of(request)
    links = _links(request)

    def read() -> tuple[bytes, str]:
        payload = links.peek(PURPOSE, token)  # LinkError 400 / LinkExpired 410
        invoice = _owned(state, str(payload["customer"]), str(payload["invoice"]))
        return state.container.processor.invoice_pdf(InvoiceId(invoice.id)), invoice.number

    pdf, number = await run_in_threadpool(read)
    filename = "".join(c if c.isalnum() or c in "-_." else "-" for c in number) or "invoice"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="invoice-{filename}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
