"""`purser serve`: the web app (chat API, widget, demo page, admin dashboard) on uvicorn.

At start-up it runs the knowledge-base lint (with `--strict`, write actions stay
off while the documents contradict the policy), logs the identity mode and, when
no `PURSER_ADMIN_TOKEN` is configured, generates one for this process and shows it once on the
terminal — never in a log, which outlives the process and is read by more people. Without a
terminal no token is generated: people sign in with their own accounts (`purser admin create-user`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

import typer

from purser.cli._common import CONFIG_OPTION, fail, settings_or_exit

if TYPE_CHECKING:
    from purser.app import Container
    from purser.config import Settings
    from purser.web.app import WebOptions

log = logging.getLogger("purser.serve")


def kb_lint(container: Container) -> tuple[list[str], bool]:
    """Run the knowledge-base lint: (one line per finding, True when a contradiction blocks writes)."""
    if container.knowledge is None:
        return [], False
    from purser.knowledge.lint import kb_contradictions_block_writes, lint

    findings = lint(container.policy, container.knowledge, max_age_days=container.settings.kb_max_age_days)
    return [f"{f.severity}: {f.message}" for f in findings], kb_contradictions_block_writes(findings)


def writes_off(settings: Settings, container: Container) -> Settings:
    """The settings with every write action of the catalog switched off (reads and handoff stay on)."""
    switches = container.policy.actions.model_dump()
    kinds = {spec.name: spec.kind for spec in container.gateway.tools()}
    off = {name: "off" for name in switches if kinds.get(name, "write") not in ("read", "control")}
    return settings.model_copy(update={"policy": container.policy.merged({"actions": off}, source="--strict")})


def prepare(settings: Settings, *, strict: bool) -> tuple[Container, WebOptions]:
    """Build the container, lint the knowledge base, decide the admin token; log what matters."""
    from purser.app import build
    from purser.web.app import WebOptions
    from purser.web.security import Identity

    container = build(settings)
    problems, blocking = kb_lint(container)
    for line in problems:
        log.warning("knowledge base: %s", line)
    writes = True
    if blocking and (strict or settings.strict_kb):
        log.error("strict mode: the knowledge base contradicts the policy, so write actions are OFF until it is fixed")
        container.close()
        container = build(writes_off(settings, container), migrate=False)
        writes = False
    elif problems:
        log.warning("knowledge-base lint: %d finding(s); `purser kb lint` shows them", len(problems))
    else:
        log.info("knowledge-base lint: clean")
    log.warning("%s", Identity(settings.identity_secret).describe())
    token = settings.admin_token or generated_admin_token()
    return container, WebOptions(writes_enabled=writes, admin_token=token, kb_lint=problems)


def generated_admin_token() -> str | None:
    """A token for this process, written once straight to the terminal (stderr), or None without one."""
    import sys

    if not sys.stderr.isatty():
        log.warning(
            "no PURSER_ADMIN_TOKEN configured and no terminal to show a generated one: the admin API takes "
            "people's tokens and sign-ins only (`purser admin create-user`)"
        )
        return None
    token = secrets.token_urlsafe(24)
    sys.stderr.write(f"\nno PURSER_ADMIN_TOKEN configured; admin token for this process (shown once): {token}\n\n")
    sys.stderr.flush()
    return token


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


_HTTP = ("auto", "h11", "httptools")
_LOOPS = ("auto", "asyncio", "uvloop")


_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 128 * 1024
"""glibc's own starting threshold: blocks this large or larger are mapped on their own and unmapped on free."""


