"""The channel repository's contract on SQLite and PostgreSQL: links, threads, replays, codes, tokens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from purser.ports.channels import ChannelLink, ChannelName, ChannelThread, LinkToken, LinkTokenId, VerificationCode
from purser.store.channels import SqlChannelRepository
from purser.store.db import Database

SLACK = ChannelName("slack")
EMAIL = ChannelName("email")


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlChannelRepository]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'ch.db'}")
    else:
        db = Database(request.getfixturevalue("pg_url"))
    db.migrate()
    yield SqlChannelRepository(db)
    db.dispose()


def _thread(
    key: str, conversation: str, customer: str = "cus_ana", updated: str = "2026-12-01T00:00:00Z"
) -> ChannelThread:
    return ChannelThread(
        channel=SLACK,
        thread_key=key,
        conversation_id=conversation,
        customer_id=customer,
        external_id="U1",
        address='{"channel":"D1"}',
        last_inbound_at=updated,
        updated_at=updated,
    )


def test_links_are_replaced_listed_and_removed(repo: SqlChannelRepository) -> None:
    assert repo.linked_customer(SLACK, "U1") is None
    repo.link(ChannelLink(SLACK, "U1", "cus_ana", "admin:cli", "2026-12-01T00:00:00Z"))
    repo.link(ChannelLink(SLACK, "U1", "cus_bob", "code", "2026-12-02T00:00:00Z"))
    repo.link(ChannelLink(EMAIL, "bob@example.com", "cus_bob", "admin:cli", "2026-12-03T00:00:00Z"))
    assert repo.linked_customer(SLACK, "U1") == "cus_bob"
    assert [(k.channel, k.external_id) for k in repo.links_of("cus_bob")] == [
        ("email", "bob@example.com"),
        ("slack", "U1"),
    ]
    assert repo.links_of("cus_ana") == []
    assert repo.unlink(SLACK, "U1") is True
    assert repo.unlink(SLACK, "U1") is False
    assert repo.linked_customer(SLACK, "U1") is None


def test_threads_are_upserted_and_found_by_conversation_and_customer(repo: SqlChannelRepository) -> None:
    repo.save_thread(_thread("D1", "conv_1", updated="2026-12-01T00:00:00Z"))
    repo.save_thread(_thread("D2", "conv_2", updated="2026-12-02T00:00:00Z"))
    moved = _thread("D1", "conv_3", updated="2026-12-03T00:00:00Z")
    repo.save_thread(moved)
    assert repo.thread(SLACK, "D1") == moved
    assert repo.thread_of("conv_3") == moved
    assert repo.thread_of("conv_1") is None
    latest = repo.latest_thread("cus_ana")
    assert latest is not None and latest.thread_key == "D1"
    assert repo.latest_thread("cus_ana", EMAIL) is None
    assert repo.thread(EMAIL, "D1") is None


def test_an_event_id_is_seen_once_per_channel(repo: SqlChannelRepository) -> None:
    assert repo.first_sighting(SLACK, "Ev1", "2026-12-01T00:00:00Z") is True
    assert repo.first_sighting(SLACK, "Ev1", "2026-12-01T00:00:01Z") is False
    assert repo.first_sighting(EMAIL, "Ev1", "2026-12-01T00:00:01Z") is True


def test_codes_count_attempts_and_are_dropped(repo: SqlChannelRepository) -> None:
    code = VerificationCode(SLACK, "U1", "cus_ana", "h" * 64, "2026-12-01T00:15:00Z", 0)
    repo.save_code(code)
    assert repo.code(SLACK, "U1") == code
    assert repo.count_attempt(SLACK, "U1") == 1
    assert repo.count_attempt(SLACK, "U1") == 2
    repo.save_code(code)  # a new code starts over
    assert repo.code(SLACK, "U1") == code
    repo.drop_code(SLACK, "U1")
    assert repo.code(SLACK, "U1") is None
    assert repo.count_attempt(SLACK, "U1") == 0


def test_a_token_is_used_by_exactly_one_of_many_racing_callers(repo: SqlChannelRepository) -> None:
    token = LinkToken(LinkTokenId("lnk_x"), "email_confirm", "{}", "2026-12-02T00:00:00Z", None)
    repo.save_token(token)
    assert repo.token(LinkTokenId("lnk_x")) == token
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        barrier.wait()
        wins.append(repo.use_token(LinkTokenId("lnk_x"), "2026-12-01T00:00:00Z"))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    used = repo.token(LinkTokenId("lnk_x"))
    assert used is not None and used.used_at == "2026-12-01T00:00:00Z"
    assert repo.token(LinkTokenId("lnk_missing")) is None


def test_the_first_stored_secret_wins(repo: SqlChannelRepository) -> None:
    first = repo.secret("link_secret", "a" * 64)
    assert first == "a" * 64
    assert repo.secret("link_secret", "b" * 64) == "a" * 64
