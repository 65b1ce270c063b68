"""`python -m purser.testing.discord`: chat with a running Purser as a Discord user, without Discord.

A local Discord API starts; the variables that point Purser at it are printed; each line typed
becomes a signed `/billing` interaction posted to Purser, `yes` / `no` press the last card's
buttons, and what Purser posts back to the local API is printed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from purser.testing.discord import DiscordServer

__all__ = ["main"]


@contextmanager
def _running() -> Iterator[DiscordServer]:
    from purser.testing.discord import DiscordServer

    server = DiscordServer()
    try:
        yield server
    finally:
        server.close()


def main(argv: list[str] | None = None) -> None:
    """Start a local Discord and chat with a running Purser through it as a Discord user."""
    import httpx

    parser = argparse.ArgumentParser(prog="python -m purser.testing.discord", description=main.__doc__)
    parser.add_argument("--purser", default="http://127.0.0.1:8000", help="Purser's base URL (default: %(default)s)")
    args = parser.parse_args(argv)
    endpoint = args.purser.rstrip("/") + "/channels/discord/interactions"
    with _running() as discord:
        user = discord.user("Local Customer")
        print("A local Discord API is running. Start Purser with:\n")
        print(f"  export PURSER_CHANNELS__DISCORD__PUBLIC_KEY={discord.public_key}")
        print(f"  export PURSER_CHANNELS__DISCORD__APPLICATION_ID={discord.application_id}")
        print(f"  export PURSER_CHANNELS__DISCORD__BOT_TOKEN={discord.bot_token}")
        print(f"  export PURSER_CHANNELS__DISCORD__API_BASE={discord.api_base}")
        print("  purser serve\n")
        print(f"Link the Discord user to a customer:  purser channel link discord {user['id']} <customer id>")
        print("Then type a message for /billing; 'yes' or 'no' presses the last card's buttons; Ctrl-D quits.\n")
        card: dict[str, Any] | None = None
        with httpx.Client(timeout=30) as client:
            while True:
                try:
                    line = input("you> ").strip()
                except EOFError:
                    return
                if not line:
                    continue
                mark = len(discord.calls)
                if line in ("yes", "no") and card is not None:
                    row = card["components"][0]["components"]
                    custom_id = row[0 if line == "yes" else 1]["custom_id"]
                    interaction = discord.press(user, card, custom_id)
                else:
                    interaction = discord.command(user, line)
                body, headers = discord.signed(interaction)
                answer = client.post(endpoint, content=body, headers=headers)
                print(f"  (Purser answered the interaction: HTTP {answer.status_code} {answer.text[:200]})")
                for _ in range(300):  # the turn runs in the background: show what it posts
                    if discord.messages_to(str(user["id"]), mark):
                        time.sleep(0.5)  # float-ok: seconds
                        break
                    time.sleep(0.1)  # float-ok: seconds
                for message in discord.messages_to(str(user["id"]), mark):
                    print(f"purser> {message['content']}")
                    for embed in message.get("embeds", []):
                        for fact in embed.get("fields", []):
                            print(f"         {fact['name']}: {fact['value']}")
                    if message.get("components"):
                        card = message
                        print("         [Confirm] [Cancel]  (type yes or no)")
