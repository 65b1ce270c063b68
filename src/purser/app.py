"""The one bootstrap: configuration in, a wired `Container` out.

Adapters (processor, model, knowledge base, store) are chosen here and nowhere else.
Entry points (CLI, web app, gym) call `build(settings)` or, for a throw-away world,
`build_for_world(...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from purser.config import Settings
from purser.errors import PurserError
from purser.policy.schema import Policy
from purser.processors.base import BillingProcessor
from purser.store.db import Database

if TYPE_CHECKING:
    from purser.actions.approvals import ApprovalRules
    from purser.actions.gateway import Gateway
    from purser.agent.runtime import Runtime
    from purser.audit.log import AuditLog
    from purser.channels.identity import ChannelIdentity
    from purser.channels.links import SignedLinks
    from purser.channels.service import ChannelService
    from purser.jobs import HueyJobQueue
    from purser.knowledge import KnowledgeBase
    from purser.mail import OutboxService
    from purser.people import PeopleService
    from purser.people.oidc import OidcSignIn
    from purser.people.sessions import Sessions
    from purser.ports.channels import ChannelRepository
    from purser.ports.inbox import InboxRepository
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
    "build_approval_rules",
    "build_audit",
    "build_backoffice",
    "build_channel_repository",
    "build_channels",
    "build_for_world",
    "build_identity",
    "build_inbox",
    "build_jobs",
    "build_knowledge",
    "build_links",
    "build_people",
    "build_processor",
    "build_sessions",
    "build_sso",
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
    channels: ChannelService | None = None
    """Slack, WhatsApp, Discord and email (DESIGN §9); None when no `channels:` section is configured."""
    jobs: HueyJobQueue | None = None
    """The job queue (DESIGN §10; docs/JOBS.md); None only in containers wired by hand."""
    outbox: OutboxService | None = None
    """Every email Purser sends (delivered by `email.deliver` jobs over SMTP); None only when wired by hand."""
    people: PeopleService | None = None
    """Accounts and API tokens (DESIGN §11); None only in containers wired by hand."""
    sessions: Sessions | None = None
    """Dashboard sessions with CSRF tokens; None only in containers wired by hand."""
    sso: OidcSignIn | None = None
    """OIDC single sign-on; None unless `oidc:` names an issuer."""

    def warm(self) -> None:
        """Load now what the first conversation would otherwise wait for: each configured model's
        tables and weights (the offline model's classifier). Entry points that serve call it before
        they listen, then `purser.heap.settle`."""
        self.runtime.models.warm()

    def close(self) -> None:
        """Stop channel deliveries and release database connections."""
        if self.channels is not None:
            self.channels.close()
        self.db.dispose()


def build_processor(settings: Settings, db: Database, *, outbox: OutboxService | None = None) -> BillingProcessor:
    """The processor the settings select; its emails go through `outbox` when given."""
    if settings.processor == "stripe":
        if not settings.stripe_api_key:
            raise BootstrapError("PURSER_PROCESSOR=stripe needs STRIPE_API_KEY")
        from purser.processors.stripe import StripeProcessor

        return StripeProcessor.from_settings(settings, db=db, outbox=outbox)
    from purser.processors.sandbox import SandboxProcessor

    return SandboxProcessor(db, outbox=outbox)


def build_jobs(settings: Settings, db: Database, *, memory: bool = False) -> tuple[HueyJobQueue, OutboxService]:
    """The job queue (Huey on Redis, a SQLite file, or memory: `purser.jobs.backend`) over `db`, and the
    outbox whose `email.deliver` jobs it runs. `BootstrapError` names a bad queue or SMTP setting."""
    from huey import MemoryHuey

    from purser.jobs import HueyJobQueue, QueueConfigError, make_huey
    from purser.mail import OutboxService
    from purser.store.jobs import JobStore
    from purser.store.outbox import OutboxStore

    config = settings.jobs
    try:
        huey = MemoryHuey(config.name, results=False) if memory else make_huey(settings)
        # A job overdue by one sweep interval (and not handed over since) is taken as lost and re-pushed.
        queue = HueyJobQueue(
            JobStore(db), huey, lease_seconds=config.lease_seconds, sweep_grace_seconds=config.sweep_seconds
        )
        email = settings.channels.email
        smtp_url = settings.smtp_url or (email.smtp_url if email else None)
        sender = email.from_address if email else None
        outbox = OutboxService(OutboxStore(db), queue, smtp_url=smtp_url, sender=sender, retries=config.email_retries)
    except (QueueConfigError, ValueError) as exc:
        raise BootstrapError(f"cannot set up the job queue: {exc}") from exc
    if not memory:
        from purser.audit.checkpoint_job import register_checkpoints

        register_checkpoints(
            queue,
            build_audit(settings, db),
            every_records=settings.audit_checkpoint_records,
            every_minutes=settings.audit_checkpoint_minutes,
        )
    return queue, outbox


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

    from purser.audit.keys import load_audit_keys
    from purser.config import redact_text, redact_url

    url = settings.database_url
    try:
        keys = load_audit_keys(settings)
    except (OSError, ValueError) as exc:
        raise BootstrapError(f"cannot set up the audit key: {redact_text(str(exc), url)}") from None
    db: Database | None = None
    try:
        db = Database(url, audit_keys=keys)
        if migrate:
            db.migrate()
    except (SQLAlchemyError, CommandError, ImportError, OSError, ValueError) as exc:
        if db is not None:  # a failed migration: its connections are not left to the garbage collector
            db.dispose()
        # The URL may carry a password: it is redacted here, and the driver's exception (whose text or
        # traceback may repeat it) is not chained.
        raise BootstrapError(f"cannot open the database {redact_url(url)!r}: {redact_text(str(exc), url)}") from None
    return db


def build_audit(settings: Settings, db: Database) -> AuditLog:
    """The audit log over `db` (sealed with the keys its handle carries), checkpointed to the anchor file;
    a chain older than a development key generated just now is adopted by a checkpoint (`AuditLog.adopt`)."""
    from purser.audit.anchor import AnchorFile
    from purser.audit.keys import anchor_path
    from purser.audit.log import AuditLog

    path = anchor_path(settings)
    log = AuditLog(db, anchor=AnchorFile(path, db.audit_keys) if path is not None else None)
    if db.audit_keys.generated_now:
        # The development key was generated just now: a first checkpoint vouches for the records
        # sealed unkeyed before it (an operator does this explicitly for a configured key).
        try:
            log.adopt()
        except OSError as exc:
            raise BootstrapError(f"cannot write the audit anchor file {path}: {exc.strerror or exc}") from None
    return log


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
        return build_processor(self.settings, self.db, outbox=self.outbox)

    @cached_property
    def _jobs_and_outbox(self) -> tuple[HueyJobQueue, OutboxService]:
        return build_jobs(self.settings, self.db)

    @property
    def jobs(self) -> HueyJobQueue:
        """The job queue (`purser worker`, `sandbox advance`)."""
        return self._jobs_and_outbox[0]

    @property
    def outbox(self) -> OutboxService:
        """The email outbox."""
        return self._jobs_and_outbox[1]

    @cached_property
    def audit(self) -> AuditLog:
        """The hash-chained audit log over the store, with its anchor file."""
        return build_audit(self.settings, self.db)

    def sandbox(self) -> SandboxProcessor:
        """The embedded sandbox engine over the store; `BootstrapError` unless the sandbox is configured."""
        if self.settings.processor != "sandbox":
            raise BootstrapError(
                f"the configured processor is {self.settings.processor!r}, not the sandbox "
                "(set PURSER_PROCESSOR=sandbox)"
            )
        from purser.processors.sandbox import SandboxProcessor

        return SandboxProcessor(self.db, outbox=self.outbox)

    def gateway(self) -> Gateway:
        """The gateway over this store, processor and audit log, with the configured policy."""
        from purser.actions.gateway import Gateway

        gateway = Gateway(self.db, self.processor, self.settings.policy, self.audit)
        gateway.approval_rules = build_approval_rules(gateway, self.people)
        return gateway

    @cached_property
    def people(self) -> PeopleService:
        """Accounts and their credentials (`purser admin ...`)."""
        return build_people(self.settings, self.db)

    @cached_property
    def identity(self) -> ChannelIdentity:
        """Channel links (`purser channel link`) over the store and the processor's customers."""
        return build_identity(self.settings, self.db, self.processor, outbox=getattr(self, "outbox", None))

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
    jobs: HueyJobQueue | None = None,
    outbox: OutboxService | None = None,
) -> Container:
    """Wire gateway and runtime over an existing store and processor (and its job queue and outbox)."""
    from purser.actions.gateway import Gateway
    from purser.agent.runtime import Runtime

    audit = build_audit(settings, db)
    gateway = Gateway(db, processor, policy, audit)
    people = build_people(settings, db, policy=policy)
    gateway.approval_rules = build_approval_rules(gateway, people)
    runtime = Runtime.from_settings(
        settings, db=db, processor=processor, gateway=gateway, policy=policy, knowledge=knowledge, model=model
    )
    container = Container(
        settings=settings,
        db=db,
        processor=processor,
        policy=policy,
        audit=audit,
        gateway=gateway,
        knowledge=knowledge,
        runtime=runtime,
        jobs=jobs,
        outbox=outbox,
        people=people,
        sessions=build_sessions(people),
        sso=build_sso(settings, people),
    )
    container.channels = build_channels(container)
    return container


