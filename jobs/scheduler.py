"""The scheduler process (`python -m jobs.scheduler`, Procfile `scheduler`): the only place
APScheduler appears.

Every minute it ENQUEUES the scans (`jobs.scans.run_scans`) and the outbox sweeper
(`jobs.notify.sweep_outbox`) on RQ; the work itself runs in the RQ workers. A
BlockingScheduler with an in-memory job store, because "job stores must never be shared
between schedulers" (APScheduler guide) and this process runs nothing else.

Running two schedulers (a deploy overlap, a second machine) is safe: a short Redis lock per
minute lets only one of them enqueue that minute's work, and if both ever did, the unique
dedupe key of every reminder still makes a second copy impossible.
"""
from __future__ import annotations

import logging
from datetime import datetime

from store.db import utcnow

log = logging.getLogger(__name__)

SCANS = "jobs.scans.run_scans"
SWEEP = "jobs.notify.sweep_outbox"
TICK_LOCK_TTL = 90  # seconds; longer than a tick, shorter than two
JOB_TIMEOUT = 300


def tick(redis, now: datetime | None = None) -> bool:
    """One minute's work: enqueue the scans and the sweeper unless another scheduler did
    already for this minute. Returns True when this call enqueued them."""
    from jobs.queue import get_queue
    now = now or utcnow()
    minute = now.strftime("%Y%m%d%H%M")
    if not redis.set(f"twork:scheduler:tick:{minute}", "1", nx=True, ex=TICK_LOCK_TTL):
        return False
    queue = get_queue(redis, "default")
    # Job ids name the minute: readable in rq-dashboard (RQ ids allow no ':').
    queue.enqueue(SCANS, job_id=f"scans-{minute}", job_timeout=JOB_TIMEOUT, result_ttl=3600)
    queue.enqueue(SWEEP, job_id=f"sweep-{minute}", job_timeout=JOB_TIMEOUT, result_ttl=3600)
    return True


def safe_tick(redis) -> None:
    """The scheduled callable: a Redis outage must not kill the scheduler process; the next
    minute tries again and the outbox keeps everything in the meantime."""
    try:
        tick(redis)
    except Exception:
        log.exception("scheduler tick failed; retrying next minute")


def build_scheduler(redis):
    """A BlockingScheduler firing `safe_tick` at second 0 of every minute."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    scheduler = BlockingScheduler(timezone="UTC")
    # coalesce + max_instances=1: after a pause, run one tick, not the backlog of missed ones.
    scheduler.add_job(safe_tick, "cron", args=[redis], second=0, id="tick", coalesce=True,
                      max_instances=1, misfire_grace_time=30)
    return scheduler


def main() -> None:
    from bot.redis_conn import connect_redis
    from bot.settings import load_settings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    if not settings.REDIS_URL:
        raise SystemExit("REDIS_URL is required for the scheduler process")
    scheduler = build_scheduler(connect_redis(settings.REDIS_URL))
    log.info("scheduler started: scans and outbox sweep every minute")
    scheduler.start()


if __name__ == "__main__":
    main()
