"""`python -m purser.testing.whatsapp`: chat with a running Purser as a WhatsApp customer, no account.

It starts the local Graph API (`WhatsAppServer`) on a fixed port, prints the settings that point
Purser at it, checks the webhook handshake, then posts every line typed as a signed WhatsApp text
message to Purser's webhook and prints what Purser sends back (waiting for the answer before
reading the next line). `/1`, `/2`, ... tap the buttons (or
list rows) of the last interactive message.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import time
from typing import Any

import httpx

from purser.testing.whatsapp import GraphCall, WhatsAppServer

__all__ = ["main"]


def _show(call: GraphCall, options: list[tuple[str, str]]) -> None:
    body = call.body if isinstance(call.body, dict) else {}
    if call.message_id is None:
        print(f"  [Graph API refused a message: HTTP {call.status}]")
        return
    kind = body.get("type")
    if kind == "text":
        print("Purser: " + body["text"]["body"].replace("\n", "\n        "))
    elif kind == "template":
        params = body["template"]["components"][0]["parameters"]
        print(f"Purser (template {body['template']['name']}): " + " ".join(p["text"] for p in params))
    elif kind == "interactive":
        interactive: dict[str, Any] = body["interactive"]
        print("Purser: " + interactive["body"]["text"].replace("\n", "\n        "))
        action = interactive["action"]
        if interactive["type"] == "button":
            found = [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        else:
            found = [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]
        options[:] = found
        print("        " + "   ".join(f"[/{i}] {title}" for i, (_, title) in enumerate(found, 1)))


QUIET = 0.5  # float-ok: seconds without a new message after which Purser's answer is complete
PATIENCE = 30.0  # float-ok: seconds to wait for an answer at most
POLL = 0.05  # float-ok: seconds


def _await_answer(server: WhatsAppServer, before: int) -> None:
    """Wait until Purser has answered (a message arrived, then none for `QUIET`), at most `PATIENCE`."""
    deadline = time.monotonic() + PATIENCE
    seen, settled_at = before, time.monotonic()
    while time.monotonic() < deadline:
        count = len(server.calls)
        if count != seen:
            seen, settled_at = count, time.monotonic()
        elif count > before and time.monotonic() - settled_at >= QUIET:
            return
        time.sleep(POLL)


def main(argv: list[str] | None = None, *, http: httpx.Client | None = None) -> int:
    """Run the try-out until end of input or `/quit` (`http`: a client for Purser, e.g. a test client)."""
    parser = argparse.ArgumentParser(prog="python -m purser.testing.whatsapp", description=__doc__)
    parser.add_argument("--purser", default="http://127.0.0.1:8000", help="Purser's base URL")
    parser.add_argument("--number", default="15550001111", help="the customer's WhatsApp number (digits)")
    parser.add_argument("--port", type=int, default=8792, help="port of the local Graph API")
    args = parser.parse_args(argv)
    options: list[tuple[str, str]] = []
    server = WhatsAppServer(port=args.port, on_call=lambda call: _show(call, options)).start()
    webhook = args.purser.rstrip("/") + "/channels/whatsapp/webhook"
    settings = server.settings()
    print(f"Local WhatsApp Cloud API: {server.api_base}\n\nStart Purser with:\n")
    for key in ("app_secret", "verify_token", "access_token", "phone_number_id", "api_base", "template"):
        print(f"  export PURSER_CHANNELS__WHATSAPP__{key.upper()}={getattr(settings, key)}")
    print(f"  purser serve\n\nLink the number:  purser channel link whatsapp {args.number} <customer id>\n")
    input("Press Enter once Purser runs... ")
    with contextlib.ExitStack() as stack:
        if http is None:
            http = stack.enter_context(httpx.Client(timeout=30))
        challenge = str(secrets.randbelow(10**9))
        query = {"hub.mode": "subscribe", "hub.verify_token": server.verify_token, "hub.challenge": challenge}
        try:
            answer = http.get(webhook, params=query)
        except httpx.HTTPError as exc:
            print(f"Purser is not reachable at {webhook}: {exc}")
            return 1
        verified = answer.status_code == 200 and answer.text == challenge
        print("Webhook verified." if verified else f"Webhook check failed: HTTP {answer.status_code} {answer.text}")
        print("Type a message (/1, /2 tap a button; /quit ends).")
        for line in sys.stdin:
            text = line.strip()
            if not text:
                continue
            if text == "/quit":
                break
            if text.startswith("/") and text[1:].isdigit():
                if not 0 < int(text[1:]) <= len(options):
                    print(f"  [no button {text} on the last interactive message]")
                    continue
                reply_id, title = options[int(text[1:]) - 1]
                hook = server.reply_webhook(args.number, reply_id, title)
            else:
                hook = server.text_webhook(args.number, text)
            before = len(server.calls)
            answer = http.post(webhook, content=hook.body, headers=hook.headers)
            if answer.status_code != 200:
                print(f"  [Purser answered HTTP {answer.status_code}: {answer.text}]")
                continue
            _await_answer(server, before)
    server.close()
    return 0
