"""One Redis connection per process, or an in-process fake in demo mode (no REDIS_URL)."""
import logging
from functools import lru_cache

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def connect_redis(url: str | None, fail_fast: bool = False):
    """`fail_fast` is for the web process: a call to an unreachable Redis fails within
    about a second (one immediate retry, which reconnects after a Redis restart) instead
    of redis-py's default ten retries, so the webhook can fall back within WeChat's 5 s."""
    if url and fail_fast:
        return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.25,
                                    retry=Retry(NoBackoff(), 1))
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    import fakeredis  # demo mode only
    log.warning("REDIS_URL is not set: using in-process Redis; jobs run inside this process")
    return fakeredis.FakeRedis()


def is_fake(conn) -> bool:
    return type(conn).__module__.startswith("fakeredis")
