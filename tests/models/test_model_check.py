"""`purser models check` against local provider servers: reachable models answer with latency and price;
a broken one is reported by name, without its key."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from purser.cli import app
from purser.config import ModelEntry, Settings
from purser.models.check import check_models, price_per_million
from purser.models.registry import ModelRegistry
from purser.testing.llm_server import LLMServer

KEY = "sk-test-secret-key-123"


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_model_gets_one_request_and_its_price() -> None:
    with LLMServer("openai") as openai, LLMServer("anthropic") as anthropic:
        openai.push_texts("OK")
        anthropic.push_texts("OK")
        entries = (
            ModelEntry(name="mini", provider="openai", model="gpt-4o-mini", base_url=openai.base_url, api_key_env="K"),
            ModelEntry(
                name="haiku", provider="anthropic", model="claude-3-5-haiku-latest",
                base_url=anthropic.base_url, api_key_env="K",
            ),
            ModelEntry(
                name="down", provider="openai", model="gpt-4o-mini",
                base_url=f"http://127.0.0.1:{_dead_port()}/v1", api_key_env="K", timeout_seconds=2,
            ),
        )  # fmt: skip
        registry = ModelRegistry(entries, "mini", env={"K": KEY})
        checks = check_models(registry)
        assert [c.name for c in checks] == ["mini", "haiku", "down"]
        mini, haiku, down = checks
        assert mini.ok and mini.reply == "OK" and mini.latency_ms is not None
        assert haiku.ok and haiku.reply == "OK"
        assert mini.input_per_million is not None and mini.input_per_million > 0
        assert mini.output_per_million is not None and mini.output_per_million > mini.input_per_million
        assert not down.ok and down.error and KEY not in down.error
        assert len(openai.requests) == 1 and len(anthropic.requests) == 1
        assert openai.headers[0]["authorization"] == f"Bearer {KEY}"


def test_an_unknown_model_is_unpriced() -> None:
    entry = ModelEntry(name="x", provider="openai", model="my-local-finetune", base_url="http://127.0.0.1:1/v1")
    assert price_per_million(entry) == (None, None)


def test_the_command_prints_a_table_and_fails_when_a_model_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LLMServer("openai") as server:
        server.push_texts("OK")
        config = tmp_path / "purser.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "model": "mini",
                    "models": [
                        {
                            "name": "mini",
                            "provider": "openai",
                            "model": "gpt-4o-mini",
                            "base_url": server.base_url,
                            "api_key_env": "PURSER_TEST_KEY",
                        },
                    ],
                }
            )
        )
        monkeypatch.setenv("PURSER_TEST_KEY", KEY)
        ok = CliRunner().invoke(app, ["models", "check", "--config", str(config)])
        assert ok.exit_code == 0, ok.output
        assert "mini" in ok.output and "ok" in ok.output and "ms" in ok.output
        failed = CliRunner().invoke(app, ["models", "check", "--config", str(config)])  # the script is used up: 500
        assert failed.exit_code == 1 and "failed" in failed.output and KEY not in failed.output


def test_no_models_means_the_offline_model(tmp_path: Path) -> None:
    config = tmp_path / "purser.yaml"
    config.write_text("model: offline\n")
    result = CliRunner().invoke(app, ["models", "check", "--config", str(config)])
    assert result.exit_code == 0 and "offline model" in result.output
    assert Settings().model == "offline"