def build_people(settings: Settings, db: Database, *, policy: Policy | None = None) -> PeopleService:
    """Accounts over the store (DESIGN §11); limits in the policy currency; `settings.admin_token` is the
    bootstrap administrator (the web app may pass the token it generated instead)."""
    from purser.people import PeopleService
    from purser.store.people import SqlPeopleRepository

    currency = (policy or settings.policy).currency
    return PeopleService(SqlPeopleRepository(db), currency=currency, admin_token=settings.admin_token)


def build_sessions(people: PeopleService) -> Sessions:
    """Dashboard sessions (8 hours) over the people's store."""
    from purser.people.sessions import Sessions

    return Sessions(people.repo, people)


def build_sso(settings: Settings, people: PeopleService) -> OidcSignIn | None:
    """OIDC sign-in against `settings.oidc.issuer` (None when no issuer is configured); the issuer redirects
    back to `PURSER_PUBLIC_URL/api/session/sso/callback`."""
    if settings.oidc is None:
        return None
    from purser.people.oidc import OidcSignIn

    callback = settings.public_url.rstrip("/") + "/api/session/sso/callback"
    oidc = settings.oidc
    return OidcSignIn(
        people,
        issuer=oidc.issuer,
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        redirect_uri=callback,
    )


def build_approval_rules(gateway: Gateway, people: PeopleService) -> ApprovalRules:
    """Approver limits and two-person approval for `gateway`, with signatures kept beside its records."""
    from purser.actions.approvals import ApprovalRules
    from purser.store.people import SqlApprovalSignatures

    if gateway.db is None:
        raise BootstrapError("approval rules need the gateway's database")
    return ApprovalRules(
        gateway.policy, SqlApprovalSignatures(gateway.db), people.approver, audit=gateway.audit, uow=gateway.uow
    )


