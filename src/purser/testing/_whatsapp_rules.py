"""What the local Graph API accepts as a message, and its error answers (`purser.testing.whatsapp`).

The checks are the Cloud API's documented limits for the message types Purser sends (text,
interactive `button` and `list`, `template`); a body that breaks one is answered as Meta answers
it: HTTP 400 with `{"error": {"message": "(#100) ...", "type": "OAuthException", "code": 100,
"error_data": {"messaging_product": "whatsapp", "details": ...}, "fbtrace_id": ...}}`.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

__all__ = ["GraphError", "check_message"]

_DIGITS = re.compile(r"^\+?[0-9]{5,20}$")


class GraphError(Exception):
    """A Graph API error answer."""

    def __init__(
        self, status: int, code: int, message: str, *, details: str = "", subcode: int | None = None, type: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.subcode = subcode
        self.type = type or "OAuthException"

    def answer(self) -> dict[str, Any]:
        """The JSON body Meta sends with the error."""
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self.message}",
            "type": self.type,
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_hex(10),
        }
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return {"error": error}


def _invalid(details: str) -> GraphError:
    return GraphError(400, 100, "Invalid parameter", details=details)


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(f"{where} is required")
    if len(value) > limit:
        raise _invalid(f"{where} is too long: {len(value)} characters (at most {limit})")
    return value


def check_message(body: Any, *, templates: tuple[str, ...]) -> None:
    """Raise `GraphError` when `body` is not a message the Cloud API would accept."""
    if not isinstance(body, dict):
        raise _invalid("the request body must be a JSON object")
    if body.get("messaging_product") != "whatsapp":
        raise _invalid("messaging_product must be 'whatsapp'")
    if not isinstance(body.get("to"), str) or not _DIGITS.fullmatch(body["to"]):
        raise _invalid("to must be the recipient's phone number or WhatsApp id")
    kind = body.get("type", "text")
    if kind == "text":
        text = body.get("text")
        _text(text.get("body") if isinstance(text, dict) else None, "text.body", 4096)
    elif kind == "interactive":
        _check_interactive(body.get("interactive"))
    elif kind == "template":
        _check_template(body.get("template"), templates)
    else:
        raise _invalid(f"message type {kind!r} is not one the local server takes (text, interactive, template)")


def _check_interactive(interactive: Any) -> None:
    if not isinstance(interactive, dict):
        raise _invalid("interactive is required")
    body = interactive.get("body")
    _text(body.get("text") if isinstance(body, dict) else None, "interactive.body.text", 1024)
    footer = interactive.get("footer")
    if footer is not None:
        _text(footer.get("text") if isinstance(footer, dict) else None, "interactive.footer.text", 60)
    action = interactive.get("action")
    if not isinstance(action, dict):
        raise _invalid("interactive.action is required")
    kind = interactive.get("type")
    if kind == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise _invalid("interactive.action.buttons must hold 1 to 3 buttons")
        ids, titles = set(), set()
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) else None
            if not isinstance(reply, dict) or button.get("type") != "reply":
                raise _invalid("each button is {type: reply, reply: {id, title}}")
            ids.add(_text(reply.get("id"), "button id", 256))
            titles.add(_text(reply.get("title"), "button title", 20))
        if len(ids) != len(buttons) or len(titles) != len(buttons):
            raise _invalid("button ids and titles must be unique")
    elif kind == "list":
        _text(action.get("button"), "interactive.action.button", 20)
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            raise _invalid("interactive.action.sections must hold 1 to 10 sections")
        rows = [row for section in sections if isinstance(section, dict) for row in section.get("rows", [])]
        if not 1 <= len(rows) <= 10:
            raise _invalid("a list message holds 1 to 10 rows in all")
        for row in rows:
            if not isinstance(row, dict):
                raise _invalid("each row is {id, title, description?}")
            _text(row.get("id"), "row id", 200)
            _text(row.get("title"), "row title", 24)
            if "description" in row:
                _text(row.get("description"), "row description", 72)
    else:
        raise _invalid(f"interactive.type {kind!r} is not button or list")


def _check_template(template: Any, templates: tuple[str, ...]) -> None:
    if not isinstance(template, dict):
        raise _invalid("template is required")
    language = template.get("language")
    if template.get("name") not in templates or not isinstance(language, dict) or not language.get("code"):
        raise GraphError(
            404,
            132001,
            "Template name does not exist in the translation",
            details=f"template name ({template.get('name')}) does not exist in {language}",
        )
    for component in template.get("components", []):
        for parameter in component.get("parameters", []) if isinstance(component, dict) else []:
            text = _text(parameter.get("text") if isinstance(parameter, dict) else None, "template parameter", 32768)
            if "\n" in text or "\t" in text or "     " in text:
                raise GraphError(
                    400,
                    132018,
                    "There was an issue with the parameters in your template.",
                    details="Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                )
