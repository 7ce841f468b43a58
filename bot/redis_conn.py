"""One Redis connection per process, or an in-process fake in demo mode (no REDIS_URL)."""
import logging
from functools import lru_cache

import redis

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def connect_redis(url: str | None):
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    import fakeredis  # demo mode only
    log.warning("REDIS_URL is not set: using in-process Redis; jobs run inside this process")
    return fakeredis.FakeRedis()


def is_fake(conn) -> bool:
    return type(conn).__module__.startswith("fakeredis")
