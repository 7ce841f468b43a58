"""A Redis outage, end to end: the real worker and scheduler processes (as the Procfile runs
them) outlive Redis going away in the middle of a send and coming back empty, and every
notification written before or during the outage reaches WeChat exactly once afterwards."""
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_lib
import time_machine

from bot.queues import enqueue_created_notifications
from store import outbox
from store.db import utcnow
from store.models import Notification
from tests.conftest import TEST_SETTINGS
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import openid
from tests.redis_claim import RedisServer

ROOT = Path(__file__).resolve().parent.parent
SEND = "/message/template/send"


def wait_for(condition, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    details = "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in logs)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{details}")


def start(module: str, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)


def write_notices(world, label: str, count: int) -> None:
    """`count` notices for h1 and alice, written five minutes ago (so that the sweeper,
    which leaves fresh rows to their own job for a minute, takes them at once)."""
    with time_machine.travel(utcnow() - timedelta(minutes=5), tick=False):
        for n in range(count):
            user = world.h1 if n % 2 else world.alice
            outbox.notify(world.company.id, user.id, "announcement", title=f"{label}{n}",
                          data={"task": f"{label}{n}", "state": "公告"}, dedupe_key=f"outage-{label}-{n}")


def statuses() -> Counter:
    return Counter(n.status for n in Notification.select(Notification.status))


def test_worker_and_scheduler_wait_out_a_redis_outage_and_deliver_everything_once(
        world, sqlite_db, wechat_mock, tmp_path):
    server = RedisServer().start()
    env = {**os.environ, **TEST_SETTINGS, "DATABASE_URL": sqlite_db, "REDIS_URL": server.url,
           "WECHAT_API_BASE": wechat_mock.base_url, "PYTHONUNBUFFERED": "1"}
    logs = (tmp_path / "worker.log", tmp_path / "scheduler.log")
    worker = start("jobs.worker", env, logs[0])
    scheduler = start("jobs.scheduler", env, logs[1])
    redis = redis_lib.Redis.from_url(server.url, socket_connect_timeout=0.5, socket_timeout=1)
    try:
        # The first send is slow: Redis goes away while the worker is in the middle of it.
        wechat_mock.inject(SEND, delay=3)
        write_notices(world, "before", 4)
        assert enqueue_created_notifications(redis) == 4
        wait_for(lambda: statuses()["sending"] >= 1, 30, "the worker to claim its rows", logs)
        server.stop()

        write_notices(world, "during", 4)
        assert enqueue_created_notifications(redis) == 0  # refused fast; the rows wait in the outbox
        # Keep Redis down until the scheduler's minute came and found it gone.
        wait_for(lambda: any(line in logs[1].read_text() for line in ("Redis unreachable", "tick failed")),
                 75, "a scheduler tick during the outage", logs)
        assert worker.poll() is None, logs[0].read_text()[-3000:]
        assert scheduler.poll() is None, logs[1].read_text()[-3000:]

        server.start()  # same port, empty: the queued jobs are gone, the outbox rows are not
        wait_for(lambda: statuses() == Counter(sent=8), 60, "every row to be sent", logs)
        assert worker.poll() is None and scheduler.poll() is None
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            process.wait(timeout=20)
        server.stop()

    keys = [f"outage-{label}-{n}" for label in ("before", "during") for n in range(4)]
    calls = Counter(call["body"]["client_msg_id"] for call in wechat_mock.calls_to(SEND))
    assert calls == Counter({key: 1 for key in keys})  # WeChat was asked once per notice
    assert sorted(m["client_msg_id"] for m in wechat_mock.sent) == sorted(keys)
    assert len(wechat_mock.sent_to(openid(world.h1))) == 4
    assert len(wechat_mock.sent_to(openid(world.alice))) == 4
