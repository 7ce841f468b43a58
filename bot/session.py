"""Per-WeChat-user conversation state, kept in Redis with an expiry.

Two things live here: the last list shown (so that "完成 2" means the second line the
user saw) and the active dialog of a guided conversation. Only `Session` writes them.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

LIST_TTL = 24 * 3600


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
        self._key = f"twork:session:{openid}"
        raw = redis.get(self._key)
        self._data = json.loads(raw) if raw else {}

    def _save(self):
        self._redis.set(self._key, json.dumps(self._data, ensure_ascii=False), ex=LIST_TTL)

    # -- numbered lists -------------------------------------------------------------
    def remember_list(self, kind: str, ids: list[int]) -> None:
        """Remember what the numbers of the list just shown refer to."""
        self._data["list"] = {"kind": kind, "ids": list(ids)}
        self._save()

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
            self._save()
