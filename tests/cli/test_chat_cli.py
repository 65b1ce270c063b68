"""`purser chat`: JSON lines in and out against a fake OpenAI-compatible server, and the terminal mode."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent.parent / "agent"))

from agent_world import NOW, WORLD, llm_settings

from purser.agent.events import agent_event_adapter
from purser.app import build_for_world
from purser.cli import app
from purser.cli.chat import run_json
from purser.config import load_settings
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.testing.llm_server import LLMServer, openai_text, openai_tool_call
from purser.worlds import parse_world
from purser.worlds.loader import load_world


@pytest.fixture
def fake() -> Iterator[LLMServer]:
    server = LLMServer("openai").start()
    yield server
    server.stop()


@pytest.fixture
def config(tmp_path: Path, fake: LLMServer) -> Path:
    """A purser.yaml pointing at a seeded SQLite file and the fake model."""
    url = f"sqlite:///{tmp_path / 'purser.db'}"
    path = tmp_path / "purser.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database_url": url,
                "model": "fake",
                "models": [{"name": "fake", "provider": "openai", "model": "gpt-4o-mini", "base_url": fake.base_url}],
            }
        )
    )
    db = Database(load_settings(path).database_url)
    db.migrate()
    load_world(SandboxProcessor(db), parse_world(WORLD, source="test"), NOW)
    db.dispose()
    return path


def test_json_lines_protocol(fake: LLMServer) -> None:
    container = build_for_world(parse_world(WORLD, source="test"), NOW, settings=llm_settings(fake))
    fake.push(openai_text("Hello Ana."))
    runtime = container.runtime
    cid = runtime.start("cus_ana")
    stdin = io.StringIO(
        '{"type": "message", "text": "hi"}\n{"type": "confirm", "action_id": "x", "decision": "maybe"}\n'
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        assert run_json(runtime, cid, stdin, stdout, stderr) == 1
    finally:
        container.close()
    assert [json.loads(line)["text"] for line in stdout.getvalue().splitlines()] == ["Hello Ana."]
    (error,) = [json.loads(line) for line in stderr.getvalue().splitlines()]
    assert error["line"] == 2 and "decision" in error["error"]


def test_json_lines(config: Path, fake: LLMServer) -> None:
    fake.push(
        openai_tool_call("refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}),
        openai_text("Please confirm the refund."),
    )
    lines = [
        json.dumps({"type": "message", "text": "I was charged twice"}),
        "{not json",
        json.dumps({"type": "message", "text": "hi", "mood": "angry"}),
        json.dumps({"type": "confirm", "action_id": "act_nope", "decision": "yes"}),
        json.dumps(["message"]),
        "",
    ]
    result = CliRunner().invoke(
        app, ["chat", "--customer", "cus_ana", "--json", "--config", str(config)], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    out = [agent_event_adapter.validate_json(line) for line in result.stdout.splitlines()]
    assert [e.type for e in out] == ["message", "confirmation_request"]
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["line"] for e in errors] == [2, 3, 4, 5]
    assert all(e["type"] == "error" for e in errors)
    assert "not valid JSON" in errors[0]["error"]
    assert "mood" in errors[1]["error"] and "unknown field" in errors[1]["error"]
    assert "act_nope" in errors[2]["error"]
    assert len(fake.requests) == 2  # the bad lines never reached the model


def test_unknown_customer_exits_2(config: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--customer", "cus_nobody", "--json", "--config", str(config)], input="")
    assert result.exit_code == 2
    assert "cus_nobody" in result.stderr


def test_terminal_confirms_with_y(config: Path, fake: LLMServer) -> None:
    fake.push(
        openai_tool_call("refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}),
        openai_text("Please confirm the refund."),
        openai_text("Refunded $20.00."),
    )
    result = CliRunner().invoke(
        app, ["chat", "--customer", "cus_ana", "--config", str(config)], input="charged twice\ny\nexit\n"
    )
    assert result.exit_code == 0, result.output
    assert "Please confirm the refund." in result.stdout
    # The model's "Refunded $20.00." repeats the result, so the customer reads it once, in the result.
    assert "succeeded" in result.stdout and result.stdout.count("Refunded $20.00") == 1
    assert "Amount: $20.00" in result.stdout and "Charged on: 1 November 2026" in result.stdout
    assert "charge_created=" not in result.stdout and "ch_ana_11b" not in result.stdout
    assert "tokens" in result.stdout
