"""First-writer-wins keys with an expiry, in the database.

The webhook keeps its retry claims and seen signatures in Redis; while Redis is
unreachable it keeps them here instead, so that a push is still acted on once and a
signature still used once. The unique key decides between concurrent writers.
"""
from datetime import datetime, timedelta

from peewee import EXCLUDED

from store.models import PushClaim


def put_once(key: str, value: str | None, ttl: int, now: datetime) -> PushClaim | None:
    """Keep `value` under `key` for `ttl` seconds unless a live row already holds the key;
    None when this call won, else that row."""
    return put_each_once([(key, value, ttl)], now)[key]


def put_each_once(entries: list[tuple[str, str | None, int]],
                  now: datetime) -> dict[str, PushClaim | None]:
    """put_once for each (key, value, ttl), in one statement: {key: None if won, else the
    live row holding it}. An expired row under a key is taken over in place (ON CONFLICT …
    DO UPDATE … WHERE expired); `purge` clears the rest periodically."""
    rows = [{"key": key, "value": value, "expires_at": now + timedelta(seconds=ttl)}
            for key, value, ttl in entries]
    won = {row.key for row in PushClaim.insert_many(rows)
           .on_conflict(conflict_target=[PushClaim.key],
                        update={PushClaim.value: EXCLUDED.value,
                                PushClaim.expires_at: EXCLUDED.expires_at},
                        where=(PushClaim.expires_at < now))
           .returning(PushClaim.key).execute()}
    return {row["key"]: None if row["key"] in won else get(row["key"], now) for row in rows}


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
    updated = (PushClaim.update(value=value, expires_at=expires_at)
               .where(PushClaim.key == key).execute())
    if not updated and put_once(key, value, ttl, now) is not None:
        PushClaim.update(value=value, expires_at=expires_at).where(PushClaim.key == key).execute()
