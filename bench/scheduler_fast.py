"""The scheduler process of `python -m jobs.scheduler`, set up the same way, with its tick
firing every `seconds` instead of at second 0 of every minute, so that a memory benchmark can
watch it over many ticks in a short run.

    python -m bench.scheduler_fast 0.1
"""
import logging
import sys

from bot.redis_conn import connect_redis
from bot.settings import load_settings
from bot.startup import require_services
from jobs.scheduler import build_scheduler
from store.db import init_db


def main(seconds: float) -> None:
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    require_services(settings, init_db(settings.DATABASE_URL))
    scheduler = build_scheduler(connect_redis(settings.REDIS_URL, wait_out_outages=True))
    scheduler.reschedule_job("tick", trigger="interval", seconds=seconds)
    print("up", flush=True)
    scheduler.start()


if __name__ == "__main__":
    main(float(sys.argv[1]))
