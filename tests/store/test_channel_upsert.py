"""The channel repository's replace-or-insert writes (links, threads, codes) are one upsert statement:
writers racing on one key on SQLite and PostgreSQL all succeed, and one row with one writer's values stays."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from purser.ports.channels import ChannelLink, ChannelName, ChannelThread, VerificationCode
from purser.store.channel_tables import ch_codes, ch_links, ch_threads
from purser.store.channels import SqlChannelRepository
from purser.store.db import Database

SLACK = ChannelName("slack")
RACERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlChannelRepository]:
    url = f"sqlite:///{tmp_path / 'ch.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    db.migrate()
    yield SqlChannelRepository(db)
    db.dispose()


def _race(write: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(RACERS)

    def run(n: int) -> None:
        barrier.wait()
        try:
            write(n)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _rows(repo: SqlChannelRepository, table: Table) -> int:
    with repo.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_racing_links_of_one_user_leave_one_link(repo: SqlChannelRepository) -> None:
    def link(n: int) -> None:
        repo.link(ChannelLink(SLACK, "U1", f"cus_{n}", "self", f"2026-12-01T00:00:0{n}Z"))

    assert _race(link) == []
    assert _rows(repo, ch_links) == 1
    (only,) = repo.links_of(str(repo.linked_customer(SLACK, "U1")))
    assert only.created_at == f"2026-12-01T00:00:0{only.customer_id.removeprefix('cus_')}Z"  # one writer's row whole


def test_racing_codes_of_one_user_leave_one_code(repo: SqlChannelRepository) -> None:
    def save(n: int) -> None:
        repo.save_code(VerificationCode(SLACK, "U1", "cus_ana", f"{n}" * 64, "2026-12-01T00:15:00Z", n))

    assert _race(save) == []
    assert _rows(repo, ch_codes) == 1
    code = repo.code(SLACK, "U1")
    assert code is not None and code.code_hash == f"{code.attempts}" * 64


def test_racing_saves_of_one_thread_leave_one_thread(repo: SqlChannelRepository) -> None:
    def save(n: int) -> None:
        updated = f"2026-12-01T00:00:0{n}Z"
        thread = ChannelThread(SLACK, "T1", "conv_1", "cus_ana", "U1", f'{{"n":{n}}}', updated, updated)
        repo.save_thread(thread)

    assert _race(save) == []
    assert _rows(repo, ch_threads) == 1
    thread = repo.thread(SLACK, "T1")
    assert thread is not None and thread.address == f'{{"n":{thread.updated_at[-2]}}}'
