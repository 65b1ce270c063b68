"""`python -m purser.testing.slack`: try the Slack channel without a Slack account.

    python -m purser.testing.slack serve [--port 8790]     the local Slack Web API; prints the settings
                                                          for Purser and every message Purser posts
    python -m purser.testing.slack say --user U1 TEXT     U1 writes TEXT in their DM (a signed event)
    python -m purser.testing.slack press --user U1 Confirm   U1 presses the newest button so labelled
                                                          (in their DM, or --channel C0APPROVALS)

`say` and `press` sign exactly as Slack does with the secret `serve` printed (`--secret`, or
`PURSER_CHANNELS__SLACK__SIGNING_SECRET`) and POST to a running Purser (`--purser`, default
http://127.0.0.1:8000). `press` finds the button on the local server (`GET /_local/posts`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from typing import Any

import httpx

from purser.testing.slack import SlackApiServer, SlackCall, block_actions, dm_channel, event_callback, message_event
from purser.testing.slack import sign as slack_sign

__all__ = ["main"]

APPROVALS, TEAM, APPROVER = "C0APPROVALS", "C0TEAM", "U0APPROVER"


def _serve(port: int) -> int:
    secret = os.environ.get("PURSER_CHANNELS__SLACK__SIGNING_SECRET") or secrets.token_hex(16)
    with SlackApiServer(port=port) as server:
        print(f"Local Slack Web API on {server.api_base}  (stop with Ctrl-C)\n\nStart Purser with:\n")
        env = {
            "SIGNING_SECRET": secret,
            "BOT_TOKEN": server.bot_token,
            "API_BASE": server.api_base,
            "APPROVALS_CHANNEL": APPROVALS,
            "TEAM_CHANNEL": TEAM,
            "APPROVERS": f'["{APPROVER}"]',
        }
        for key, value in env.items():
            print(f"  export PURSER_CHANNELS__SLACK__{key}='{value}'")
        print("  purser serve\n  purser channel link slack U1 cus_ana\n")
        print(f'Then: python -m purser.testing.slack say --secret {secret} --user U1 "what\'s my plan?"\n')
        seen = 0
        try:
            while True:
                calls = server.calls[seen:]
                seen += len(calls)
                for call in calls:
                    print(_describe(call), flush=True)
                time.sleep(0.2)
        except KeyboardInterrupt:
            return 0


def _describe(call: SlackCall) -> str:
    if not call.response.get("ok"):
        return f"{call.method} refused: {call.response.get('error')}"
    if call.method == "chat.postMessage" or call.method == "chat.update":
        labels = [
            e["text"]["text"]
            for b in call.body.get("blocks") or []
            if b.get("type") == "actions"
            for e in b.get("elements", [])
        ]
        shown = f"  [{' | '.join(labels)}]" if labels else ""
        return f"{call.method} → {call.body['channel']}: {call.body.get('text', '')}{shown}"
    return f"{call.method} {call.body}"


def _send(purser: str, path: str, body: bytes, secret: str, kind: str) -> int:
    headers = {"content-type": kind, **slack_sign(secret, body)}
    try:
        answer = httpx.post(f"{purser.rstrip('/')}/channels/slack/{path}", content=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        print(f"Purser did not answer at {purser}: {exc}", file=sys.stderr)
        return 1
    print(f"Purser answered {answer.status_code} {answer.text}")
    return 0 if answer.status_code == 200 else 1


def _press(args: argparse.Namespace) -> int:
    try:
        posts: list[dict[str, Any]] = httpx.get(f"{args.slack.rstrip('/')}/_local/posts", timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"the local Slack did not answer at {args.slack}: {exc}", file=sys.stderr)
        return 1
    channel = args.channel or dm_channel(args.user)
    for post in reversed(posts):
        if post["body"].get("channel") != channel:
            continue
        for block in post["body"].get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element["text"]["text"] == args.label:
                    body = block_actions(
                        args.user, element["action_id"], element["value"], channel=channel, message_ts=post["ts"]
                    )
                    return _send(args.purser, "interactions", body, args.secret, "application/x-www-form-urlencoded")
    print(f"no {args.label!r} button in {channel}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """The try-out command line."""
    parser = argparse.ArgumentParser(prog="python -m purser.testing.slack", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the local Slack Web API")
    serve.add_argument("--port", type=int, default=8790)
    for name in ("say", "press"):
        sub = commands.add_parser(name, help="as a Slack user: write in the DM" if name == "say" else "press a button")
        sub.add_argument("--user", required=True, help="the Slack user id, e.g. U1")
        sub.add_argument("--purser", default="http://127.0.0.1:8000", help="where Purser serves")
        sub.add_argument("--secret", default=os.environ.get("PURSER_CHANNELS__SLACK__SIGNING_SECRET", ""))
    commands.choices["say"].add_argument("text")
    commands.choices["press"].add_argument("label", help="the button's label: Confirm, Cancel, Approve, Deny")
    commands.choices["press"].add_argument("--channel", help="where the button is (default: the user's DM)")
    commands.choices["press"].add_argument("--slack", default="http://127.0.0.1:8790", help="the local Slack")
    args = parser.parse_args(argv)
    if args.command in (None, "serve"):
        return _serve(getattr(args, "port", 8790))
    if not args.secret:
        parser.error("--secret is required (the signing secret `serve` printed)")
    if args.command == "say":
        body = event_callback(message_event(args.user, args.text))
        return _send(args.purser, "events", body, args.secret, "application/json")
    return _press(args)
