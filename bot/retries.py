"""WeChat resends a push up to three times when our answer takes over 5 seconds
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html).

Each push is claimed in Redis with SET NX before it is acted on, so it is acted on once;
the rendered reply text is kept for a few minutes and every retry gets the same answer.
A retry that arrives while the first attempt is still working waits briefly for it.
"""
import time

CLAIM_TTL = 300
PENDING = b"\x00pending"


class RetryGuard:
    def __init__(self, redis, wait_seconds: float = 3.0):
        self.redis = redis
        self.wait_seconds = wait_seconds

    def claim(self, key: str) -> bool:
        """True for the first delivery of this push, False for a retry."""
        return bool(self.redis.set(key, PENDING, nx=True, ex=CLAIM_TTL))

    def remember(self, key: str, reply: str | None) -> None:
        self.redis.set(key, (reply or "").encode("utf-8"), ex=CLAIM_TTL)

    def previous_reply(self, key: str) -> str | None:
        """The reply given to the first delivery; None if it is still being worked on
        after `wait_seconds` (the retry then answers "success")."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            value = self.redis.get(key)
            if value is not None and value != PENDING:
                return value.decode("utf-8")
            if value is None or time.monotonic() > deadline:
                return None
            time.sleep(0.05)
