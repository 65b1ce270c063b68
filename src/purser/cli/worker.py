"""`purser worker`: run jobs (email delivery, webhook events, dunning steps) until SIGTERM or Ctrl-C.

With `PURSER_REDIS_URL` any number of workers, on any machines, share the queue; without it the
queue is the SQLite file next to the database (one machine; `purser serve` runs the same consumer
in a thread unless `--no-worker`). `--once` runs every due job in this process and exits;
`--requeue-dead` first gives dead jobs (an email that ran out of retries, say) new attempts.
"""

from __future__ import annotations

import logging

import typer

from purser.cli._common import CONFIG_OPTION, fail, out, settings_or_exit

__all__ = ["register"]

log = logging.getLogger("purser.worker")


def register(app: typer.Typer) -> None:
    """Add `worker` to the `purser` command."""

    @app.command()
    def worker(
        config: str | None = CONFIG_OPTION,
        workers: int | None = typer.Option(None, "--workers", min=1, max=64, help="Worker threads (jobs.workers)."),
        once: bool = typer.Option(False, "--once", help="Run every due job now, in this process, then exit."),
        requeue_dead: bool = typer.Option(
            False, "--requeue-dead", help="First give every dead job (and failed email) a new set of attempts."
        ),
    ) -> None:
        """Run jobs from the queue: log what each does; stop cleanly on SIGTERM or Ctrl-C."""
        from purser.app import build
        from purser.errors import PurserError
        from purser.heap import settle
        from purser.jobs import describe, run_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("alembic", "bm25s", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        settings = settings_or_exit(config)
        try:
            container = build(settings)
        except PurserError as exc:  # a bad configuration, database or queue: named, no traceback
            fail(str(exc))
        queue = container.jobs
        if queue is None:  # pragma: no cover - build() always wires the queue
            fail("no job queue is configured")
        try:
            if requeue_dead:
                keys = [job.key for job in queue.records(status="dead", limit=100_000)]
                revived = sum(1 for key in keys if queue.requeue(key))
                out().print(f"re-queued {revived} dead job(s)")
            if once:
                ran = queue.run_due()
                out().print(f"ran {ran} due job(s)")
                return
            threads = workers or settings.jobs.workers
            settle()  # a long-running process: start-up's objects out of the collector's full passes
            log.info("worker: queue on %s; %d thread(s); jobs: %s", describe(settings), threads, ", ".join(queue.kinds))
            run_worker(queue, workers=threads, sweep_seconds=settings.jobs.sweep_seconds)
            log.info("worker: stopped")
        finally:
            container.close()
