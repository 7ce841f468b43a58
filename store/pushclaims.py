"""First-writer-wins keys with an expiry, in the database.

The webhook keeps its retry claims and seen signatures in Redis; while Redis is
unreachable it keeps them here instead, so that a push is still acted on once and a
signature still used once. The unique key decides between concurrent writers.
"""
import functools
from datetime import datetime, timedelta

from peewee import EXCLUDED

from store.models import PushClaim
from store.prebuilt import Prebuilt

_FIELDS = ("key", "value", "expires")


@functools.cache
def _claims(count: int) -> Prebuilt:
    """INSERT of `count` claims, each taken unless a live row holds its key."""
    def build(now, **slots):
        rows = [{"key": slots[f"key{i}"], "value": slots[f"value{i}"],
                 "expires_at": slots[f"expires{i}"]} for i in range(count)]
        return (PushClaim.insert_many(rows)
                .on_conflict(conflict_target=[PushClaim.key],
                             update={PushClaim.value: EXCLUDED.value,
                                     PushClaim.expires_at: EXCLUDED.expires_at},
                             where=(PushClaim.expires_at < now))
                .returning(PushClaim.key))
    return Prebuilt(build, "now", *(f"{name}{i}" for i in range(count) for name in _FIELDS))


_SET = Prebuilt(lambda key, value, expires: (PushClaim.update(value=value, expires_at=expires)
                                              .where(PushClaim.key == key)),
                "key", "value", "expires")


def put_once(key: str, value: str | None, ttl: int, now: datetime) -> PushClaim | None:
    """Keep `value` under `key` for `ttl` seconds unless a live row already holds the key;
    None when this call won, else that row."""
    return put_each_once([(key, value, ttl)], now)[key]


def put_each_once(entries: list[tuple[str, str | None, int]],
                  now: datetime) -> dict[str, PushClaim | None]:
    """put_once for each (key, value, ttl), in one statement: {key: None if won, else the
    live row holding it}. An expired row under a key is taken over in place (ON CONFLICT …
    DO UPDATE … WHERE expired); `purge` clears the rest periodically."""
    slots = {"now": now}
    for i, (key, value, ttl) in enumerate(entries):
        slots.update({f"key{i}": key, f"value{i}": value,
                      f"expires{i}": now + timedelta(seconds=ttl)})
    won = {key for key, in _claims(len(entries)).values(**slots)}
    return {key: None if key in won else get(key, now) for key, _, _ in entries}


def drop(key: str) -> None:
    PushClaim.delete().where(PushClaim.key == key).execute()


def purge(now: datetime) -> int:
    """Delete the expired rows (the minute scans call it); returns how many."""
    return PushClaim.delete().where(PushClaim.expires_at < now).execute()


def get(key: str, now: datetime) -> PushClaim | None:
    return PushClaim.get_or_none((PushClaim.key == key) & (PushClaim.expires_at >= now))


def put(key: str, value: str | None, ttl: int, now: datetime) -> None:
    """Set `key` to `value`, claimed or not."""
    expires_at = now + timedelta(seconds=ttl)
    updated = _SET.rowcount(key=key, value=value, expires=expires_at)
    if not updated and put_once(key, value, ttl, now) is not None:
        PushClaim.update(value=value, expires_at=expires_at).where(PushClaim.key == key).execute()
