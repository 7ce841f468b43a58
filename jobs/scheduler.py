"""The scheduler process (`python -m jobs.scheduler`, Procfile `scheduler`): the only place
APScheduler appears.

Every minute it ENQUEUES the scans (`jobs.scans.run_scans`) and the outbox sweeper
(`jobs.notify.sweep_outbox`) on RQ (`bot.queues.enqueue_minute`); the work itself runs in the
RQ workers. A BlockingScheduler with an in-memory job store, because "job stores must never be
shared between schedulers" (APScheduler guide) and this process runs nothing else.

Running two schedulers (a deploy overlap, a second machine) is safe: a short Redis lock per
minute lets only one of them enqueue that minute's work, and if both ever did, the unique
dedupe key of every reminder still makes a second copy impossible.

During a Redis outage the minute's tick waits (the connection retries without end, see
bot.redis_conn) and enqueues as soon as Redis is back; the ticks due meanwhile are
coalesced into that one. The outbox keeps every notification in the meantime.
"""
from __future__ import annotations

import logging
import sys

from apscheduler.schedulers.blocking import BlockingScheduler

from bot.queues import enqueue_minute
from bot.redis_conn import connect_redis
from bot.settings import SettingsError, load_settings
from bot.startup import require_services
from store.db import init_db

log = logging.getLogger(__name__)


def safe_tick(redis) -> None:
    """The scheduled callable: nothing a tick meets may kill the scheduler; the next
    minute tries again."""
    try:
        enqueue_minute(redis)
    except Exception:
        log.exception("scheduler tick failed; retrying next minute")


def build_scheduler(redis):
    """A BlockingScheduler firing `safe_tick` at second 0 of every minute."""
    scheduler = BlockingScheduler(timezone="UTC")
    # coalesce + max_instances=1: after a pause or an outage, run one tick, not the backlog.
    scheduler.add_job(safe_tick, "cron", args=[redis], second=0, id="tick", coalesce=True,
                      max_instances=1, misfire_grace_time=30)
    return scheduler


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        require_services(settings, init_db(settings.DATABASE_URL))
    except SettingsError as error:
        sys.exit(str(error))
    scheduler = build_scheduler(connect_redis(settings.REDIS_URL, wait_out_outages=True))
    log.info("scheduler started: scans and outbox sweep every minute")
    scheduler.start()


if __name__ == "__main__":
    main()
