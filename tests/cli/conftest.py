"""Fixtures and helpers of the CLI tests: the demo world seeded by `purser sandbox seed` into a SQLite
file, and `purser chat` driven in terminal mode over it (the real CLI, runtime, gateway and sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from purser.cli import app
from purser.config import load_settings
from purser.domain import AccountSnapshot, CustomerId
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    """A purser.yaml on a fresh SQLite file holding the demo world, with the offline model."""
    path = tmp_path / "purser.yaml"
    path.write_text(yaml.safe_dump({"database_url": f"sqlite:///{tmp_path / 'purser.db'}", "model": "offline"}))
    seeded = CliRunner().invoke(app, ["sandbox", "seed", "--config", str(path)])
    assert seeded.exit_code == 0, seeded.output
    return path


def chat(config: Path, customer: str, *lines: str) -> str:
    """Run one terminal conversation; `lines` are what the customer types (messages, choices and y/n answers).
    Returns what the terminal printed."""
    result = CliRunner().invoke(
        app, ["chat", "--customer", customer, "--config", str(config)], input="\n".join([*lines, "exit"]) + "\n"
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def state(config: Path, customer: str) -> AccountSnapshot:
    """The customer's account snapshot in the sandbox after the conversation."""
    db = Database(load_settings(config).database_url)
    try:
        return SandboxProcessor(db).snapshot(CustomerId(customer))
    finally:
        db.dispose()
