"""`python -m purser.testing.slack`: try the Slack channel without a Slack account.

Starts the local Slack Web API, prints the `PURSER_CHANNELS__SLACK__*` variables to export before
`purser serve` and the `purser channel link` line, then plays Slack: each line you type is a signed
DM from the Slack user to Purser, and every message Purser posts to Slack is printed.

    what's my next charge?     the customer writes in their DM
    /confirm  /cancel          the customer presses the newest card's button
    /approve  /deny            the approver presses the newest approval request's button
    /reply TEXT                a teammate answers in the newest handoff's thread
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable

import httpx

from purser.testing.slack import (
    SlackApiServer,
    SlackCall,
    block_actions,
    buttons,
    dm_channel,
    event_callback,
    message_event,
    sign,
)

__all__ = ["TryOut", "main"]

APPROVALS, TEAM, APPROVER, TEAMMATE = "C0APPROVALS", "C0TEAM", "U0APPROVER", "U0TEAMMATE"
PRESSES = {"/confirm": "Confirm", "/cancel": "Cancel", "/approve": "Approve", "/deny": "Deny"}


class TryOut:
    """The local Slack plus one customer, one approver and one teammate typing into it."""

    def __init__(self, server: SlackApiServer, client: httpx.Client, *, user: str, secret: str) -> None:
        self.server = server
        self.client = client
        """Reaches Purser (its `base_url` is where Purser serves)."""
        self.user = user
        self.secret = secret

    def send(self, path: str, body: bytes) -> int:
        """POST a signed request to Purser; says what it answered when that is not a plain 200."""
        kind = "application/json" if path == "events" else "application/x-www-form-urlencoded"
        headers = {"content-type": kind, **sign(self.secret, body)}
        try:
            answer = self.client.post(f"/channels/slack/{path}", content=body, headers=headers)
        except httpx.HTTPError as exc:
            print(f"  (Purser did not answer at {self.client.base_url}: {exc})")
            return 0
        if answer.status_code != 200:
            print(f"  (Purser answered {answer.status_code}: {answer.text})")
        return answer.status_code

    def line(self, text: str) -> None:
        """One typed line: a DM, a button press or a teammate's reply."""
        command, _, rest = text.partition(" ")
        if command in PRESSES:
            label = PRESSES[command]
            channel = APPROVALS if label in ("Approve", "Deny") else dm_channel(self.user)
            post = self._newest(channel, lambda c: any(b["text"]["text"] == label for b in buttons(c)))
            if post is None:
                print(f"  (no {label} button in {channel} yet)")
                return
            button = next(b for b in buttons(post) if b["text"]["text"] == label)
            presser = APPROVER if channel == APPROVALS else self.user
            press = block_actions(
                presser, button["action_id"], button["value"], channel=channel, message_ts=post.response["ts"]
            )
            self.send("interactions", press)
        elif command == "/reply":
            handoff = self._newest(TEAM, lambda c: True)
            if handoff is None or not rest:
                print("  (no handoff in the team channel yet, or no text)")
                return
            event = message_event(TEAMMATE, rest, channel=TEAM) | {"thread_ts": handoff.response["ts"]}
            self.send("events", event_callback(event))
        else:
            self.send("events", event_callback(message_event(self.user, text)))

    def _newest(self, channel: str, wanted: Callable[[SlackCall], bool]) -> SlackCall | None:
        return next((c for c in reversed(self.server.posts(channel)) if wanted(c)), None)

    def echo(self, stop: threading.Event) -> None:
        """Print each message Purser posts (or updates) in Slack as it arrives."""
        seen = 0
        while not stop.wait(0.2):  # float-ok: seconds
            calls = self.server.calls[seen:]
            seen += len(calls)
            for call in calls:
                print(_describe(call), flush=True)


def _describe(call: SlackCall) -> str:
    if not call.response.get("ok"):
        return f"[slack] {call.method} refused: {call.response.get('error')}"
    if call.method not in ("chat.postMessage", "chat.update"):
        return f"[slack] {call.method}"
    labels = [b["text"]["text"] for b in buttons(call)]
    shown = f"  [{' | '.join(labels)}]" if labels else ""
    verb = "updated" if call.method == "chat.update" else "posted"
    return f"[slack] {verb} in {call.body['channel']}: {call.body.get('text', '')}{shown}"


def main(argv: list[str] | None = None) -> int:
    """The try-out: serve the local Slack and type as its users."""
    parser = argparse.ArgumentParser(prog="python -m purser.testing.slack", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8790, help="the local Slack's port")
    parser.add_argument("--purser", default="http://127.0.0.1:8000", help="where Purser serves")
    parser.add_argument("--user", default="U1", help="the customer's Slack user id")
    args = parser.parse_args(argv)
    secret = os.environ.get("PURSER_CHANNELS__SLACK__SIGNING_SECRET") or secrets.token_hex(16)
    with SlackApiServer(port=args.port) as server:
        env = {
            "SIGNING_SECRET": secret,
            "BOT_TOKEN": server.bot_token,
            "API_BASE": server.api_base,
            "APPROVALS_CHANNEL": APPROVALS,
            "TEAM_CHANNEL": TEAM,
            "APPROVERS": f'["{APPROVER}"]',
        }
        print(f"Local Slack Web API on {server.api_base}. In another shell:\n")
        for key, value in env.items():
            print(f"  export PURSER_CHANNELS__SLACK__{key}='{value}'")
        print(f"  purser channel link slack {args.user} cus_ana   # a customer of `purser sandbox seed`")
        print("  purser serve\n")
        print(f"Then type here as {args.user} (Ctrl-D ends): text, /confirm, /cancel, /approve, /deny, /reply TEXT\n")
        with httpx.Client(base_url=args.purser.rstrip("/"), timeout=10) as client:
            tryout = TryOut(server, client, user=args.user, secret=secret)
            stop = threading.Event()
            threading.Thread(target=tryout.echo, args=(stop,), daemon=True).start()
            try:
                for line in sys.stdin:
                    if line.strip():
                        tryout.line(line.strip())
            except KeyboardInterrupt:
                pass
            time.sleep(0.5)  # float-ok: seconds; the last replies
            stop.set()
    return 0
