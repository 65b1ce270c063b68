"""Recomputed chains: forged records appended, a middle record rewritten with the chain recomputed
after it, one refund's records removed and the rest renumbered. The key catches each of them."""

from __future__ import annotations

from types import ModuleType

import pytest
from tests.audit.conftest import Chain, broken_at


@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("forged record appended (sha256 recomputed)", "unkeyed record after keyed ones"),
        ("forged record appended (attacker's HMAC key)", "which is not configured"),
    ],
)
def test_a_forged_record_appended_is_named(chain: Chain, tamper: ModuleType, attack: str, words: str) -> None:
    head = chain.log.head().seq
    assert tamper.attack(chain.url, attack) == head + 1
    broken_at(chain.reopened(), head + 1, words)


@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("middle record changed, chain recomputed (sha256)", "unkeyed record after keyed ones"),
        ("middle record changed, chain recomputed (attacker's key)", "which is not configured"),
    ],
)
def test_a_rewritten_middle_with_the_chain_recomputed_is_named(
    chain: Chain, tamper: ModuleType, attack: str, words: str
) -> None:
    middle = tamper.attack(chain.url, attack)
    assert 1 < middle < chain.log.head().seq
    broken_at(chain.reopened(), middle, words)


def test_one_refunds_records_removed_and_renumbered_are_named(chain: Chain, tamper: ModuleType) -> None:
    first = tamper.attack(chain.url, "one refund's records removed and renumbered")
    # The first refund's records begin the chain: every record after it was recomputed unkeyed.
    broken_at(chain.reopened(), first, "signed checkpoint saw the chain keyed from record 1")


def test_a_recomputed_chain_without_a_checkpoint_still_fails_on_the_key(chain: Chain, tamper: ModuleType) -> None:
    # Even with the anchor gone, a chain recomputed unkeyed is not vouched for by anything.
    chain.anchor.unlink()
    tamper.attack(chain.url, "one refund's records removed and renumbered")
    broken_at(chain.reopened(anchor=False), 1, "no signed checkpoint vouches for it")
