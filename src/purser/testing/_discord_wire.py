"""What the local Discord accepts: message and command bodies checked as Discord checks them.

A refused body gets Discord's own error shape: `{"message": "Invalid Form Body", "code": 50035,
"errors": {...}}`, or `{"message": "Cannot send an empty message", "code": 50006}`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["command_problem", "form_error", "message_problem"]

_COMMAND_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def form_error(key: str, message: str) -> dict[str, Any]:
    """Discord's 400 answer for an invalid field."""
    return {"message": "Invalid Form Body", "code": 50035, "errors": {key: {"_errors": [{"message": message}]}}}


def _fits(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def message_problem(body: Any, *, bot: bool) -> dict[str, Any] | None:
    """Discord's answer to a message body it refuses, or None when it is a valid message."""
    if not isinstance(body, dict):
        return form_error("_", "Expected an object.")
    content, embeds, components = body.get("content", ""), body.get("embeds", []), body.get("components", [])
    if not isinstance(content, str) or len(content) > 2000:
        return form_error("content", "Must be 2000 or fewer in length.")
    if not content and not embeds and not components:
        return {"message": "Cannot send an empty message", "code": 50006}
    if bot and int(body.get("flags", 0)) & 64:
        return form_error("flags", "Ephemeral messages can only be sent in reply to an interaction.")
    if not isinstance(embeds, list) or len(embeds) > 10:
        return form_error("embeds", "Must be 10 or fewer in length.")
    for embed in embeds:
        for fact in embed.get("fields", []) if isinstance(embed, dict) else [None]:
            if not isinstance(fact, dict) or not _fits(fact.get("name"), 256) or not _fits(fact.get("value"), 1024):
                return form_error("embeds", "Embed field name and value must be 1-256 and 1-1024 long.")
    for row in components if isinstance(components, list) else [None]:
        buttons = row.get("components") if isinstance(row, dict) and row.get("type") == 1 else None
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
            return form_error("components", "An action row holds 1-5 components.")
        for button in buttons:
            custom_id = button.get("custom_id", "") if isinstance(button, dict) else ""
            if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
                return form_error("components", "custom_id must be 1-100 long.")
    return None


def command_problem(body: Any) -> dict[str, Any] | None:
    """Discord's answer to a command list it refuses (`PUT applications/{id}/commands`), or None."""
    if not isinstance(body, list):
        return form_error("_", "Expected a list of commands.")
    for command in body:
        name = command.get("name") if isinstance(command, dict) else None
        description = command.get("description") if isinstance(command, dict) else None
        if not isinstance(name, str) or not _COMMAND_NAME.match(name):
            return form_error("name", "Command name is invalid")
        if not isinstance(description, str) or not 1 <= len(description) <= 100:
            return form_error("description", "Must be between 1 and 100 in length.")
    return None