def build_links(settings: Settings, db: Database) -> SignedLinks:
    """Signed single-use links under `settings.public_url` (email confirmations, payment pages)."""
    from purser.channels.links import SignedLinks
    from purser.store.channels import SqlChannelRepository

    return SignedLinks(SqlChannelRepository(db), public_url=settings.public_url, secret=settings.link_secret)


def build_identity(
    settings: Settings, db: Database, processor: BillingProcessor, *, outbox: Any = None
) -> ChannelIdentity:
    """Channel links and the self-service code flow over the store and the processor's customers."""
    from purser.channels.identity import ChannelIdentity
    from purser.domain import CustomerId
    from purser.processors import ProcessorError
    from purser.store.channels import SqlChannelRepository

    def customer_name(customer_id: str) -> str | None:
        try:
            return processor.snapshot(CustomerId(customer_id)).customer.name
        except ProcessorError:
            return None

    def find_customers(email: str) -> list[tuple[str, str]]:
        wanted = email.strip().lower()
        # The processor port lists customers; a dedicated lookup by email is left to the processors.
        return [(str(c.id), c.name) for c in processor.list_customers(limit=100_000) if c.email.lower() == wanted]

    return ChannelIdentity(
        SqlChannelRepository(db),
        customer_name=customer_name,
        find_customers=find_customers,
        send_email=_email_sender(outbox),
    )


