"""Redis connections, one per process and URL.

* `connect_redis` — the web's: a command fails within seconds when Redis is down, because a
  request must answer; what it could not enqueue waits in the outbox for the sweeper.
* `connect_redis(url, wait_out_outages=True)` — the worker's and the scheduler's: every
  command is retried by redis-py's own `Retry` with a capped exponential backoff, without
  end, so an outage makes these processes wait and carry on instead of exiting (RQ retries
  only its dequeue; an error anywhere else in the worker loop stops the worker).
* `in_process_redis` — fakeredis, for the demo only (`python -m bot demo`), where jobs run
  inline.
"""
import logging
from functools import lru_cache

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

OUTAGE_BACKOFF_CAP = 10  # seconds between reconnection attempts, at most


class _LoggedBackoff(ExponentialWithJitterBackoff):
    """redis-py's backoff, saying in the log that Redis is unreachable (first failure, then
    every tenth), since the retries are otherwise silent."""

    def compute(self, failures: int) -> float:
        delay = super().compute(failures)
        if failures == 1 or failures % 10 == 0:
            log.warning("Redis unreachable (attempt %s); retrying, the outbox keeps the notifications",
                        failures)
        return delay


@lru_cache(maxsize=8)
def connect_redis(url: str, wait_out_outages: bool = False, fail_fast: bool = False) -> redis.Redis:
    """`fail_fast` is for the web process: a call to an unreachable Redis fails within
    about a second (one immediate retry, which reconnects after a Redis restart) instead
    of redis-py's default ten retries, so the webhook can fall back within WeChat's 5 s.
    `wait_out_outages` is for the worker and the scheduler: every command waits for Redis."""
    if not url:
        raise ValueError("a Redis URL is required (only the demo runs on an in-process Redis)")
    if fail_fast:
        return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.25,
                                    retry=Retry(NoBackoff(), 1))
    if not wait_out_outages:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    return redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30,
        retry=Retry(_LoggedBackoff(cap=OUTAGE_BACKOFF_CAP, base=0.5), retries=-1),
        retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError])


def in_process_redis():
    import fakeredis  # the demo's stand-in; production never gets here
    log.warning("demo mode: in-process Redis; jobs run inside this process")
    return fakeredis.FakeRedis()


def is_fake(conn) -> bool:
    return type(conn).__module__.startswith("fakeredis")
