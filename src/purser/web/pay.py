"""The payment-method page of a dunning outreach: `GET /pay/{token}` shows it, `POST` puts a new card on file.

In the sandbox the page is a real form whose `test_card` select picks the new card's behaviour
(succeeds | declines | insufficient_funds | expired); the POST attaches it as the default card and
retries the open invoice at once. A forged, used or expired link, a settled case or a bad form value
gets a clear HTML page with a 4xx status and changes nothing. A GET never changes anything. With Stripe
the page's button leads (303) to Stripe's Billing Portal on its payment-method-update flow.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from purser.errors import PurserError
from purser.ports.dunning import TestCards
from purser.processors.errors import ProcessorError
from purser.web.app import state_of

if TYPE_CHECKING:
    from purser.dunning.payment import PaymentUpdate, PayPage, PayResult

__all__ = ["router"]

router = APIRouter(tags=["pay"], include_in_schema=False)

_MAX_TOKEN = 200
_LABELS = {
    "succeeds": "A card that pays (succeeds)",
    "declines": "A card the bank declines",
    "insufficient_funds": "A card with insufficient funds",
    "expired": "An expired card",
}


def _payments(request: Request) -> PaymentUpdate:
    # Built once per app through the bootstrap (`purser.app.build_dunning`), over the app's container.
    cached: PaymentUpdate | None = getattr(request.app.state, "purser_payments", None)
    if cached is None:
        from purser.app import build_dunning
        from purser.dunning.payment import PaymentUpdate

        container = state_of(request).container
        dunning = build_dunning(container.settings, container.db, container.processor, policy=container.policy)
        cached = PaymentUpdate(dunning)
        request.app.state.purser_payments = cached
    return cached


def _html(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;"
        "margin:3rem auto;padding:0 1rem;line-height:1.5}label,select,button{display:block;margin:.5rem 0}"
        "button{padding:.5rem 1rem}.amount{font-size:1.5rem;font-weight:600}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _refused(exc: PurserError) -> HTMLResponse:
    titles = {
        "link_expired": "This link has expired",
        "link_used": "This link was used already",
        "payment_link_closed": "Nothing to pay",
        "invalid_test_card": "Please choose a card",
    }
    title = titles.get(exc.code, "This link is not valid")
    hint = "Nothing was changed. Reply to our last message and we will send you a new link."
    return _html(title, f"<p>{escape(exc.message)}</p><p>{hint}</p>", exc.status if exc.status < 500 else 400)


def _form(token: str, page: PayPage) -> str:
    options = "".join(f'<option value="{escape(c)}">{escape(_LABELS.get(c, c))}</option>' for c in page.choices)
    return (
        f"<p class=amount>{escape(page.amount)}</p><p>Your {escape(page.card)} was declined: {escape(page.reason)}.</p>"
        f'<form method=post action="/pay/{escape(token, quote=True)}">'
        f"<label for=test_card>New card (sandbox test card)</label>"
        f"<select id=test_card name=test_card required>{options}</select>"
        f"<button type=submit>Use this card and pay {escape(page.amount)}</button></form>"
        "<p>Card numbers never pass through this page: in the sandbox you pick how the new card behaves.</p>"
    )


def _hosted_form(token: str, page: PayPage) -> str:
    return (
        f"<p class=amount>{escape(page.amount)}</p><p>Your {escape(page.card)} was declined: {escape(page.reason)}.</p>"
        f'<form method=post action="/pay/{escape(token, quote=True)}">'
        "<button type=submit>Update your card on our payment provider's secure page</button></form>"
        "<p>The payment is tried again as soon as the new card is saved.</p>"
    )


def _outcome(result: PayResult) -> HTMLResponse:
    amount = escape(result.case.amount.format())
    if result.paid:
        body = f"<p>{amount} was paid with your {escape(result.card)}. A confirmation is on its way by email.</p>"
        return _html("Thank you, you are all set", body)
    from purser.dunning.reasons import rule_for

    reason = escape(rule_for(result.decline_reason).plain)
    body = (
        f"<p>Your {escape(result.card)} was declined too: {reason}. Your card on file is now this card; "
        "we will try again and write to you with a new link.</p>"
    )
    return _html("The new card was declined", body, status=402)


@router.get("/pay/{token}", response_class=HTMLResponse)
async def pay_page(request: Request, token: str) -> HTMLResponse:
    """The form (only reads)."""
    if len(token) > _MAX_TOKEN:
        return _html("This link is not valid", "<p>Nothing was changed.</p>", 400)
    payments = _payments(request)
    try:
        page = await run_in_threadpool(payments.page, token)
    except PurserError as exc:
        return _refused(exc)
    if not page.choices:  # Stripe: the card is entered on Stripe's own page
        return _html("Update your card", _hosted_form(token, page))
    return _html("Update your card", _form(token, page))


@router.post("/pay/{token}", response_class=HTMLResponse)
async def pay_submit(request: Request, token: str) -> Response:
    """Sandbox: attach the chosen test card and retry the open invoice. Stripe: on to Stripe's card page
    (the retry follows its `payment_method.attached` event)."""
    if len(token) > _MAX_TOKEN:
        return _html("This link is not valid", "<p>Nothing was changed.</p>", 400)
    payments = _payments(request)
    if not isinstance(payments.dunning.processor, TestCards):
        try:
            url = await run_in_threadpool(payments.hosted, token)
        except ProcessorError:
            body = "<p>Nothing was changed and this link still works: please try again in a few minutes.</p>"
            return _html("The card page could not be opened", body, 502)
        except PurserError as exc:
            return _refused(exc)
        return RedirectResponse(url, status_code=303)
    raw = (await request.body()).decode("utf-8", "replace")
    values = parse_qs(raw, keep_blank_values=True).get("test_card", [])
    choice = values[0] if len(values) == 1 else ""
    try:
        result = await run_in_threadpool(payments.submit, token, choice)
    except PurserError as exc:
        return _refused(exc)
    return _outcome(result)
