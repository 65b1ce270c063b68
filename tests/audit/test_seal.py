"""`seal`: the data's canonical JSON is computed once, and the hash is the one a verifier recomputes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from purser.ports.audit import EMPTY_HEAD, AuditDraft, ChainHead, ChainKey, canonical_json, draft, seal

KEY = ChainKey.from_secret("k" * 40)

DATA: list[dict[str, Any]] = [
    {},
    {"amount": "12.50", "currency": "EUR", "quote": {"b": [1, 2, {"z": None, "a": True}], "a": 1.5}},
    {"note": 'naïve café — 東京 \u2028 "quoted" \\ back', "emoji": "🙂"},
    {"tuple": (1, 2), "nested": {"t": ("a", "b")}},
    {"ints": {10: "ten", 9: "nine", 100: "hundred"}},  # sorts numerically, then as text once loaded
]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("key", [None, KEY])
@pytest.mark.parametrize("ids", [(None, None), ("conv_1", 'act_"x"')])
def test_sealed_hash_is_what_a_verifier_recomputes(data: dict[str, Any], key: ChainKey | None, ids: Any) -> None:
    item = draft("result", actor="system:gateway", data=data, conversation_id=ids[0], action_id=ids[1])
    record = seal(item, ChainHead(41, "ab" * 32), key)
    assert record.seq == 42 and record.prev_hash == "ab" * 32
    assert record.hash == record.computed_hash(key)
    # What is stored is the canonical JSON of the data as read back.
    assert record.data_json == canonical_json(json.loads(record.data_json or ""))
    assert json.loads(record.data_json or "") == record.data


def test_a_draft_made_without_its_json_is_sealed_the_same() -> None:
    item = draft("note", actor="human:sam", data={"b": 1, "a": [1, "x"]}, at="2026-01-01T00:00:00.000000Z")
    bare = AuditDraft(item.kind, item.actor, item.data, at=item.at)
    assert bare.data_json is None
    assert (
        seal(bare, EMPTY_HEAD, KEY).hash
        == seal(item, EMPTY_HEAD, KEY).hash
        == seal(item, EMPTY_HEAD, KEY).computed_hash(KEY)
    )


def test_integer_keys_are_stored_as_their_text_sorts() -> None:
    item = draft("note", actor="system", data={"m": {10: 1, 9: 2}})
    assert item.data_json == '{"m":{"10":1,"9":2}}'
