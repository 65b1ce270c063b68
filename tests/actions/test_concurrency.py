"""Caps hold under concurrency: 50 refund attempts against one customer's count limit and against the
account's daily budget, from threads and from processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tests.actions.conftest import customer, make_env, world

from purser.actions.gateway import Gateway, Scope
from purser.audit.log import AuditLog
from purser.domain import CustomerId
from purser.policy.schema import Policy
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database

ATTEMPTS = 50
COUNT_LIMIT = 3
BUDGET = "100.00"  # five refunds of 20.00
POLICY: dict[str, Any] = {
    "refunds": {
        "over_limit": "refuse",
        "per_customer_count": COUNT_LIMIT,
        "daily_budget": BUDGET,
        "max_amount": "50.00",
    }
}


def many_charges_world() -> dict[str, Any]:
    """One customer with 50 distinct charges in the window (no duplicates: distinct amounts, hours apart)."""
    cust = customer("zed")
    cust["charges"] += [
        {"id": f"ch_zed_x{i:02d}", "amount": f"1.{i:02d}", "created": f"2026-11-{1 + i // 10:02d}T{i % 10 + 10}:00:00Z"}
        for i in range(ATTEMPTS)
    ]
    return world(cust)


def many_customers_world() -> dict[str, Any]:
    """50 customers, each with a 20.00 charge on November 1st."""
    return world(*(customer(f"c{i:02d}") for i in range(ATTEMPTS)))


def attempt(gateway: Gateway, customer_id: str, conversation: str, charge: str) -> str:
    """Propose and confirm one full refund; the final status."""
    scope = Scope(conversation, CustomerId(customer_id), "web", "offline")
    prop = gateway.propose(scope, "refund", {"charge_id": charge, "amount": None, "reason": None})
    if prop.status != "needs_confirmation":
        return prop.status + ":" + str(prop.reason)
    out = gateway.confirm(scope, prop.action_id, "yes")
    return out.status + ":" + str(out.reason)


def count_jobs() -> list[tuple[str, str, str]]:
    return [("zed", f"conv_{i}", f"ch_zed_x{i:02d}") for i in range(ATTEMPTS)]


def budget_jobs() -> list[tuple[str, str, str]]:
    return [(f"c{i:02d}", f"conv_{i}", f"ch_c{i:02d}_11") for i in range(ATTEMPTS)]


def _worker(args: tuple[str, list[tuple[str, str, str]]]) -> list[str]:
    url, jobs = args
    db = Database(url)
    gateway = Gateway(db, SandboxProcessor(db), Policy().merged(POLICY), AuditLog(db))
    try:
        return [attempt(gateway, *job) for job in jobs]
    finally:
        db.dispose()


def _refunds(db: Database, processor: SandboxProcessor, customers: list[str]) -> list[int]:
    return [r.amount.minor for c in customers for r in processor.snapshot(CustomerId(c)).refunds]


def _run_threads(url: str, data: dict[str, Any], jobs: list[tuple[str, str, str]]) -> tuple[list[str], Any]:
    env = make_env(data, url=url, policy=POLICY)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda job: attempt(env.gateway, *job), jobs))
    return statuses, env


def _run_processes(url: str, data: dict[str, Any], jobs: list[tuple[str, str, str]]) -> tuple[list[str], Any]:
    env = make_env(data, url=url, policy=POLICY)
    chunks = [jobs[i::5] for i in range(5)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(5) as pool:
        parts = pool.map_async(_worker, [(url, chunk) for chunk in chunks]).get(timeout=400)
        statuses = [s for part in parts for s in part]
    return statuses, env


def _check_count(statuses: list[str], env: Any) -> None:
    try:
        _assert_count(statuses, env)
    finally:
        env.db.dispose()


def _check_budget(statuses: list[str], env: Any) -> None:
    try:
        _assert_budget(statuses, env)
    finally:
        env.db.dispose()


def _assert_count(statuses: list[str], env: Any) -> None:
    assert statuses.count("succeeded:None") == COUNT_LIMIT, statuses
    assert all(s == "succeeded:None" or s.endswith(":count") for s in statuses), statuses
    assert len(_refunds(env.db, env.processor, ["zed"])) == COUNT_LIMIT
    assert env.audit.verify().ok


def _assert_budget(statuses: list[str], env: Any) -> None:
    assert statuses.count("succeeded:None") == 5, statuses
    assert all(s == "succeeded:None" or s.endswith(":daily_budget") for s in statuses), statuses
    assert sum(_refunds(env.db, env.processor, [f"c{i:02d}" for i in range(ATTEMPTS)])) == 10000
    assert env.audit.verify().ok


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gw.db'}"


def test_sqlite_threads_count_limit(sqlite_url: str) -> None:
    _check_count(*_run_threads(sqlite_url, many_charges_world(), count_jobs()))


def test_sqlite_threads_daily_budget(sqlite_url: str) -> None:
    _check_budget(*_run_threads(sqlite_url, many_customers_world(), budget_jobs()))


def test_sqlite_processes_count_limit(sqlite_url: str, spawn_path: None) -> None:
    _check_count(*_run_processes(sqlite_url, many_charges_world(), count_jobs()))


def test_sqlite_processes_daily_budget(sqlite_url: str, spawn_path: None) -> None:
    _check_budget(*_run_processes(sqlite_url, many_customers_world(), budget_jobs()))


@pytest.fixture()
def pg(pg_url: str) -> str:
    db = Database(pg_url)
    db.drop_all()
    db.dispose()
    return pg_url


@pytest.mark.postgres
def test_postgres_threads_count_limit(pg: str) -> None:
    _check_count(*_run_threads(pg, many_charges_world(), count_jobs()))


@pytest.mark.postgres
def test_postgres_threads_daily_budget(pg: str) -> None:
    _check_budget(*_run_threads(pg, many_customers_world(), budget_jobs()))


@pytest.mark.postgres
def test_postgres_processes_count_limit(pg: str, spawn_path: None) -> None:
    _check_count(*_run_processes(pg, many_charges_world(), count_jobs()))


@pytest.mark.postgres
def test_postgres_processes_daily_budget(pg: str, spawn_path: None) -> None:
    _check_budget(*_run_processes(pg, many_customers_world(), budget_jobs()))
