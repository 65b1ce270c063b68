"""Invoice PDFs behind signed, expiring links (issue 17): the real app, the sandbox's real PDFs."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from pypdf import PdfReader
from tests.web.conftest import SECRET, asgi_client
from tests.web.test_chat_api import start

from purser.app import Container, build_links
from purser.web.invoices import LINK_MINUTES, PURPOSE
from purser.web.security import user_hash


async def link_for(client: httpx.AsyncClient, cid: str, invoice: str, **headers: str) -> httpx.Response:
    """Ask the app for a download link."""
    return await client.post(f"/api/conversations/{cid}/invoice-links", json={"invoice": invoice}, headers=headers)


def pdf_text(body: bytes) -> str:
    """The text of every page of a PDF (parsed for real: it must be a PDF)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


async def test_a_link_downloads_the_customers_invoice_as_a_pdf(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ana")
    response = await link_for(client, cid, "ANA-0002")  # by number, as a card shows it
    assert response.status_code == 200, response.text
    link = response.json()
    assert link["url"].endswith(link["path"]) and link["path"].startswith("/invoices/lnk_")
    expires = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=LINK_MINUTES - 1) < expires - datetime.now(UTC) <= timedelta(minutes=LINK_MINUTES)
    pdf = await client.get(link["path"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="invoice-ANA-0002.pdf"'
    assert "no-store" in pdf.headers["cache-control"]
    assert "ANA-0002" in pdf_text(pdf.content)
    again = await client.get(link["path"])  # a PDF viewer may fetch twice: the link works until it expires
    assert again.status_code == 200
    by_id = await link_for(client, cid, "in_ana_11")
    assert "ANA-0003" in pdf_text((await client.get(by_id.json()["path"])).content)


async def test_another_customers_invoice_is_refused(client: httpx.AsyncClient, container: Container) -> None:
    cid = await start(client, "cus_ana")
    for ref in ("LENA-0001", "in_lena_09", "in_nothing"):
        refused = await link_for(client, cid, ref)
        assert refused.status_code == 404, ref
        assert refused.json()["error"]["code"] == "not_found"
        assert "url" not in refused.text
    # A genuine signature over a payload pairing Ana with Lena's invoice still serves nothing.
    links = build_links(container.settings, container.db)
    url = links.issue(
        PURPOSE, {"invoice": "in_lena_09", "customer": "cus_ana"}, ttl=timedelta(minutes=5), path="invoices"
    )
    crossed = await client.get(url[len(links.public_url) :])
    assert crossed.status_code == 404
    assert crossed.headers["content-type"].startswith("application/json")


async def test_forged_expired_and_foreign_links_are_refused(client: httpx.AsyncClient, container: Container) -> None:
    cid = await start(client, "cus_ana")
    path = (await link_for(client, cid, "ANA-0001")).json()["path"]
    token_id, signature = path.rsplit("/", 1)[1].split(".")
    forged = await client.get(f"/invoices/{token_id}.{'0' * len(signature)}")
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "link_invalid"
    assert (await client.get("/invoices/nonsense")).status_code == 400
    # A link signed for another page (an email confirmation) does not open an invoice.
    links = build_links(container.settings, container.db)
    other = links.issue(
        "email_confirm", {"invoice": "in_ana_09", "customer": "cus_ana"}, ttl=timedelta(minutes=5), path="x"
    )
    assert (await client.get("/invoices/" + other.rsplit("/", 1)[1])).status_code == 400
    # A link issued more than LINK_MINUTES ago is past its expiry: 410.
    earlier = build_links(container.settings, container.db)
    earlier.clock = lambda: datetime.now(UTC) - timedelta(minutes=LINK_MINUTES + 1)
    payload = {"invoice": "in_ana_09", "customer": "cus_ana"}
    expired = earlier.issue(PURPOSE, payload, ttl=timedelta(minutes=LINK_MINUTES), path="invoices")
    response = await client.get("/invoices/" + expired.rsplit("/", 1)[1])
    assert response.status_code == 410 and response.json()["error"]["code"] == "link_expired"


async def test_with_identity_on_only_the_verified_customer_gets_a_link(secure_container: Container) -> None:
    async with asgi_client(secure_container) as client:
        good = {"X-Purser-User-Hash": user_hash(SECRET, "cus_ana")}
        created = await client.post("/api/conversations", json={"customer_id": "cus_ana"}, headers=good)
        cid = created.json()["id"]
        assert (await link_for(client, cid, "ANA-0001")).status_code == 401
        wrong = {"X-Purser-User-Hash": user_hash(SECRET, "cus_lena")}
        assert (await link_for(client, cid, "ANA-0001", **wrong)).status_code == 401
        ok = await link_for(client, cid, "ANA-0001", **good)
        assert ok.status_code == 200
        # The download link itself needs no header: it is the credential, for 15 minutes.
        assert (await client.get(ok.json()["path"])).status_code == 200


async def test_bad_requests_change_nothing(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ana")
    for body in ({}, {"invoice": ""}, {"invoice": "a b"}, {"invoice": "ANA-0001", "extra": 1}):
        response = await client.post(f"/api/conversations/{cid}/invoice-links", json=body)
        assert response.status_code == 422, body
    assert (await link_for(client, "c_missing", "ANA-0001")).status_code == 404
