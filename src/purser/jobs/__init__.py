"""Jobs on a real task queue (DESIGN §10; docs/JOBS.md): Huey moves keys, our `jobs` table decides.

    queue = HueyJobQueue(JobStore(db), make_huey(settings))
    queue.register("email.deliver", handler, retries=12, retry_delay_seconds=30)
    queue.enqueue("email.deliver", {"outbox_id": "ob_1"}, key="email.deliver:ob_1")
    run_worker(queue)            # `purser worker`; EmbeddedWorker(queue).start() inside `purser serve`

Modules: queue (the `JobQueue` adapter: enqueue, claim/lease, retries, dead rows, sweep, run_due),
backend (SqliteHuey / RedisHuey / MemoryHuey from the settings), worker (consumer + sweeper),
stripe_events (webhook events handled as jobs), report (what `GET /api/admin/jobs` shows).
"""

from purser.jobs.backend import QueueConfigError, describe, make_huey
from purser.jobs.queue import HueyJobQueue, InvalidJob
from purser.jobs.worker import EmbeddedWorker, Sweeper, run_worker

__all__ = [
    "EmbeddedWorker",
    "HueyJobQueue",
    "InvalidJob",
    "QueueConfigError",
    "Sweeper",
    "describe",
    "make_huey",
    "run_worker",
]
