"""Putting work on the RQ queues: the hand-off of committed outbox rows, the ERP batches and
the scheduler's minute of work.

Jobs are named by their dotted path, as RQ allows, so that nothing in `bot/` imports job
code: `jobs` import `bot` (settings, Redis, the WeChat client), never the other way round.
tests/test_import_graph.py checks that every name here is a job function.

With the demo's in-process Redis the queue runs each job inline, in this process.
"""
import logging
from datetime import datetime

from rq import Queue, Retry

from bot.redis_conn import is_fake
from store import outbox
from store.db import utcnow

log = logging.getLogger(__name__)

SEND_NOTIFICATION = "jobs.notify.send_notification"
SEND_NOTIFICATIONS = "jobs.notify.send_notifications"
SWEEP_OUTBOX = "jobs.notify.sweep_outbox"
RUN_SCANS = "jobs.scans.run_scans"
INGEST_BATCH = "jobs.erp.ingest_batch"
FETCH_AVATAR = "jobs.avatar.fetch_avatar"

SCANS, NOTIFICATIONS, DEFAULT = "scans", "notifications", "default"
# What a worker listens to, first queue first: the minute's scans never wait behind the
# sends that an earlier scan queued (a thousand reminders would hold them up for minutes).
WORKER_QUEUES = (SCANS, NOTIFICATIONS, DEFAULT)

# RQ's retry schedule mirrors the outbox's backoff; the job re-checks the row, so a
# mismatch is harmless.
SEND_RETRY = Retry(max=outbox.MAX_ATTEMPTS - 1,
                   interval=[outbox.backoff(n) for n in range(1, outbox.MAX_ATTEMPTS)])
# Rows per send job: RQ's bookkeeping and the claim and outcome statements are paid once per
# job, and a batch still finishes well inside its claims' lease.
SEND_BATCH = 100
TICK_LOCK_TTL = 90  # seconds; longer than a tick, shorter than two
TICK_JOB_TIMEOUT = 300


def get_queue(redis, name: str = DEFAULT) -> Queue:
    return Queue(name, connection=redis, is_async=not is_fake(redis))


def enqueue_send(queue: Queue, notification_id: int):
    """Enqueue one send with the retry schedule."""
    return queue.enqueue(SEND_NOTIFICATION, notification_id, retry=SEND_RETRY)


def enqueue_sends(queue: Queue, notification_ids: list[int]) -> list:
    """Enqueue the sends of these rows, SEND_BATCH to a job, with the retry schedule."""
    batches = [notification_ids[i:i + SEND_BATCH] for i in range(0, len(notification_ids), SEND_BATCH)]
    if not queue.is_async:  # the demo runs each job inline, as it is enqueued
        return [queue.enqueue(SEND_NOTIFICATIONS, batch, retry=SEND_RETRY) for batch in batches]
    # one Redis round trip for all: an ERP batch commits hundreds
    return queue.enqueue_many([Queue.prepare_data(SEND_NOTIFICATIONS, (batch,), retry=SEND_RETRY)
                               for batch in batches])


def enqueue_created_notifications(redis) -> int:
    """Enqueue the sends of the notifications committed in this context. A failure here
    loses nothing: the rows stay pending and the sweeper enqueues them later."""
    ids = outbox.take_created()
    if not ids:
        return 0
    try:
        enqueue_sends(get_queue(redis, NOTIFICATIONS), ids)
    except Exception:
        log.exception("could not enqueue notifications %s; the sweeper will retry", ids)
        return 0
    return len(ids)


def enqueue_minute(redis, now: datetime | None = None) -> bool:
    """One minute's periodic work: enqueue the scans and the outbox sweeper unless another
    scheduler did already for this minute (a short Redis lock per minute). True when this
    call enqueued them."""
    now = now or utcnow()
    minute = now.strftime("%Y%m%d%H%M")
    if not redis.set(f"twork:scheduler:tick:{minute}", "1", nx=True, ex=TICK_LOCK_TTL):
        return False
    queue = get_queue(redis, SCANS)
    # Job ids name the minute: readable in rq-dashboard (RQ ids allow no ':').
    queue.enqueue(RUN_SCANS, job_id=f"scans-{minute}", job_timeout=TICK_JOB_TIMEOUT, result_ttl=3600)
    queue.enqueue(SWEEP_OUTBOX, job_id=f"sweep-{minute}", job_timeout=TICK_JOB_TIMEOUT, result_ttl=3600)
    return True
