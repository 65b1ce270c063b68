"""One record altered, deleted, swapped with its neighbour, or given a bad hash: each is named."""

from __future__ import annotations

from types import ModuleType

import pytest
from tests.audit.conftest import Chain, broken_at


@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("one record altered", "does not match its keyed hash"),
        ("one record deleted", "a record was deleted"),
        ("two records swapped", "prev_hash does not match"),
        ("one bad hash", "does not match its keyed hash"),
    ],
)
def test_a_changed_record_is_named(chain: Chain, tamper: ModuleType, attack: str, words: str) -> None:
    assert chain.log.verify().ok
    seq = tamper.attack(chain.url, attack)
    broken_at(chain.reopened(), seq, words)
