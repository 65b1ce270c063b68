"""The one bootstrap: configuration in, a wired `Container` out.

Adapters (processor, model, knowledge base, store) are chosen here and nowhere else.
Entry points (CLI, web app, gym) call `build(settings)` or, for a throw-away world,
`build_for_world(...)`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from purser.config import Settings
from purser.errors import PurserError
from purser.policy.schema import Policy
from purser.processors.base import BillingProcessor
from purser.store.db import Database

if TYPE_CHECKING:
    from purser.actions.gateway import Gateway
    from purser.agent.runtime import Runtime
    from purser.audit.log import AuditLog
    from purser.knowledge import KnowledgeBase
    from purser.processors.sandbox import SandboxProcessor
    from purser.store.world_state import ChargeRow as ChargeRow
    from purser.store.world_state import EmailRow as EmailRow
    from purser.store.world_state import EventRow as EventRow
    from purser.store.world_state import RefundRow as RefundRow
    from purser.store.world_state import WorldState as WorldState
    from purser.store.world_state import read_events as read_events
    from purser.store.world_state import read_state as read_state
    from purser.store.world_state import utc as utc
    from purser.worlds.schema import World

# The sandbox world's state as the gym's judge reads it (`purser.gym.state` takes it from here, the
# one bootstrap, so the gym never imports the store). Loaded on first use: most entry points never
# judge a world, and the tables module costs tens of milliseconds of start-up.
_WORLD_STATE = frozenset(
    {"ChargeRow", "EmailRow", "EventRow", "RefundRow", "WorldState", "read_events", "read_state", "utc"}
)


def __getattr__(name: str) -> Any:
    """The world-state reader and its rows (`purser.store.world_state`), imported on first use."""
    if name in _WORLD_STATE:
        from purser.store import world_state

        return getattr(world_state, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Backoffice",
    "BootstrapError",
    "Container",
    "build",
    "build_backoffice",
    "build_for_world",
    "build_knowledge",
    "build_processor",
    "memory_database",
    "open_database",
    "wire",
]


class BootstrapError(PurserError, RuntimeError):
    """The configuration cannot be wired (e.g. Stripe selected without a key)."""

    code = "bootstrap_error"
    status = 503


@dataclass
class Container:
    """Everything an entry point needs, wired once."""

    settings: Settings
    """The configuration in force."""
    db: Database
    """The store (SQLite file by default, PostgreSQL by URL)."""
    processor: BillingProcessor
    """The billing processor (sandbox or Stripe)."""
    policy: Policy
    """The policy in force."""
    audit: AuditLog
    """The hash-chained audit log."""
    gateway: Gateway
    """The one door every action goes through."""
    knowledge: KnowledgeBase | None
    """The knowledge base (the packaged sample by default)."""
    runtime: Runtime
    """The conversation runtime."""

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()


def build_processor(settings: Settings, db: Database) -> BillingProcessor:
    """The processor the settings select."""
    if settings.processor == "stripe":
        if not settings.stripe_api_key:
            raise BootstrapError("PURSER_PROCESSOR=stripe needs STRIPE_API_KEY")
        from purser.processors.stripe import StripeProcessor

        return StripeProcessor.from_settings(settings, db=db)
    from purser.processors.sandbox import SandboxProcessor

    return SandboxProcessor(db)


def build_knowledge(settings: Settings, *, paths: list[Path] | None = None) -> KnowledgeBase:
    """The knowledge base: `settings.kb_path`, an index ingested next to the database, or the packaged sample.

    With `paths`, the documents at those paths instead (read in memory, nothing written): what
    `purser kb lint --path` checks before anything is ingested.
    """
    if paths is not None:
        from purser.knowledge.base import KnowledgeBase

        return KnowledgeBase.from_paths(paths)
    from purser.knowledge import open_knowledge_base

    return open_knowledge_base(settings)


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """The configured database, migrated to the newest schema.

    Raises `BootstrapError` naming the URL when it cannot be opened: a bad URL, a missing driver,
    an unreachable server or a failed migration are configuration problems the operator fixes,
    so no vendor exception (SQLAlchemy's, Alembic's, a driver's) leaves the bootstrap.
    """
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db = Database(settings.database_url)
        if migrate:
            db.migrate()
    except (SQLAlchemyError, CommandError, ImportError, OSError, ValueError) as exc:
        raise BootstrapError(f"cannot open the database {settings.database_url!r}: {exc}") from exc
    return db


@dataclass
class Backoffice:
    """The store, processor and audit log without the agent: what inspection and operations commands need.

    Parts are built on first use, so `purser audit verify` on a Stripe configuration never needs a
    Stripe key, and nothing loads a model or a knowledge base. Close it (or use it in `with`).
    """

    settings: Settings
    """The configuration in force."""
    db: Database
    """The configured store, migrated."""

    @cached_property
    def processor(self) -> BillingProcessor:
        """The processor the settings select (`BootstrapError` when it cannot be built)."""
        return build_processor(self.settings, self.db)

    @cached_property
    def audit(self) -> AuditLog:
        """The hash-chained audit log over the store."""
        from purser.audit.log import AuditLog

        return AuditLog(self.db)

    def sandbox(self) -> SandboxProcessor:
        """The embedded sandbox engine over the store; `BootstrapError` unless the sandbox is configured."""
        if self.settings.processor != "sandbox":
            raise BootstrapError(
                f"the configured processor is {self.settings.processor!r}, not the sandbox "
                "(set PURSER_PROCESSOR=sandbox)"
            )
        from purser.processors.sandbox import SandboxProcessor

        return SandboxProcessor(self.db)

    def gateway(self) -> Gateway:
        """The gateway over this store, processor and audit log, with the configured policy."""
        from purser.actions.gateway import Gateway

        return Gateway(self.db, self.processor, self.settings.policy, self.audit)

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()

    def __enter__(self) -> Backoffice:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def build_backoffice(settings: Settings, *, migrate: bool = True) -> Backoffice:
    """The configured store (migrated), with the processor and audit log on demand; no agent, no model."""
    return Backoffice(settings, open_database(settings, migrate=migrate))


def wire(
    settings: Settings,
    db: Database,
    processor: BillingProcessor,
    policy: Policy,
    *,
    knowledge: KnowledgeBase | None,
    model: Any | None = None,
) -> Container:
    """Wire gateway and runtime over an existing store and processor."""
    from purser.actions.gateway import Gateway
    from purser.agent.runtime import Runtime
    from purser.audit.log import AuditLog

    audit = AuditLog(db)
    gateway = Gateway(db, processor, policy, audit)
    runtime = Runtime.from_settings(
        settings, db=db, processor=processor, gateway=gateway, policy=policy, knowledge=knowledge, model=model
    )
    return Container(
        settings=settings,
        db=db,
        processor=processor,
        policy=policy,
        audit=audit,
        gateway=gateway,
        knowledge=knowledge,
        runtime=runtime,
    )


def build(settings: Settings, *, migrate: bool = True) -> Container:
    """The production wiring: migrate the database, choose the processor, model and knowledge base."""
    if settings.smtp_url:
        from purser.processors.sandbox import mailer

        mailer.configure(settings.smtp_url)
    db = open_database(settings, migrate=migrate)
    processor = build_processor(settings, db)
    container = wire(settings, db, processor, settings.policy, knowledge=build_knowledge(settings))
    # Settle actions a crash interrupted between reservation and execution (re-run with the same
    # idempotency key, or release the reservation), so no reservation blocks a cap forever.
    container.gateway.recover()
    return container


def build_for_world(
    world: World,
    now: datetime,
    *,
    policy_overrides: dict[str, Any] | None = None,
    settings: Settings | None = None,
    knowledge: KnowledgeBase | None = None,
    model: Any | None = None,
) -> Container:
    """A throw-away sandbox world in memory (gym trials, tests): fresh SQLite, the world loaded, clock at `now`."""
    from purser.processors.sandbox import SandboxProcessor
    from purser.worlds.loader import load_world

    settings = settings or Settings()
    db = memory_database()
    processor = SandboxProcessor(db)
    load_world(processor, world, now)
    policy = settings.policy.merged(policy_overrides, source="policy")
    return wire(settings, db, processor, policy, knowledge=knowledge, model=model)


_template: Database | None = None
_template_lock = threading.Lock()


def memory_database() -> Database:
    """A fresh in-memory SQLite database holding the whole schema, cheap to make many times in one process.

    The schema is created once per process in a template database and copied with SQLite's backup
    API. Every such database shares the template's dialect and compiled-statement cache, so a
    statement is compiled once per process rather than once per world (SQLAlchemy keys its cache
    by dialect instance; all of them are the same `sqlite://` configuration).
    """
    global _template
    with _template_lock:
        if _template is None:
            template = Database("sqlite://")
            template.create_all()
            _template = template
        template = _template
        db = Database("sqlite://")
        engine = db.engine
        engine.dialect = template.engine.dialect
        engine.pool._dialect = template.engine.dialect
        engine._compiled_cache = template.engine._compiled_cache
        source = template.engine.raw_connection()
        try:
            with engine.connect() as conn:
                target = conn.connection.dbapi_connection
                assert target is not None
                source.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            source.close()
    return db
