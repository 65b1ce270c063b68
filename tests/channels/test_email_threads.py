"""The Message-ID → thread root map on SQLite and PostgreSQL: found through any earlier message,
only for the same sender, kept apart from real threads (a customer's thread list never sees it).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from purser.channels._email_threads import ThreadMap
from purser.channels.service import canonical
from purser.ports.channels import ChannelName, ChannelThread
from purser.store.channels import SqlChannelRepository
from purser.store.db import Database

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LONG_ID = "<" + "x" * 240 + "@client.example>"


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: object) -> SqlChannelRepository:
    sqlite = f"sqlite:///{tmp_path}/threads.db"
    db = Database(sqlite if request.param == "sqlite" else request.getfixturevalue("pg_url"))
    db.create_all()
    request.addfinalizer(db.dispose)
    return SqlChannelRepository(db)


def test_any_known_message_leads_to_the_root_for_the_same_sender_only(repo: SqlChannelRepository) -> None:
    threads = ThreadMap(repo, clock=lambda: NOW)
    root = "<root@client.example>"
    threads.remember(root, root, "maya@example.com")
    threads.remember("<ob_1@purser.local>", root, "maya@example.com")
    threads.remember(LONG_ID, root, "maya@example.com")

    assert threads.root_of("maya@example.com", "<new@c>", ["<ob_1@purser.local>"]) == root
    assert threads.root_of("maya@example.com", "<new@c>", ["<unknown@x>", LONG_ID]) == root
    # Someone else naming Maya's messages starts a thread of their own.
    assert threads.root_of("mallory@evil.test", "<m@evil>", ["<ob_1@purser.local>", root]) == "<m@evil>"
    assert threads.root_of("maya@example.com", "<alone@c>", []) == "<alone@c>"


def test_a_bound_thread_is_found_by_its_root_and_the_map_never_shows_up_as_a_customers_thread(
    repo: SqlChannelRepository,
) -> None:
    threads = ThreadMap(repo, clock=lambda: NOW)
    email = ChannelName("email")
    root = "<root@client.example>"
    repo.save_thread(
        ChannelThread(email, root, "conv_1", "cus_maya", "maya@example.com", canonical({"to": "x"}), None, "t")
    )
    threads.remember("<ob_2@purser.local>", root, "maya@example.com")
    threads.remember("<ob_2@purser.local>", root, "maya@example.com")  # remembering twice is harmless
    assert threads.root_of("maya@example.com", "<n@c>", [root]) == root
    latest = repo.latest_thread("cus_maya")
    assert latest is not None and latest.channel == "email"
    thread = repo.thread_of("conv_1")
    assert thread is not None and thread.thread_key == root
