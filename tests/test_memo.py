"""`PerAccount`: an account's next read starts from what its last read kept, and nothing else piles up."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.memo import PerAccount


def test_a_read_starts_from_what_the_previous_read_of_the_account_kept() -> None:
    memo: PerAccount[str, int] = PerAccount(accounts=4)
    with memo.reading("a") as kept:
        assert kept.get("x") is None
        kept.keep("x", 1)
        kept.keep("y", 2)
    with memo.reading("b") as kept:
        assert kept.get("x") is None  # another account's
    with memo.reading("a") as kept:
        assert kept.get("x") == 1 and kept.get("y") == 2
        kept.keep("x", 1)  # y unused by this read: dropped with it
    with memo.reading("a") as kept:
        assert kept.get("x") == 1 and kept.get("y") is None
    assert memo.entries() == 0  # a's latest read kept nothing, nor did b's


def test_the_least_recently_read_accounts_are_forgotten() -> None:
    memo: PerAccount[str, int] = PerAccount(accounts=2)
    for account in ("a", "b", "a", "c"):
        with memo.reading(account) as kept:
            kept.keep("k", ord(account))
    assert len(memo) == 2
    with memo.reading("b") as kept:
        assert kept.get("k") is None  # b was the least recently read
    with memo.reading("a") as kept:
        assert kept.get("k") is None  # pushed out by b's read just now
    memo.clear()
    assert len(memo) == 0 and memo.entries() == 0


def test_a_read_that_fails_keeps_nothing_and_unhashable_keys_raise() -> None:
    memo: PerAccount[object, int] = PerAccount(accounts=2)
    with memo.reading("a") as kept:
        kept.keep("x", 1)
    with pytest.raises(RuntimeError), memo.reading("a") as kept:
        raise RuntimeError("boom")
    with memo.reading("a") as kept:
        assert kept.get("x") is None
        with pytest.raises(TypeError):
            kept.get(["unhashable"])
    with pytest.raises(ValueError, match="accounts must be at least 1"):
        PerAccount(accounts=0)


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.lists(st.integers(0, 20), max_size=6)), max_size=60))
def test_memory_is_what_the_latest_reads_of_the_kept_accounts_use(reads: list[tuple[str, list[int]]]) -> None:
    memo: PerAccount[int, int] = PerAccount(accounts=3)
    latest: dict[str, set[int]] = {}
    order: list[str] = []
    for account, keys in reads:
        with memo.reading(account) as kept:
            for key in keys:
                assert kept.get(key) in (None, key * 10)
                kept.keep(key, key * 10)
        latest[account] = set(keys)
        order = [a for a in order if a != account] + [account]
    remembered = order[-3:]
    assert len(memo) == len(remembered)
    assert memo.entries() == sum(len(latest[a]) for a in remembered)


def test_concurrent_reads_of_one_account_leave_one_consistent_entry() -> None:
    memo: PerAccount[int, int] = PerAccount(accounts=8)

    def read(n: int) -> None:
        for i in range(200):
            with memo.reading("a") as kept:
                value = kept.get(i % 5)
                assert value in (None, (i % 5) * 2)
                kept.keep(i % 5, (i % 5) * 2)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(memo) == 1 and memo.entries() <= 5
