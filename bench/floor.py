"""The floor of the webhook benchmarks: the echo anchor (bench/anchor.py) plus only the round
trips every Twork push must make, written straight against psycopg2 and redis-py with no
framework of ours in between.

Per push, as the trust rules require (SPEC §11, bot/retries.py, bot/session.py):
  * claim the push, and in plaintext mode its signature (one INSERT … ON CONFLICT … RETURNING into
    Twork's own `push_claim` table);
  * the per-user lock (redis-py's Lock: SET NX PX, then the release script);
  * the dialog session (one GET);
  * the sender's user, company and binding (one SELECT of Twork's own join);
  * keep the reply for WeChat's resends (one UPDATE).
It answers with the echo, so whatever a Twork command costs beyond this floor is ours to cut,
and what this floor costs against the echo is the price of exactly-once on this machine.

    gunicorn --workers 2 --threads 4 "bench.floor:create_app()"
"""
import hashlib
import os
import threading
from datetime import datetime, timedelta, timezone

import psycopg2
import redis
from flask import Flask

from bench.anchor import webhook

CLAIM = """INSERT INTO push_claim (key, value, expires_at) VALUES {}
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
WHERE push_claim.expires_at < %s RETURNING key"""
USER = """SELECT u.*, c.*, b.id, b.blocked_at FROM "user" u
JOIN we_chat_binding b ON b.user_id = u.id JOIN company c ON c.id = u.company_id
WHERE b.openid = %s AND u.active"""
REMEMBER = "UPDATE push_claim SET value = %s, expires_at = %s WHERE key = %s"


def create_app() -> Flask:
    dsn, cache = os.environ["DATABASE_URL"], redis.Redis.from_url(os.environ["REDIS_URL"])
    local = threading.local()

    def connection():
        if getattr(local, "conn", None) is None:
            local.conn = psycopg2.connect(dsn, options="-c jit=off")
            local.conn.autocommit = True
        return local.conn

    def answer(msg, args, body: bytes) -> str:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        key, expires = f"wx:msg:{msg.source}:{msg.id}", now + timedelta(seconds=300)
        cursor = connection().cursor()
        if "msg_signature" in args:  # safe mode: the signature covers the body
            cursor.execute(CLAIM.format("(%s, NULL, %s)"), (key, expires, now))
        else:  # plaintext: the signature is claimed with the push
            cursor.execute(CLAIM.format("(%s, NULL, %s), (%s, %s, %s)"),
                           (key, expires, f"wx:sig:{args['timestamp']}:{args['nonce']}",
                            hashlib.sha256(body).hexdigest(), expires, now))
        cursor.fetchall()
        with cache.lock(f"floor:lock:{msg.source}", timeout=10, blocking_timeout=2):
            cache.get(f"floor:session:{msg.source}")
            cursor.execute(USER, (msg.source,))
            cursor.fetchone()
            text = getattr(msg, "content", "success")
        cursor.execute(REMEMBER, (text, expires, key))
        return text

    return webhook(answer)