def limit_malloc_arenas(arenas: int = 2) -> frozenset[str]:
    """Cap glibc's malloc arenas and pin its mapping threshold for this process (before its threads start).

    Returns the settings this call made: `arena_max`, `mmap_threshold` (none where the C library is not
    glibc, or where the environment already says: `MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_` win).

    Why: each thread that allocates gets an arena of its own by default (up to 8 per core), and the
    server's threads (the event loop's executor, the job workers) each fragment theirs, so RSS kept
    climbing over thousands of conversations while the Python heap stayed level. And glibc raises its
    mapping threshold to the size of any mapped block that is freed (up to 32 MiB), after which blocks
    of that size come from the heap, whose free space it keeps: once, thousands of conversations in,
    that moved ~3 MiB into the heap for good (a step in RSS, not live data). A fixed threshold (glibc's
    starting value) keeps large blocks mapped and returns them on free.
    """
    if not sys.platform.startswith("linux"):
        return frozenset()
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to set
        return frozenset()
    wanted = (
        ("arena_max", "MALLOC_ARENA_MAX", _M_ARENA_MAX, arenas),
        ("mmap_threshold", "MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES),
    )
    return frozenset(name for name, env, option, value in wanted if not os.environ.get(env) and mallopt(option, value))


def _run_server(web: Any, options: dict[str, Any]) -> None:
    """What `uvicorn.run` does for one process, with `QuietServer` (an idle tick a second, not ten)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from purser.web.server import QuietServer

    server = QuietServer(uvicorn.Config(web, **options))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def register(app: typer.Typer) -> None:
    """Add `serve` to the `purser` command."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
        config: str | None = CONFIG_OPTION,
        strict: bool = typer.Option(False, "--strict", help="Keep write actions off while the KB lint fails."),
        access_log: bool = typer.Option(
            False, "--access-log/--no-access-log", help="Log one line per request (off: it costs CPU per turn)."
        ),
        http: str = typer.Option(
            "auto", "--http", help="HTTP parser: auto (httptools when installed), h11 or httptools."
        ),
        loop: str = typer.Option("auto", "--loop", help="Event loop: auto (uvloop when installed), asyncio or uvloop."),
        worker: bool = typer.Option(
            True, "--worker/--no-worker", help="Run jobs in this process (off: `purser worker` processes run them)."
        ),
    ) -> None:
        """Serve the chat API, the widget, the demo page (/) and the admin dashboard (/admin)."""
        limit_malloc_arenas()
        from purser.errors import PurserError
        from purser.heap import settle
        from purser.web.app import create_app

        logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
        for noisy in ("alembic", "bm25s", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        if http not in _HTTP or loop not in _LOOPS:
            fail(f"--http must be one of {', '.join(_HTTP)} and --loop one of {', '.join(_LOOPS)}")
        settings = settings_or_exit(config)
        try:
            container, options = prepare(settings, strict=strict)
        except PurserError as exc:  # a bad configuration, database or processor: named, no traceback
            fail(str(exc))
        web = create_app(container, options)
        started = time.process_time()
        container.warm()  # the first customer should not wait for the model's tables
        settled = settle()  # start-up's objects out of the collector's full passes (purser.heap)
        log.info(
            "warm-up: %.2f s of CPU; %d start-up objects frozen for the garbage collector",
            time.process_time() - started,
            settled.frozen,
        )
        log.info("Purser on http://%s:%d  (demo /, admin /admin, API docs /api/docs)", host, port)
        kwargs: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_level": "info",
            "proxy_headers": True,
            "access_log": access_log,
            "http": http,
            "loop": loop,
        }
        jobs = None
        if worker and container.jobs is not None:
            from purser.jobs import EmbeddedWorker, describe

            jobs = EmbeddedWorker(
                container.jobs, workers=settings.jobs.workers, sweep_seconds=settings.jobs.sweep_seconds
            )
            jobs.start()
            log.info("jobs: run in this process (queue on %s; --no-worker: not here)", describe(settings))
        else:
            log.info("jobs: not run here (--no-worker); start `purser worker` processes")
        # uvicorn handles SIGTERM itself, then re-raises it to the handler it found: make that handler
        # a clean exit, so the worker threads finish their jobs and the container closes.
        signal.signal(signal.SIGTERM, _exit_cleanly)
        try:
            _run_server(web, kwargs)
        finally:
            if jobs is not None:
                jobs.stop()
            container.close()


__all__ = ["generated_admin_token", "kb_lint", "limit_malloc_arenas", "prepare", "register", "writes_off"]