def _email_sender(outbox: Any) -> Callable[[str, str, str], None] | None:
    """(to, subject, text) through the outbox (self-service linking codes); None without an outbox."""
    if outbox is None:
        return None
    import secrets

    from purser.ports.outbox import OutgoingEmail

    def send(to: str, subject: str, text: str) -> None:
        email = OutgoingEmail(to=to, subject=subject, text=text, kind="verification_code")
        outbox.send(email, key=f"verification_code:{secrets.token_hex(8)}")

    return send


def build_channels(container: Container) -> ChannelService | None:
    """The channel service with an adapter per configured platform (None when none is configured)."""
    settings = container.settings
    configured = settings.channels
    if not any((configured.slack, configured.whatsapp, configured.discord, configured.email)):
        return None
    import importlib

    from purser.channels.base import Channel, TeamDesk
    from purser.channels.service import ChannelService
    from purser.ports.channels import ChannelName
    from purser.store.channels import SqlChannelRepository

    links = build_links(settings, container.db)
    adapters: dict[ChannelName, Channel] = {}
    for name in ("slack", "whatsapp", "discord", "email"):
        if getattr(configured, name) is not None:
            module = importlib.import_module(f"purser.channels.{name}")
            # Email replies go through the outbox (stored, then delivered over SMTP by a job).
            extra = {"outbox": container.outbox} if name == "email" else {}
            adapters[ChannelName(name)] = module.build(settings, links=links, **extra)
    team: TeamDesk | None = None
    slack = configured.slack
    if slack is not None and (slack.approvals_channel or slack.team_channel):
        team = cast("TeamDesk", adapters[ChannelName("slack")])
    approvers = frozenset(slack.approvers) if slack is not None else frozenset()
    people = container.people

    def approver(channel: ChannelName, user: str) -> str | None:
        # A person (approver or admin) linked to the Slack user decides as themselves; the configured
        # `channels.slack.approvers` list stays a fallback for teams without accounts (docs/PEOPLE.md).
        if channel != "slack":
            return None
        person = people.slack_approver(user) if people is not None else None
        if person is not None:
            return person.name
        return f"slack:{user}" if user in approvers else None

    return ChannelService(
        runtime=container.runtime,
        gateway=container.gateway,
        repo=SqlChannelRepository(container.db),
        identity=build_identity(settings, container.db, container.processor, outbox=getattr(container, "outbox", None)),
        adapters=adapters,
        knowledge=container.knowledge,
        team=team,
        approvers=approver,
    )


