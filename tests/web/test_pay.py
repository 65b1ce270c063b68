"""Issue 15's "done when", end to end: a sandbox renewal declines, `purser sandbox advance` sends exactly
one `dunning` email over real SMTP with a PURSER_PUBLIC_URL/pay/ link, the page's POST with
test_card=succeeds pays the invoice and sends `dunning_recovered`, and advancing again sends nothing.
Plus the bad links: forged, used, expired, a bad form value, a GET that changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from purser.app import Container, build
from purser.cli import app as cli
from purser.config import Settings
from purser.domain import CustomerId, InvoiceStatus
from purser.processors.sandbox import SandboxProcessor, mailer
from purser.testing.dunning import PRO, RENEWAL, add_failing_customer
from purser.testing.smtp import SmtpSink
from purser.web.app import create_app

PUBLIC_URL = "https://billing.example.test"
ADMIN_TOKEN = "pay-test-admin-token-0123456789"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/pay/([A-Za-z0-9_.\-]+)")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running
    mailer.reset_configuration()


@pytest.fixture
def world(tmp_path: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """A migrated SQLite file with one customer whose card declines at the 1 December renewal."""
    url = f"sqlite:///{tmp_path / 'purser.db'}"
    for name, value in {
        "PURSER_DATABASE_URL": url,
        "PURSER_SMTP_URL": sink.url,
        "PURSER_PUBLIC_URL": PUBLIC_URL,
        "PURSER_LINK_SECRET": "pay-test-secret",
        "PURSER_ADMIN_TOKEN": ADMIN_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no purser.yaml of the repository's
    container = build(Settings())
    sandbox = container.processor
    assert isinstance(sandbox, SandboxProcessor)
    with sandbox.bulk_import() as imp:
        imp.create_plan(PRO)
        add_failing_customer(imp, "cus_ada")
        imp.set_clock(datetime(2026, 11, 20, tzinfo=UTC))
    yield container
    container.close()


@pytest.fixture
async def client(world: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def run_jobs(world: Container) -> None:
    """What `purser serve`'s embedded worker does in the background: run the due jobs (email deliveries)."""
    assert world.jobs is not None
    world.jobs.run_due()


def advance(*args: str) -> str:
    result = CliRunner().invoke(cli, ["sandbox", "advance", *args])
    assert result.exit_code == 0, result.output
    return result.output


def kinds(world: Container) -> list[str]:
    sandbox = world.processor
    assert isinstance(sandbox, SandboxProcessor)
    return [e.kind for e in sandbox.emails(CustomerId("cus_ada"))]


def invoice_status(world: Container) -> InvoiceStatus:
    snap = world.processor.snapshot(CustomerId("cus_ada"))
    return next(i for i in snap.invoices if i.created == RENEWAL).status


async def test_decline_outreach_pay_and_nothing_more(
    world: Container, sink: SmtpSink, client: httpx.AsyncClient
) -> None:
    output = advance("--to", "2026-12-02")
    assert "dunning outreach sent" in output and "cus_ada" in output
    [dunning] = sink.wait_for(1)
    assert dunning["To"] == "cus_ada@example.com"
    body = dunning.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "$50.00" in text and "Visa ending 4242" in text and "the bank declined the payment" in text
    match = LINK.search(text)
    assert match, text
    token = match.group(1)
    assert kinds(world) == ["dunning"]

    page = await client.get(f"/pay/{token}")
    assert page.status_code == 200
    assert "$50.00" in page.text and "Visa ending 4242" in page.text
    assert all(f'value="{v}"' in page.text for v in ("succeeds", "declines", "insufficient_funds", "expired"))
    assert invoice_status(world) is InvoiceStatus.OPEN  # a GET changes nothing

    paid = await client.post(f"/pay/{token}", data={"test_card": "succeeds"})
    assert paid.status_code == 200, paid.text
    assert "all set" in paid.text
    assert invoice_status(world) is InvoiceStatus.PAID
    run_jobs(world)
    received = sink.wait_for(2)
    assert "Payment received" in str(received[1]["Subject"])
    assert kinds(world) == ["dunning", "dunning_recovered"]

    again = await client.post(f"/pay/{token}", data={"test_card": "succeeds"})
    assert again.status_code == 409 and "used already" in again.text

    advance("--days", "20")
    assert kinds(world) == ["dunning", "dunning_recovered"]
    assert len(sink.messages) == 2

    # The dashboard's figures.
    figures = await client.get("/api/admin/dunning", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert (body["open"], body["recovered"], body["recovery_rate_percent"]) == (0, 1, 100)
    assert body["recovered_revenue"] == [{"minor": 5000, "currency": "usd", "amount": "50.00"}]
    assert body["recovered_by"] == {"customer": 1} and body["median_seconds_to_recovery"] == 9 * 3600
    assert (await client.get("/api/admin/dunning")).status_code == 401


async def test_bad_links_and_bad_values_change_nothing(
    world: Container, sink: SmtpSink, client: httpx.AsyncClient
) -> None:
    advance("--to", "2026-12-02")
    [dunning] = sink.wait_for(1)
    body = dunning.get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match
    token = match.group(1)
    token_id, signature = token.split(".")
    forged = f"{token_id}.{'0' * len(signature)}"
    for bad in (forged, "lnk_nope.abc", "x" * 300):
        response = await client.post(f"/pay/{bad}", data={"test_card": "succeeds"})
        assert response.status_code == 400, (bad, response.text)
        assert "not valid" in response.text
    refused = await client.post(f"/pay/{token}", data={"test_card": "free_money"})
    assert refused.status_code == 422 and "test_card must be one of" in refused.text
    assert invoice_status(world) is InvoiceStatus.OPEN
    # The link still works after refused attempts: a declining card moves the case on.
    declined = await client.post(f"/pay/{token}", data={"test_card": "insufficient_funds"})
    assert declined.status_code == 402 and "declined too" in declined.text
    assert invoice_status(world) is InvoiceStatus.OPEN
    snap = world.processor.snapshot(CustomerId("cus_ada"))
    assert snap.default_payment_method is not None and snap.default_payment_method.last4 == "9995"


async def test_an_expired_link(world: Container, sink: SmtpSink, client: httpx.AsyncClient) -> None:
    advance("--to", "2026-12-02")
    [dunning] = sink.wait_for(1)
    body = dunning.get_body(preferencelist=("plain",))
    assert body is not None
    first = LINK.search(body.get_content())
    assert first
    advance("--days", "10")  # links live 7 days on the processor's clock
    response = await client.get(f"/pay/{first.group(1)}")
    assert response.status_code == 410 and "expired" in response.text
