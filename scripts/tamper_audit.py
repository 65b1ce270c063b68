"""Tamper with a copy of a real Purser database, one attack at a time, and prove `purser audit verify` fails.

    .venv/bin/purser sandbox seed                     # or any SQLite database Purser has been running on
    .venv/bin/python scripts/tamper_audit.py --database-url sqlite:///purser.db

The database file is copied into a scratch folder together with its audit key file and anchor
file (the development defaults beside it, or the copies of `PURSER_AUDIT_ANCHOR`); the original is
never written. When the copy's chain is short (a freshly seeded demo), refunds are proposed and
confirmed through the gateway on the copy until it holds at least `--records` records, and the copy
is checkpointed (`purser audit checkpoint`). Then every attack below runs on its own fresh copy,
and `purser audit verify` (the real command, in a subprocess) must exit 1 naming the first bad
record. Exit status: 0 when every attack was caught, 1 otherwise.

Each attack is what someone with write access to the database (and without the audit key, which is
kept outside it) would do; "recomputed" means the attacker rewrote every hash after the change,
either as plain sha256 (the unkeyed scheme) or as an HMAC under a key of their own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from purser.ports.audit import AuditRecord, ChainKey, ChainHead, canonical_json
from purser.store.db import Database
from purser.store.gateway_tables import gw_audit_log

ATTACKER_KEY = ChainKey.from_secret("not-the-real-key-" + "x" * 32)
"""A key of the attacker's own: a keyed-looking hash they can compute."""

_C = gw_audit_log.c


# -- the attacker's view of the table ------------------------------------------------------------------
def _rows(conn: Connection) -> list[AuditRecord]:
    return [
        AuditRecord(
            int(r.seq), r.at, r.kind, r.actor, r.conversation_id, r.action_id, json.loads(r.data), r.prev_hash, r.hash,
            r.scheme,
        )
        for r in conn.execute(select(gw_audit_log).order_by(_C.seq))
    ]  # fmt: skip


def _row(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "at": record.at,
        "kind": record.kind,
        "actor": record.actor,
        "conversation_id": record.conversation_id,
        "action_id": record.action_id,
        "data": canonical_json(record.data),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "scheme": record.scheme,
    }


def _recompute(records: list[AuditRecord], start: int, *, keyed: bool) -> list[AuditRecord]:
    """Renumber from 1 and rewrite every hash from position `start` on, as the attacker can."""
    out: list[AuditRecord] = []
    head = ChainHead(0, "0" * 64)
    for index, record in enumerate(records):
        record = replace(record, seq=index + 1, prev_hash=head.hash)
        if index >= start:
            if keyed:
                record = replace(record, scheme=ATTACKER_KEY.scheme)
                record = replace(record, hash=record.computed_hash(ATTACKER_KEY))
            else:
                record = replace(record, scheme=None)
                record = replace(record, hash=hashlib.sha256(canonical_json(record.body()).encode()).hexdigest())
        out.append(record)
        head = ChainHead(record.seq, record.hash)
    return out


def _rewrite(conn: Connection, records: list[AuditRecord]) -> None:
    conn.execute(delete(gw_audit_log))
    if records:
        conn.execute(insert(gw_audit_log), [_row(r) for r in records])


# -- the attacks: each changes the table and returns the seq verify must name ----------------------------
def forge_append(conn: Connection) -> int:
    """A forged record appended after the head, its hash computed as plain sha256."""
    records = _rows(conn)
    last = records[-1]
    forged = AuditRecord(
        last.seq + 1, last.at, "result", "system", None, None,
        {"status": "succeeded", "result": {"refund": "re_forged", "amount": "500.00", "currency": "usd"}},
        last.hash, "",
    )  # fmt: skip
    forged = replace(forged, hash=forged.computed_hash())
    conn.execute(insert(gw_audit_log), [_row(forged)])
    return forged.seq


def forge_append_keyed(conn: Connection) -> int:
    """A forged record appended after the head, claiming a keyed scheme under the attacker's own key."""
    records = _rows(conn)
    last = records[-1]
    forged = AuditRecord(
        last.seq + 1, last.at, "approval_decision", "human:alice", None, None, {"decision": "approved"},
        last.hash, "", ATTACKER_KEY.scheme,
    )  # fmt: skip
    forged = replace(forged, hash=forged.computed_hash(ATTACKER_KEY))
    conn.execute(insert(gw_audit_log), [_row(forged)])
    return forged.seq


def truncate_15(conn: Connection) -> int:
    """The last 15 records deleted."""
    records = _rows(conn)
    _rewrite(conn, records[:-15])
    return len(records) - 15 + 1


