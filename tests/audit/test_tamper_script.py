"""scripts/tamper_audit.py end to end on a copy of a real (seeded, then used) database: every attack is
caught by `purser audit verify`, and the original is never touched."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner


def test_every_attack_on_a_copy_of_a_seeded_database_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tamper: ModuleType
) -> None:
    from purser.cli import app

    monkeypatch.chdir(tmp_path)
    for name in ("PURSER_AUDIT_KEY", "PURSER_AUDIT_ANCHOR"):
        monkeypatch.delenv(name, raising=False)
    source = tmp_path / "live" / "purser.db"
    source.parent.mkdir()
    runner = CliRunner()
    seeded = runner.invoke(app, ["sandbox", "seed", "--database-url", f"sqlite:///{source}"])
    assert seeded.exit_code == 0, seeded.output
    before = hashlib.sha256(source.read_bytes()).hexdigest()

    pristine = tamper.copy_database(source, tmp_path / "scratch" / "pristine")
    held = tamper.populate(pristine, 40)
    assert held >= 40

    def verify(copy: object) -> tuple[int, str]:
        # The real command, in this process (a subprocess per attack would cost seconds each).
        with monkeypatch.context() as env:
            for name, value in copy.environment().items():  # type: ignore[attr-defined]
                if name.startswith("PURSER_"):
                    env.setenv(name, value)
            result = CliRunner().invoke(app, ["audit", "verify"])
        return result.exit_code, result.output

    with monkeypatch.context() as env:
        for name, value in pristine.environment().items():
            if name.startswith("PURSER_"):
                env.setenv(name, value)
        checkpointed = CliRunner().invoke(app, ["audit", "checkpoint"])
    assert checkpointed.exit_code == 0, checkpointed.output
    code, output = verify(pristine)
    assert code == 0, output
    results = tamper.run_attacks(pristine, tmp_path / "scratch", verify=verify)
    assert len(results) == len(tamper.ATTACKS) >= 11
    missed = [(r.attack, r.expected_seq, r.output) for r in results if not r.ok]
    assert not missed, "\n".join(f"{a} {s}: {o}" for a, s, o in missed)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before, "the original database was written"
