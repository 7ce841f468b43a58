"""Attempt limits shared by every way in (the login page, 绑定 CODE in chat, the console):
`hit` counts an attempt *before* the caller checks a password or a code, atomically, so
concurrent guesses cannot slip past the limit, and `reset` forgets a key after a success.

    verdict = throttle.hit(redis, "login", f"openid:{openid}", throttle.account_key(code, account))
    if not verdict.allowed: ...   # verdict.retry_after seconds; verdict.unavailable: Redis is down
    ...check the password...
    throttle.reset(redis, "login", f"openid:{openid}")

The counting is the `limits` library's moving window on Redis (one Lua script per hit:
no read-then-write race, and the key gets its expiry in the same script, so a crash can
never leave a counter without one). Several keys are buckets that must all allow the
attempt; they are hit in the order given and the first refusal stops there, so put the
narrow one (this visitor) before the shared one (this account): one visitor's excess then
never eats the account's budget, and a single visitor gets exactly `limit` attempts.

When Redis cannot be reached the verdict refuses (fail closed, `unavailable=True`) and the
caller says so in plain words: an unthrottled password check is what an attacker would
wait for. In demo mode (in-process fake Redis) the counters live in process memory.
"""
import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

KEY_PREFIX = "twork:throttle"
RULES: dict[str, RateLimitItem] = {
    "login": parse("5 per 15 minutes"),  # failed sign-ins: the mobile page and the console
    "bind": parse("5 per hour"),  # 绑定 CODE: 8 characters from 31 symbols, typos allowed
}
UNAVAILABLE_WAIT = 60  # seconds to suggest when the counters cannot be reached


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until another attempt is allowed (refused, or none left)
    remaining: int = 0  # attempts left after this one (read after the count: a hint under load)
    unavailable: bool = False  # refused because the counters could not be reached


def rule(name: str) -> RateLimitItem:
    return RULES[name]


def account_key(company_code: str, account: str) -> str:
    """The bucket of one account however it is tried (hashed: keys are not a user list)."""
    who = f"{company_code.strip().lower()}\0{account.strip().lower()}".encode()
    return "account:" + hashlib.sha256(who).hexdigest()[:32]


_limiters: dict[int, tuple[object, MovingWindowRateLimiter]] = {}


def _limiter(redis) -> MovingWindowRateLimiter:
    """One limiter per Redis connection, sharing its connection pool and timeouts."""
    known = _limiters.get(id(redis))
    if known is None or known[0] is not redis:
        if type(redis).__module__.startswith("fakeredis"):  # demo: no Lua in the fake
            storage = MemoryStorage()
        else:
            storage = RedisStorage("redis://", connection_pool=redis.connection_pool,
                                   key_prefix=KEY_PREFIX, wrap_exceptions=True)
        known = (redis, MovingWindowRateLimiter(storage))
        _limiters[id(redis)] = known
    return known[1]


def hit(redis, rule_name: str, *keys: str) -> Verdict:
    """Count one attempt in each bucket of `keys` (in order, stopping at a refusal)."""
    item, limiter = rule(rule_name), _limiter(redis)
    remaining, reset_at = item.amount, 0.0
    try:
        for key in keys:
            allowed = limiter.hit(item, key)
            stats = limiter.get_window_stats(item, key)
            if not allowed:
                return Verdict(False, retry_after=_seconds_until(stats.reset_time))
            if stats.remaining < remaining:
                remaining, reset_at = stats.remaining, stats.reset_time
    except StorageError as error:
        log.error("throttle %s unavailable: %s", rule_name, error.storage_error)
        return Verdict(False, retry_after=UNAVAILABLE_WAIT, unavailable=True)
    remaining = max(remaining, 0)
    return Verdict(True, retry_after=_seconds_until(reset_at) if remaining == 0 else 0,
                   remaining=remaining)


def _seconds_until(moment: float) -> int:
    return max(math.ceil(moment - time.time()), 1)


def reset(redis, rule_name: str, *keys: str) -> None:
    """Forget the attempts counted under `keys` (after a success). Best effort."""
    item, limiter = rule(rule_name), _limiter(redis)
    try:
        for key in keys:
            limiter.clear(item, key)
    except StorageError as error:
        log.error("throttle %s reset failed: %s", rule_name, error.storage_error)
