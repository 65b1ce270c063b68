"""The audit port: the hash-chained, append-only log as the service layer sees it.

Each record carries the previous record's hash. Its own hash is computed over the canonical JSON
(sorted keys, no spaces, UTF-8) of `seq, at, kind, actor, conversation_id, action_id, data,
prev_hash` in one of two schemes:

- keyed (`scheme` = `hmac-sha256:<key id>`): HMAC-SHA256 with the audit key (`PURSER_AUDIT_KEY`,
  kept outside the database), the scheme itself included in the MAC. Nobody without the key can
  recompute a record, so a rewritten or forged chain does not verify.
- legacy (`scheme` None): plain sha256, as every record was sealed before the key existed, and as
  a store without a key still seals. Anyone with write access can recompute those.

The first record's `prev_hash` is `GENESIS` (64 zeros). `seal` is the one place the chain is
computed; adapters call it while holding the chain's lock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from purser.errors import PurserError

GENESIS = "0" * 64
"""`prev_hash` of the first record."""

KEYED_SCHEME = "hmac-sha256"
"""Prefix of a keyed record's `scheme` (followed by `:` and the key id)."""

AUDIT_LOCK = "~audit"
"""Lock name taken while appending (sorts after every customer/day lock)."""


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, compact separators, non-ASCII kept, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_now_iso() -> str:
    """Wall-clock UTC time, ISO 8601 with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditError(PurserError, ValueError):
    """A record that cannot be written: no kind or no actor."""

    code = "audit_invalid"
    status = 422


class AuditDataError(AuditError, TypeError):
    """A record whose data JSON cannot carry (an object, NaN)."""

    code = "audit_data_not_json"


class UnreadableAuditRecord(PurserError, ValueError):
    """A stored record whose data is not a JSON object (tampering or corruption)."""

    code = "audit_unreadable"
    status = 500

    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(f"audit record {seq}: unreadable data: {detail}")
        self.seq = seq
        self.detail = detail


class AuditKeyError(PurserError, ValueError):
    """An audit key that cannot be used (too short), or a keyed record checked without its key."""

    code = "audit_key_invalid"
    status = 503


MIN_KEY_LENGTH = 32
"""Characters an audit key must have at least (`openssl rand -hex 32` gives 64)."""


@dataclass(frozen=True, slots=True)
class ChainKey:
    """One audit key: the secret (never shown) and its public id (a MAC of a fixed label)."""

    secret: bytes = field(repr=False)
    """The key material."""
    key_id: str
    """16 hex characters naming the key in records and checkpoints without revealing it."""

    @classmethod
    def from_secret(cls, secret: str) -> ChainKey:
        """The key for `secret` (`AuditKeyError` when shorter than `MIN_KEY_LENGTH` characters)."""
        text = secret.strip()
        if len(text) < MIN_KEY_LENGTH:
            raise AuditKeyError(
                f"the audit key must have at least {MIN_KEY_LENGTH} characters, e.g. the output of "
                "`openssl rand -hex 32`"
            )
        raw = text.encode("utf-8")
        return cls(raw, hmac.new(raw, b"purser audit key id", hashlib.sha256).hexdigest()[:16])

    @property
    def scheme(self) -> str:
        """The `scheme` of the records this key seals."""
        return f"{KEYED_SCHEME}:{self.key_id}"

    def mac(self, payload: bytes) -> str:
        """HMAC-SHA256 hex of `payload`."""
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditKeys:
    """The keys a process holds: the one that seals new records and older ones that still verify."""

    current: ChainKey | None = None
    """Seals every new record; None: records are sealed unkeyed (legacy sha256), and said so loudly."""
    previous: tuple[ChainKey, ...] = ()
    """Retired keys: records they sealed still verify."""
    source: str = "none"
    """Where the current key came from, in words (shown by `purser audit verify`; never the key)."""
    generated: bool = False
    """True when the current key was generated into a file beside a development database."""
    generated_now: bool = False
    """True when this process generated that file just now (the chain before it was sealed unkeyed)."""
    legacy_records: int = 0
    """Records 1..legacy_records may be unkeyed (sealed before the key existed; `audit_legacy_records`)."""

    def find(self, key_id: str | None) -> ChainKey | None:
        """The key with this id, if held."""
        for key in (self.current, *self.previous):
            if key is not None and key.key_id == key_id:
                return key
        return None


NO_KEYS = AuditKeys()
"""No key at all: the chain is sealed with plain sha256."""


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """A record before it joins the chain (no position, no hashes yet)."""

    kind: str
    """proposal, guard_decision, confirmation, approval_requested, approval_decision, execution, result, ..."""
    actor: str
    """model:<name>, customer:<id>, human:<name> or system."""
    data: dict[str, Any]
    """Details, already normalised to what JSON carries (see `draft`)."""
    conversation_id: str | None = None
    """The conversation, if any."""
    action_id: str | None = None
    """The action, if any."""
    at: str = ""
    """Wall-clock time (ISO 8601 UTC); stamped at append time when empty."""
    data_json: str | None = field(default=None, compare=False, repr=False)
    """`canonical_json(data)` when already computed (`draft` does), so sealing and storing reuse it;
    None: computed when sealed."""


def draft(
    kind: str,
    *,
    actor: str,
    data: dict[str, Any],
    conversation_id: str | None = None,
    action_id: str | None = None,
    at: str = "",
) -> AuditDraft:
    """A checked draft: `AuditError` when kind/actor are blank or `data` is not JSON-serialisable."""
    if not kind or not actor:
        raise AuditError("an audit record needs a kind and an actor")
    try:
        text = canonical_json(data)
        clean = json.loads(text)  # refuse what JSON cannot carry, normalise tuples
    except (TypeError, ValueError) as exc:
        raise AuditDataError(f"audit data is not JSON: {exc}") from exc
    if clean != data:
        # Tuples or non-string keys: the normalised data may serialise differently (integer keys
        # sort as numbers first, as strings once loaded). Equal data has only string keys and lists,
        # so its text is already the canonical JSON of `clean` (what a verifier recomputes).
        text = canonical_json(clean)
    return AuditDraft(kind, actor, clean, conversation_id, action_id, at, text)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit record as stored."""

    seq: int
    """Position in the chain, from 1, without gaps."""
    at: str
    """Wall-clock time (ISO 8601 UTC)."""
    kind: str
    """See `AuditDraft.kind`."""
    actor: str
    """See `AuditDraft.actor`."""
    conversation_id: str | None
    """The conversation, if any."""
    action_id: str | None
    """The action, if any."""
    data: dict[str, Any]
    """Details (arguments, decision, amounts, result)."""
    prev_hash: str
    """Hash of the previous record."""
    hash: str
    """This record's hash."""
    scheme: str | None = None
    """How `hash` was computed: `hmac-sha256:<key id>` (keyed), None for the legacy unkeyed sha256."""
    data_json: str | None = field(default=None, compare=False, repr=False)
    """`canonical_json(data)` as `seal` computed it (None on records read back): what is stored."""

    def body(self) -> dict[str, Any]:
        """The hashed fields (a keyed record's scheme among them, so it cannot be swapped)."""
        fields: dict[str, Any] = {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "actor": self.actor,
            "conversation_id": self.conversation_id,
            "action_id": self.action_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        if self.scheme is not None:
            fields["scheme"] = self.scheme
        return fields

    @property
    def key_id(self) -> str | None:
        """The id of the key that sealed this record (None for a legacy record)."""
        if self.scheme is None:
            return None
        return self.scheme.partition(":")[2] or None

    def computed_hash(self, key: ChainKey | None = None) -> str:
        """The hash this record's content calls for: sha256 for a legacy record, HMAC-SHA256 with
        `key` for a keyed one. `AuditKeyError` when a keyed record is given no key or another key."""
        payload = canonical_json(self.body()).encode("utf-8")
        if self.scheme is None:
            return hashlib.sha256(payload).hexdigest()
        if key is None or key.scheme != self.scheme:
            raise AuditKeyError(f"audit record {self.seq} was sealed with key {self.key_id}, which is not at hand")
        return key.mac(payload)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return {**self.body(), "hash": self.hash}


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last record's position and hash (`seq` 0 and `GENESIS` for an empty chain)."""

    seq: int
    """Position of the last record."""
    hash: str
    """Its hash."""


EMPTY_HEAD = ChainHead(0, GENESIS)
"""The head of an empty chain."""


def seal(draft: AuditDraft, head: ChainHead, key: ChainKey | None = None) -> AuditRecord:
    """The record `draft` becomes when appended after `head`: keyed with `key`, else legacy sha256.

    The data's canonical JSON is computed once (by `draft`, or here) and spliced into the hashed
    payload, which is byte for byte `canonical_json(record.body())` (what a verifier recomputes):
    the body's keys sort as `action_id, actor, at, conversation_id` < `data` < `kind, prev_hash,
    scheme, seq`."""
    at = draft.at or utc_now_iso()
    scheme = key.scheme if key is not None else None
    data_json = draft.data_json if draft.data_json is not None else canonical_json(draft.data)
    seq = head.seq + 1
    before = canonical_json(
        {"action_id": draft.action_id, "actor": draft.actor, "at": at, "conversation_id": draft.conversation_id}
    )
    after_fields: dict[str, Any] = {"kind": draft.kind, "prev_hash": head.hash, "seq": seq}
    if scheme is not None:
        after_fields["scheme"] = scheme
    after = canonical_json(after_fields)
    payload = f'{before[:-1]},"data":{data_json},{after[1:]}'.encode()
    digest = hashlib.sha256(payload).hexdigest() if key is None else key.mac(payload)
    return AuditRecord(
        seq,
        at,
        draft.kind,
        draft.actor,
        draft.conversation_id,
        draft.action_id,
        draft.data,
        head.hash,
        digest,
        scheme,
        data_json,
    )


class AuditRepository(Protocol):
    """The audit chain of one store, bound to one transaction."""

    def head(self) -> ChainHead:
        """The chain's last record (`EMPTY_HEAD` when empty)."""
        ...

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditRecord]:
        """Append `drafts` in order: takes the chain's lock, reads the head once, seals and inserts."""
        ...

    def read(
        self, *, since: str | None = None, conversation_id: str | None = None, action_id: str | None = None
    ) -> list[AuditRecord]:
        """Records in chain order, optionally from `since` (ISO time) or of one conversation/action.

        Raises `UnreadableAuditRecord` for a record whose data is not a JSON object."""
        ...

    def walk(self) -> list[AuditRecord | UnreadableAuditRecord]:
        """Every record in chain order, an unreadable one as its error in place (for verifying)."""
        ...


__all__ = [
    "AUDIT_LOCK",
    "EMPTY_HEAD",
    "GENESIS",
    "KEYED_SCHEME",
    "MIN_KEY_LENGTH",
    "NO_KEYS",
    "AuditDataError",
    "AuditDraft",
    "AuditError",
    "AuditKeyError",
    "AuditKeys",
    "AuditRecord",
    "AuditRepository",
    "ChainHead",
    "ChainKey",
    "UnreadableAuditRecord",
    "canonical_json",
    "draft",
    "seal",
    "utc_now_iso",
]
