"""Acting on each WeChat push once, and accepting each plaintext signature once.

WeChat resends a push up to three times when our answer takes over 5 seconds
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html).
Each push is claimed before it is acted on, so it is acted on once; the rendered reply
text is kept for a few minutes and every retry gets the same answer. A retry that
arrives while the first attempt is still working waits briefly for it.

Claims are rows in the database (`store.pushclaims`, a unique key), not Redis keys: a
push is only ever acted on with the database anyway, while a Redis restart without
persistence, or a Redis outage between a push and its retry, would forget a claim and
act twice. One indexed insert per push buys exactly-once whatever Redis does.
"""
import hashlib
import time

from store import pushclaims
from store.db import utcnow

CLAIM_TTL = 300


class ReplayedSignature(Exception):
    """A plaintext signature already used for another body."""


class RetryGuard:
    def __init__(self, wait_seconds: float = 3.0):
        self.wait_seconds = wait_seconds

    def claim(self, key: str, signature: tuple[str, str, bytes, int] | None = None) -> bool:
        """True for the first delivery of this push, False for a retry.

        `signature` (timestamp, nonce, body, ttl) is a plaintext push's: its (timestamp,
        nonce) is taken in the same statement as the claim, and ReplayedSignature is raised
        when they already signed a different body (a replayed query string; the same body
        again is WeChat resending, and the claim answers it)."""
        entries = [(key, None, CLAIM_TTL)]
        if signature is not None:
            timestamp, nonce, body, ttl = signature
            digest = hashlib.sha256(body).hexdigest()
            entries.append((f"wx:sig:{timestamp}:{nonce}", digest, ttl))
        held = pushclaims.put_each_once(entries, utcnow())
        if signature is not None:
            sig = held[entries[1][0]]
            if sig is not None and sig.value != digest:
                if held[key] is None:
                    pushclaims.drop(key)  # a forged push must not claim the real one's key
                raise ReplayedSignature()
        return held[key] is None

    def remember(self, key: str, reply: str | None) -> None:
        pushclaims.put(key, reply or "", CLAIM_TTL, utcnow())

    def previous_reply(self, key: str) -> str | None:
        """The reply given to the first delivery; None if it is still being worked on
        after `wait_seconds` (the retry then answers "success")."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            row = pushclaims.get(key, utcnow())
            if row is None or row.value is not None:
                return row and row.value
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)
