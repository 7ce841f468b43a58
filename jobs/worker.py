"""The RQ worker process (`python -m jobs.worker`, Procfile `worker`).

Binds the models to DATABASE_URL once, hands the settings to the notification jobs, and
works the `notifications` queue before `default`, with RQ's scheduler enabled so that jobs
deferred by `Retry(interval=...)` come back on time. `--burst` drains and exits (tests).
"""
from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    from rq import Worker

    from bot.redis_conn import connect_redis
    from bot.settings import load_settings
    from jobs import notify
    from jobs.queue import get_queue
    from store.db import init_db

    parser = argparse.ArgumentParser(description="Run a Twork RQ worker.")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", help="worker name (default: RQ's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    settings = load_settings()
    if not settings.REDIS_URL:
        raise SystemExit("REDIS_URL is required for the worker process")
    init_db(settings.DATABASE_URL)
    notify.configure(settings)
    redis = connect_redis(settings.REDIS_URL)
    queues = [get_queue(redis, "notifications"), get_queue(redis, "default")]
    Worker(queues, connection=redis, name=args.name).work(burst=args.burst, with_scheduler=True)


if __name__ == "__main__":
    main()