def rewrite_middle(conn: Connection, *, keyed: bool = False) -> int:
    """A middle record changed and the chain recomputed after it."""
    records = _rows(conn)
    middle = len(records) // 2
    data = {**records[middle].data, "rewritten": True}
    records[middle] = replace(records[middle], data=data)
    _rewrite(conn, _recompute(records, middle, keyed=keyed))
    return middle + 1


def rewrite_middle_keyed(conn: Connection) -> int:
    """A middle record changed and the chain recomputed after it under the attacker's key."""
    return rewrite_middle(conn, keyed=True)


def empty_table(conn: Connection) -> int:
    """Every record deleted."""
    conn.execute(delete(gw_audit_log))
    return 1


def remove_refund(conn: Connection) -> int:
    """One refund's records removed and the rest renumbered (and rehashed)."""
    records = _rows(conn)
    refunded = next(r.action_id for r in records if r.kind == "result" and r.action_id)
    first = next(i for i, r in enumerate(records) if r.action_id == refunded)
    kept = [r for r in records if r.action_id != refunded]
    _rewrite(conn, _recompute(kept, first, keyed=False))
    return first + 1


def alter_one(conn: Connection) -> int:
    """One record's data altered in place (hash left alone)."""
    records = _rows(conn)
    target = records[len(records) // 3]
    conn.execute(
        gw_audit_log.update().where(_C.seq == target.seq).values(data=canonical_json({**target.data, "x": 1}))
    )
    return target.seq


def delete_one(conn: Connection) -> int:
    """One middle record deleted (nothing renumbered)."""
    records = _rows(conn)
    target = records[len(records) // 2]
    conn.execute(delete(gw_audit_log).where(_C.seq == target.seq))
    return target.seq + 1


def swap_two(conn: Connection) -> int:
    """Two neighbouring records' contents swapped (sequence numbers kept)."""
    records = _rows(conn)
    i = len(records) // 2
    a, b = records[i], records[i + 1]
    records[i], records[i + 1] = replace(b, seq=a.seq), replace(a, seq=b.seq)
    _rewrite(conn, records)
    return a.seq


def bad_hash(conn: Connection) -> int:
    """One record's hash replaced with another value."""
    records = _rows(conn)
    target = records[len(records) // 4]
    conn.execute(gw_audit_log.update().where(_C.seq == target.seq).values(hash="f" * 64))
    return target.seq


Attack = Callable[[Connection], int]

ATTACKS: dict[str, Attack] = {
    "forged record appended (sha256 recomputed)": forge_append,
    "forged record appended (attacker's HMAC key)": forge_append_keyed,
    "last 15 records deleted": truncate_15,
    "middle record changed, chain recomputed (sha256)": rewrite_middle,
    "middle record changed, chain recomputed (attacker's key)": rewrite_middle_keyed,
    "every record deleted (table emptied)": empty_table,
    "one refund's records removed and renumbered": remove_refund,
    "one record altered": alter_one,
    "one record deleted": delete_one,
    "two records swapped": swap_two,
    "one bad hash": bad_hash,
}
"""Every attack, by what it does."""


def attack(url: str, name: str) -> int:
    """Run the attack `name` on the database at `url` (one transaction); returns the seq verify must name."""
    db = Database(url)
    try:
        with db.begin() as conn:
            return ATTACKS[name](conn)
    finally:
        db.dispose()


# -- copying and running -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Copy:
    """A scratch copy of the database with its key and anchor files."""

    database: Path
    """The copied SQLite file."""
    anchor: Path
    """Its anchor file (copied, or where the copy's checkpoints go)."""

    @property
    def url(self) -> str:
        """Its SQLAlchemy URL."""
        return f"sqlite:///{self.database}"

    def environment(self) -> dict[str, str]:
        """The environment the CLI runs with on this copy."""
        env = {k: v for k, v in os.environ.items() if k not in ("PURSER_DATABASE_URL", "PURSER_AUDIT_ANCHOR")}
        return {**env, "PURSER_DATABASE_URL": self.url, "PURSER_AUDIT_ANCHOR": str(self.anchor), "COLUMNS": "250"}

    def clone(self, folder: Path) -> Copy:
        """Another copy of this one in `folder`."""
        return copy_database(self.database, folder, anchor=self.anchor)


def copy_database(source: Path, folder: Path, *, anchor: Path | None = None) -> Copy:
    """Copy `source` (and its WAL, key file, anchor file) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    for suffix in ("", "-wal", "-shm", ".audit-key"):
        extra = source.with_name(source.name + suffix)
        if extra.exists():
            shutil.copy2(extra, folder / extra.name)
    found = anchor or Path(os.environ.get("PURSER_AUDIT_ANCHOR") or source.with_name(source.name + ".audit-anchor"))
    copied = folder / (source.name + ".audit-anchor")
    if found.exists():
        shutil.copy2(found, copied)
    return Copy(target, copied)


Verifier = Callable[[Copy], tuple[int, str]]
"""Runs `purser audit verify` on a copy: (exit code, output)."""


def cli_verify(copy: Copy) -> tuple[int, str]:
    """`purser audit verify` in a subprocess, on `copy`."""
    return _purser(copy, "audit", "verify")


def _purser(copy: Copy, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "purser.cli", *args],
        env=copy.environment(),
        capture_output=True,
        text=True,
        check=False,
        cwd=copy.database.parent,
    )
    return done.returncode, done.stdout + done.stderr


def populate(copy: Copy, records: int) -> int:
    """Refunds proposed and confirmed through the gateway on the copy until the chain holds `records`
    records (a seeded demo has almost none); returns how many it holds."""
    from purser.actions.outcome import Scope
    from purser.app import build_backoffice
    from purser.config import load_settings
    from purser.domain import CustomerId

    office = build_backoffice(load_settings(None, database_url=copy.url, audit_anchor=str(copy.anchor)))
    try:
        gateway = office.gateway()
        for customer in office.processor.list_customers(limit=1000):
            for charge in office.processor.snapshot(CustomerId(customer.id)).charges:
                if office.audit.head().seq >= records:
                    return office.audit.head().seq
                if charge.status != "succeeded" or charge.refundable.minor < 100:
                    continue
                scope = Scope(f"conv_tamper_{charge.id}", CustomerId(customer.id), "web", "offline")
                amount = "1.00"
                proposed = gateway.propose(scope, "refund", {"charge_id": charge.id, "amount": amount, "reason": None})
                if proposed.status == "needs_confirmation":
                    gateway.confirm(scope, proposed.action_id, "yes")
        return office.audit.head().seq
    finally:
        office.close()


@dataclass(frozen=True)
class Caught:
    """What verify said about one attack."""

    attack: str
    """The attack."""
    expected_seq: int
    """The record it broke first."""
    exit_code: int
    """verify's exit status (1 expected)."""
    output: str
    """verify's output."""

    @property
    def ok(self) -> bool:
        """True when verify failed and named the record."""
        return self.exit_code == 1 and f"at record {self.expected_seq}:" in self.output


def run_attacks(pristine: Copy, scratch: Path, verify: Verifier = cli_verify) -> list[Caught]:
    """Every attack on its own clone of `pristine`; what verify said each time."""
    results = []
    for index, name in enumerate(ATTACKS):
        victim = pristine.clone(scratch / f"attack-{index:02d}")
        expected = attack(victim.url, name)
        code, output = verify(victim)
        results.append(Caught(name, expected, code, output))
    return results


def main(argv: list[str] | None = None) -> int:
    """Copy, populate, checkpoint, attack, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("PURSER_DATABASE_URL", "sqlite:///purser.db"))
    parser.add_argument("--records", type=int, default=40, help="Populate the copy up to this many records.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch folder (its path is printed).")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("sqlite:///"):
        parser.error("only a SQLite database file can be copied (sqlite:///path)")
    source = Path(args.database_url[len("sqlite:///") :])
    if not source.exists():
        parser.error(f"no such database file: {source}")
    scratch = Path(tempfile.mkdtemp(prefix="purser-tamper-"))
    try:
        pristine = copy_database(source, scratch / "pristine")
        held = populate(pristine, args.records)
        code, output = _purser(pristine, "audit", "checkpoint")
        if code != 0:
            print(f"the copy cannot be checkpointed (is the original intact?):\n{output}")
            return 1
        code, output = cli_verify(pristine)
        print(f"copy of {source.name}: {held} records, checkpointed; verify before any attack: exit {code}")
        if code != 0:
            print(output)
            return 1
        results = run_attacks(pristine, scratch)
        for result in results:
            verdict = "caught" if result.ok else "MISSED"
            said = next((line for line in result.output.splitlines() if "BROKEN" in line), result.output.strip())
            print(f"{verdict:7} {result.attack:58} -> {said}")
        missed = [r for r in results if not r.ok]
        print(f"{len(results) - len(missed)} of {len(results)} attacks caught")
        return 1 if missed else 0
    finally:
        if args.keep:
            print(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
