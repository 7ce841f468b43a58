"""The RQ worker process (`python -m jobs.worker`, Procfile `worker`).

Binds the models to DATABASE_URL once, hands the settings to the jobs, and works the `scans`
queue first, then `notifications`, then `default` (bot.queues.WORKER_QUEUES), with RQ's
scheduler enabled so that jobs deferred by `Retry(interval=...)` come back on time. `--burst`
drains and exits (tests).

Jobs run in this process (RQ's SimpleWorker), not in a fork per job: a send takes a few
milliseconds, and a fork per job would also pay for a new database connection, Redis pool
and WeChat client (token cache, HTTP keep-alive) every time. The pooled database
connection, the Redis connection and the client (bot.wechat_api.get_client) live as long as
the process. Job timeouts still hold (SIGALRM in this process).

A Redis outage does not stop it: its connection retries every command until Redis is back
(bot.redis_conn), so RQ's loop never sees the error; the outbox rows whose jobs were lost with
Redis are enqueued again by the sweeper.
"""
from __future__ import annotations

import argparse
import logging
import sys

from rq import SimpleWorker

from bot.queues import WORKER_QUEUES, get_queue
from bot.redis_conn import connect_redis
from bot.settings import SettingsError, load_settings
from bot.startup import require_services
from jobs import runtime
from store.db import init_db


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a Twork RQ worker.")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", help="worker name (default: RQ's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        settings = load_settings()
        require_services(settings, init_db(settings.DATABASE_URL))
    except SettingsError as error:
        sys.exit(str(error))
    runtime.configure(settings)
    redis = connect_redis(settings.REDIS_URL, wait_out_outages=True)
    queues = [get_queue(redis, name) for name in WORKER_QUEUES]
    SimpleWorker(queues, connection=redis, name=args.name).work(burst=args.burst,
                                                                with_scheduler=True)


if __name__ == "__main__":
    main()