def build(settings: Settings, *, migrate: bool = True) -> Container:
    """The production wiring: migrate the database, choose the processor, model and knowledge base."""
    db = open_database(settings, migrate=migrate)
    jobs, outbox = build_jobs(settings, db)
    processor = build_processor(settings, db, outbox=outbox)
    knowledge = build_knowledge(settings)
    container = wire(settings, db, processor, settings.policy, knowledge=knowledge, jobs=jobs, outbox=outbox)
    # Dunning (DESIGN §10): its jobs, the first periodic tick (one per slot, whoever seeds it), and the
    # Stripe events it needs handed over once the webhook job has recorded them.
    from purser.dunning.jobs import enqueue_event, register_dunning_jobs, schedule_tick

    dunning = build_dunning(settings, db, processor, policy=settings.policy, notifier=container.channels)
    register_dunning_jobs(jobs, dunning)
    schedule_tick(jobs)
    # The audit chain's checkpoints (DESIGN §11): the first tick of the job every N records or M minutes.
    from purser.audit.checkpoint_job import schedule_checkpoint

    schedule_checkpoint(jobs)
    if settings.stripe_webhook_secret:
        from purser.jobs.stripe_events import register_stripe_events

        register_stripe_events(
            jobs, db, settings.stripe_webhook_secret, container.audit, then=lambda event: enqueue_event(jobs, event)
        )
    # Settle actions a crash interrupted between reservation and execution (re-run with the same
    # idempotency key, or release the reservation), so no reservation blocks a cap forever: at start,
    # then every RECOVER_EVERY as a job; each customer hears the outcome in their conversation.
    from purser.agent.recovery import recover_and_tell, register_recovery, schedule_recovery

    every = timedelta(seconds=settings.recovery_every_seconds)
    stale = timedelta(seconds=settings.recovery_stale_seconds)
    register_recovery(jobs, container.gateway, container.runtime, every=every, stale_after=stale)
    schedule_recovery(jobs, every=every)
    recover_and_tell(container.gateway, container.runtime, stale_after=stale)
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
    jobs, outbox = build_jobs(settings, db, memory=True)
    processor = SandboxProcessor(db, outbox=outbox)
    load_world(processor, world, now)
    policy = settings.policy.merged(policy_overrides, source="policy")
    return wire(settings, db, processor, policy, knowledge=knowledge, model=model, jobs=jobs, outbox=outbox)


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


if TYPE_CHECKING:
    from purser.dunning.service import Dunning


def build_dunning(
    settings: Settings,
    db: Database,
    processor: BillingProcessor,
    *,
    policy: Policy | None = None,
    notifier: Any = None,
) -> Dunning:
    """Dunning over the store and the processor (DESIGN §10): cases in the `dn_*` tables, `/pay` links
    signed under `settings.public_url` and expiring on the processor's clock, audited; outreach on the
    customer's linked channel through `notifier` (a `CustomerNotifier`), else email."""
    from purser.audit.log import AuditLog
    from purser.channels.links import SignedLinks
    from purser.dunning.service import Dunning
    from purser.store.channels import SqlChannelRepository
    from purser.store.dunning import SqlDunningRepository

    links = SignedLinks(
        SqlChannelRepository(db), public_url=settings.public_url, secret=settings.link_secret, clock=processor.now
    )
    return Dunning(
        processor=processor,
        repo=SqlDunningRepository(db),
        policy=(policy or settings.policy).dunning,
        links=links,
        audit=AuditLog(db),
        notifier=notifier,
    )


def build_dunning_stats(db: Database) -> dict[str, object]:
    """The dashboard's dunning figures over the store (`GET /api/admin/dunning`)."""
    from purser.dunning.stats import dunning_stats
    from purser.store.dunning import SqlDunningRepository

    return dunning_stats(SqlDunningRepository(db).cases()).to_json()


def build_inbox(db: Database) -> InboxRepository:
    """The team inbox over the store: assignments and private notes, each change audited."""
    from purser.store.inbox import SqlInboxRepository

    return SqlInboxRepository(db)


def build_channel_repository(db: Database) -> ChannelRepository:
    """The channel links and threads over the store (the dashboard's customer panel lists the links)."""
    from purser.store.channels import SqlChannelRepository

    return SqlChannelRepository(db)
