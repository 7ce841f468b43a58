"""Per-WeChat-user conversation state, kept in Redis with an expiry.

Two things live here: the last list shown (so that "完成 2" means the second line the
user saw) and the active dialog of a guided conversation. Only `Session` writes them.

A session is read, changed and written back by one message at a time: the webhook holds
`user_lock` around each message of a user, so two messages arriving together are handled
one after the other and neither update is lost. While Redis is unreachable the session is
empty: commands still work, lists are not remembered, and starting a guided dialog raises
`SessionUnavailable` (the webhook says so plainly).
"""
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.exceptions import LockError, RedisError

from bot.redis_conn import is_fake

log = logging.getLogger(__name__)

LIST_TTL = 24 * 3600
# A message's handling is far shorter; the lock expires by itself if a process dies.
LOCK_TTL = 10
# How long a message waits for the previous one of the same user (WeChat allows 5 s).
LOCK_WAIT = 2.0


class SessionUnavailable(Exception):
    """Redis is unreachable, so a dialog cannot be kept."""


class SessionBusy(Exception):
    """The previous message of this user is still being handled."""


@contextmanager
def user_lock(redis, openid: str, wait: float = LOCK_WAIT):
    """Handle one message of `openid` at a time (SessionBusy after `wait` seconds)."""
    if is_fake(redis):  # demo mode: its in-process Redis has no Lua for the lock's release
        yield
        return
    lock = redis.lock(f"twork:session-lock:{openid}", timeout=LOCK_TTL, blocking_timeout=wait)
    try:
        acquired = lock.acquire()
    except RedisError as error:  # Redis down: the session is empty, nothing to protect
        log.warning("Redis unreachable (%s): no session lock for %s", error, openid)
        acquired = None
    if acquired is False:
        raise SessionBusy(openid)
    try:
        yield
    finally:
        if acquired:
            try:
                lock.release()
            except (LockError, RedisError) as error:  # expired, or Redis went away meanwhile
                log.warning("session lock of %s not released: %s", openid, error)


@dataclass
class Dialog:
    flow: str
    state: str
    data: dict = field(default_factory=dict)
    expires_at: float = 0.0

    def expired(self, now: datetime) -> bool:
        return now.timestamp() > self.expires_at


class Session:
    def __init__(self, redis, openid: str):
        self._redis = redis
        self.redis = redis  # the connection this session lives on, for per-user counters
        self._key = f"twork:session:{openid}"
        try:
            raw = redis.get(self._key)
            self.available = True
        except RedisError as error:
            log.warning("Redis unreachable (%s): no session for %s", error, openid)
            raw, self.available = None, False
        self._data = json.loads(raw) if raw else {}

    def _save(self):
        if not self.available:
            raise SessionUnavailable(self._key)
        try:
            self._redis.set(self._key, json.dumps(self._data, ensure_ascii=False), ex=LIST_TTL)
        except RedisError as error:
            raise SessionUnavailable(self._key) from error

    # -- numbered lists -------------------------------------------------------------
    def remember_list(self, kind: str, ids: list[int]) -> None:
        """Remember what the numbers of the list just shown refer to."""
        self._data["list"] = {"kind": kind, "ids": list(ids)}
        try:
            self._save()
        except SessionUnavailable:
            pass  # the list was shown; "完成 2" will ask for a fresh one

    def list_item(self, kind: str, position: int) -> int | None:
        """The id shown at 1-based `position` in the last list of `kind`, or None."""
        shown = self._data.get("list") or {}
        ids = shown.get("ids", []) if shown.get("kind") == kind else []
        return ids[position - 1] if 1 <= position <= len(ids) else None

    def last_list_kind(self) -> str | None:
        return (self._data.get("list") or {}).get("kind")

    # -- dialogs --------------------------------------------------------------------
    @property
    def dialog(self) -> Dialog | None:
        raw = self._data.get("dialog")
        return Dialog(**raw) if raw else None

    def begin(self, flow: str, state: str, now: datetime, timeout: timedelta, data=None) -> None:
        self._data["dialog"] = {"flow": flow, "state": state, "data": data or {},
                                "expires_at": (now + timeout).timestamp()}
        self._save()

    def advance(self, state: str, data: dict, now: datetime, timeout: timedelta) -> None:
        self.begin(self.dialog.flow, state, now, timeout, data)

    def end(self) -> None:
        if self._data.pop("dialog", None) is not None:
            try:
                self._save()
            except SessionUnavailable:
                log.warning("dialog of %s not ended; it expires by itself", self._key)
