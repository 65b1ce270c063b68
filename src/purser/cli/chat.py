"""`purser chat --customer ID`: a terminal chat with the agent, or JSON lines with `--json`.

Terminal: rich output, confirmations as yes/no prompts (a terminal has no buttons, so a reply's
"confirm with the button below" reads "type yes to confirm"), a message's quick replies as numbered
choices (typing the number sends the choice), tokens and cost per turn.
`--json`: customer events (§7) as JSON lines on stdin → the agent's events as JSON lines on
stdout. A bad line gets an error event on stderr naming the problem, and nothing is executed.
"""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Any

import typer

from purser.cli._common import CONFIG_OPTION, fail, out, settings_or_exit

if TYPE_CHECKING:
    from pydantic import ValidationError

    from purser.agent.events import AgentEvent

__all__ = ["ask_confirmation", "describe_validation", "register", "run_json"]

EXIT_WORDS = {"exit", "quit", "/exit", "/quit", ":q"}
YES_WORDS = {"y", "yes"}
NO_WORDS = {"n", "no", ""}
CONFIRM_HINT = "Type yes to confirm or no to decline."


def register(app: typer.Typer) -> None:
    """Add the `chat` command to the `purser` app."""
    app.command("chat")(chat)


def chat(
    customer: str = typer.Option(..., "--customer", help="The verified customer's id (e.g. cus_ana)."),
    json_mode: bool = typer.Option(False, "--json", help="JSON lines: §7 customer events in, agent events out."),
    channel: str = typer.Option("cli", "--channel", help="Channel recorded on the conversation."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Chat with the agent as a verified customer."""
    from purser.agent.runtime import RuntimeInputError
    from purser.app import build
    from purser.errors import PurserError

    settings = settings_or_exit(config)
    try:
        container = build(settings)
        container.runtime.models.check()
    except PurserError as exc:  # a bad configuration, database, processor or model entry
        fail(str(exc))
    try:
        runtime = container.runtime
        try:
            conversation_id = runtime.start(customer, channel=channel)
        except RuntimeInputError as exc:
            fail(str(exc))
        if json_mode:
            run_json(runtime, conversation_id, sys.stdin, sys.stdout, sys.stderr)
        else:
            _run_terminal(runtime, conversation_id, customer)
    finally:
        container.close()


# -- JSON lines -----------------------------------------------------------------------------------
def describe_validation(exc: ValidationError) -> str:
    """One line naming each offending field."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "event"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _error(stream: IO[str], line_no: int, message: str) -> None:
    stream.write(json.dumps({"type": "error", "line": line_no, "error": message}) + "\n")
    stream.flush()


def run_json(runtime: Any, conversation_id: str, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """Process JSON lines until EOF; returns the number of bad lines."""
    from pydantic import ValidationError

    from purser.agent.events import customer_event_adapter
    from purser.agent.runtime import RuntimeInputError

    bad = 0
    for line_no, raw in enumerate(stdin, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            bad += 1
            _error(stderr, line_no, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(data, dict):
            bad += 1
            _error(stderr, line_no, f"expected a JSON object with a 'type', got {type(data).__name__}")
            continue
        try:
            event = customer_event_adapter.validate_python(data)
        except ValidationError as exc:
            bad += 1
            _error(stderr, line_no, f"not a customer event (message or confirm): {describe_validation(exc)}")
            continue
        try:
            events = runtime.handle(conversation_id, event)
        except RuntimeInputError as exc:
            bad += 1
            _error(stderr, line_no, str(exc))
            continue
        for agent_event in events:
            stdout.write(agent_event.model_dump_json() + "\n")
        stdout.flush()
    return bad


# -- terminal -------------------------------------------------------------------------------------
def _run_terminal(runtime: Any, conversation_id: str, customer: str) -> None:
    from rich.markup import escape
    from rich.prompt import Prompt

    from purser.agent.events import CustomerMessage

    console = out()
    console.print(
        f"[bold]Purser[/] — chatting as [cyan]{escape(customer)}[/] (conversation {conversation_id}). "
        "Type [bold]exit[/] to leave.",
        highlight=False,
    )
    choices: list[tuple[str, str]] = []
    while True:
        try:
            text = Prompt.ask("[bold green]you[/]", console=console).strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if not text:
            continue
        if text.lower() in EXIT_WORDS:
            break
        if text.isdigit() and 1 <= int(text) <= len(choices):
            text = choices[int(text) - 1][1]  # a numbered quick reply: its text is the customer's message
            console.print(f"[dim]you chose:[/] {escape(text)}", highlight=False)
        events = runtime.handle(conversation_id, CustomerMessage(text=text[:4000]))
        choices = _show_turn(runtime, conversation_id, events)


def ask_confirmation(summary: str) -> bool:
    """Ask yes/no for a confirmation card until the answer is one (y/yes, n/no; Enter is no)."""
    from rich.markup import escape
    from rich.prompt import Prompt

    console = out()
    while True:
        try:
            answer = Prompt.ask(f"Confirm: {escape(summary)} {escape('[yes/no]')}", console=console)
        except (EOFError, KeyboardInterrupt):
            return False
        word = answer.strip().lower()
        if word in YES_WORDS or word in NO_WORDS:
            return word in YES_WORDS
        console.print("[yellow]Please type yes or no.[/]", highlight=False)


def _show_turn(runtime: Any, conversation_id: str, events: list[AgentEvent]) -> list[tuple[str, str]]:
    """Print a turn, ask its confirmations; the quick replies offered last (numbered choices)."""
    from purser.agent.events import ConfirmationRequest, CustomerConfirm
    from purser.channels.render import reply_choices

    asks: list[ConfirmationRequest] = []
    choices: list[tuple[str, str]] = []
    for event in events:
        _show(event, confirming=any(e.type == "confirmation_request" for e in events))
        if isinstance(event, ConfirmationRequest):
            asks.append(event)
        choices = reply_choices(event) or choices
    _show_choices(choices)
    _show_usage(runtime, conversation_id)
    for ask in asks:
        yes = ask_confirmation(ask.summary)
        follow = runtime.handle(
            conversation_id, CustomerConfirm(action_id=ask.action_id, decision="yes" if yes else "no")
        )
        choices = _show_turn(runtime, conversation_id, follow) or choices
    return choices


def _show_choices(choices: list[tuple[str, str]]) -> None:
    from rich.markup import escape

    if not choices:
        return
    console = out()
    for number, (label, _text) in enumerate(choices, start=1):
        console.print(f"  [bold cyan]{number}[/]. {escape(label)}", highlight=False)
    console.print("  [dim]Type a number to choose, or write your own answer.[/]", highlight=False)


def _show(event: AgentEvent, *, confirming: bool = False) -> None:
    from rich.markup import escape
    from rich.panel import Panel

    from purser.channels.render import without_button_talk

    console = out()
    if event.type == "message":
        # A terminal has no buttons: the model's "confirm with the button below" becomes how to confirm here.
        text = without_button_talk(event.text, CONFIRM_HINT if confirming else "")
        if text:
            console.print(f"[bold blue]purser[/] {escape(text)}", highlight=False)
        for cite in event.citations:
            console.print(f"  [dim]source: {escape(cite.document)} › {escape(cite.heading)}[/]", highlight=False)
    elif event.type == "confirmation_request":
        from purser.channels.render import quote_facts

        # The same customer-facing facts as every channel: labels, amounts with currency, dates in words.
        facts = "\n".join(f"{label}: {value}" if value else label for label, value in quote_facts(event.quote))
        body = escape(event.summary) + (f"\n[dim]{escape(facts)}[/]" if facts else "")
        console.print(Panel(body, title=f"confirm {event.action.replace('_', ' ')}"))
    elif event.type == "action_result":
        color = {"succeeded": "green", "failed": "red", "refused": "yellow"}[event.status]
        console.print(f"[{color}]{event.status}[/] {escape(event.summary)}", highlight=False)
    elif event.type == "approval_pending":
        console.print(f"[yellow]waiting for a teammate[/] {escape(event.summary)}", highlight=False)
    elif event.type == "handoff":
        title = f"handed to a teammate ({event.reason.replace('_', ' ')})"
        console.print(Panel(escape(event.summary), title=title, border_style="magenta"))


def _show_usage(runtime: Any, conversation_id: str) -> None:
    console = out()
    record = runtime.conversation(conversation_id)
    turn = runtime.usage(conversation_id, turn=record.turns)
    total = runtime.usage(conversation_id)
    models = ", ".join(sorted(turn.per_model)) or "no model call"
    console.print(
        f"[dim]turn: {turn.total_tokens} tokens, ${turn.cost_usd} ({models}) · "
        f"conversation: {total.total_tokens} tokens, ${total.cost_usd}[/]",
        highlight=False,
    )
