"""A real keyed, checkpointed audit chain to tamper with: refunds run through the gateway on the sandbox.

The attacks themselves are the tampering script's (`scripts/tamper_audit.py`), imported here, so the
tests and the script can never drift apart.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from tests.actions.conftest import NOW, customer, world

from purser.actions.gateway import Gateway, Scope
from purser.audit.anchor import AnchorFile
from purser.audit.log import AuditLog
from purser.domain import CustomerId
from purser.policy.schema import Policy
from purser.ports.audit import AuditKeys, ChainKey
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.worlds import parse_world
from purser.worlds.loader import load_world

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tamper_audit.py"

KEY = ChainKey.from_secret("k" * 20 + "the-test-audit-key-0123456789")
"""The audit key of the test chains."""


@pytest.fixture(scope="session")
def tamper() -> ModuleType:
    """scripts/tamper_audit.py as a module."""
    spec = importlib.util.spec_from_file_location("tamper_audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tamper_audit"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Chain:
    """A migrated SQLite file with a keyed audit chain and its anchor."""

    url: str
    db: Database
    log: AuditLog
    anchor: Path

    def reopened(self, keys: AuditKeys | None = None, *, anchor: bool = True) -> AuditLog:
        """The audit log as a fresh process sees it (after an attack), with these keys."""
        held = keys if keys is not None else AuditKeys(KEY)
        db = Database(self.url, audit_keys=held)
        return AuditLog(db, anchor=AnchorFile(self.anchor, held) if anchor else None)


def refunds(db: Database, processor: SandboxProcessor, log: AuditLog, names: list[str]) -> None:
    """A small refund per customer, proposed and confirmed through the gateway."""
    gateway = Gateway(db, processor, Policy(), log)
    for name in names:
        scope = Scope(f"conv_{name}", CustomerId(name), "web", "offline")
        arguments = {"charge_id": f"ch_{name}_11", "amount": "1.00", "reason": None}
        proposed = gateway.propose(scope, "refund", arguments)
        assert proposed.status == "needs_confirmation", proposed
        assert gateway.confirm(scope, proposed.action_id, "yes").status == "succeeded"


def make_chain(tmp_path: Path, keys: AuditKeys, *, checkpoint: bool = True, url: str | None = None) -> Chain:
    """Eight customers, a refund each (about 50 records), sealed with `keys`, checkpointed once; on a
    SQLite file in `tmp_path` unless `url` names another (migrated, empty) database."""
    url = url or f"sqlite:///{tmp_path / 'chain.db'}"
    Database(url).migrate()
    db = Database(url, audit_keys=keys)
    processor = SandboxProcessor(db)
    names = ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal"]
    load_world(processor, parse_world(world(*(customer(n) for n in names)), source="test"), NOW)
    anchor = tmp_path / "chain.db.audit-anchor"
    log = AuditLog(db, anchor=AnchorFile(anchor, keys))
    refunds(db, processor, log, names)
    if checkpoint:
        log.checkpoint()
    return Chain(url, db, log, anchor)


@pytest.fixture()
def chain(tmp_path: Path) -> Iterator[Chain]:
    """A keyed chain of about 50 records, checkpointed."""
    made = make_chain(tmp_path, AuditKeys(KEY, source="test"))
    assert made.log.head().seq > 30
    yield made
    made.db.dispose()


def broken_at(log: AuditLog, seq: int, words: str) -> None:
    """Assert `log` fails verification at record `seq`, saying `words`."""
    result = log.verify()
    assert not result.ok, "verify passed a tampered chain"
    assert result.bad_seq == seq, result
    assert words in (result.problem or ""), result.problem
