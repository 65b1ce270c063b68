"""The `/pay` page on Stripe: its button makes a Billing Portal session on the payment-method-update flow
(the Stripe SDK over HTTP to a local server that answers like Stripe's API) and redirects there; the
link is then used. A GET changes nothing and makes no request to Stripe."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from purser.app import Container, build, build_dunning
from purser.config import Settings
from purser.domain.ids import CustomerId, InvoiceId
from purser.dunning.cases import DunningCase, case_id_for
from purser.dunning.service import LINK_TTL, PAY_PURPOSE
from purser.money import Money
from purser.web.app import create_app

PORTAL = "https://billing.stripe.com/p/session/test_portal_1"


class StripeApi:
    """POST /v1/billing_portal/sessions as Stripe answers it; every request recorded."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                api.requests.append({"path": self.path, "form": parse_qs(body), "headers": dict(self.headers)})
                if self.path == "/v1/billing_portal/sessions":
                    answer: dict[str, Any] = {"id": "bps_1", "object": "billing_portal.session", "url": PORTAL}
                    self._json(200, answer)
                else:
                    self._json(404, {"error": {"type": "invalid_request_error", "message": f"no {self.path}"}})

            def _json(self, status: int, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def stripe_api() -> Iterator[StripeApi]:
    api = StripeApi()
    yield api
    api.close()


@pytest.fixture
def container(tmp_path: Path, stripe_api: StripeApi) -> Iterator[Container]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'purser.db'}",
        processor="stripe",
        stripe_api_key="sk_test_purser",
        stripe_api_base=stripe_api.url,
        public_url="https://billing.example.test",
        link_secret="stripe-page-secret",
    )
    built = build(settings)
    yield built
    built.close()


@pytest.fixture
async def web(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _token(container: Container) -> str:
    """An open case (as a payment_failed webhook opens it) and its outreach link."""
    dunning = build_dunning(container.settings, container.db, container.processor)
    case = DunningCase(
        id=case_id_for("in_1"),
        invoice_id=InvoiceId("in_1"),
        customer_id=CustomerId("cus_ana"),
        subscription_id=None,
        amount=Money.parse("50.00", "usd"),
        card_brand="visa",
        card_last4="0341",
        decline_reason="card_declined",
        opened_at=datetime.now(UTC),
    )
    dunning.repo.open_case(case)
    url = dunning.links.issue(PAY_PURPOSE, {"case": case.id}, ttl=LINK_TTL, path="pay")
    return url.rsplit("/", 1)[1]


async def test_the_button_leads_to_the_billing_portal(
    container: Container, web: httpx.AsyncClient, stripe_api: StripeApi
) -> None:
    token = _token(container)
    page = await web.get(f"/pay/{token}")
    assert page.status_code == 200 and "$50.00" in page.text and "Visa ending 0341" in page.text
    assert stripe_api.requests == []  # a GET asks Stripe nothing
    moved = await web.post(f"/pay/{token}")
    assert moved.status_code == 303 and moved.headers["location"] == PORTAL
    [sent] = stripe_api.requests
    assert sent["form"]["customer"] == ["cus_ana"]
    assert sent["form"]["flow_data[type]"] == ["payment_method_update"]
    assert sent["headers"]["Idempotency-Key"].startswith("dunning:dc_in_1:portal:")
    again = await web.post(f"/pay/{token}")
    assert again.status_code == 409 and "used already" in again.text
    assert len(stripe_api.requests) == 1
