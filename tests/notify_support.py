"""Fixtures and helpers shared by the notification tests (test_notify_*, test_scans,
test_scheduler): a company whose users are all bound to WeChat, the job settings pointing at
the local WeChat mock and the test Redis, and small readers of what was delivered."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.settings import load_settings
from bot.wechat_api import clear_clients
from bot.queues import enqueue_created_notifications
from jobs import runtime
from store import outbox
from store.models import Notification, WeChatBinding
from tests.conftest import TEST_SETTINGS
from tests.factories import SH, make_task, make_world

UTC = timezone.utc


def settings_for(db_url, redis_url, mock, **extra):
    return load_settings(environ={}, **TEST_SETTINGS, DATABASE_URL=db_url, REDIS_URL=redis_url,
                         WECHAT_API_BASE=mock.base_url, **extra)


@pytest.fixture
def job_settings(sqlite_db, redis_url, redis_conn, wechat_mock):
    """The notification jobs of this process use the mock, the test Redis and the test DB."""
    outbox.take_created()
    settings = settings_for(sqlite_db, redis_url, wechat_mock)
    runtime.configure(settings)
    clear_clients()
    yield settings
    runtime.configure(None)
    clear_clients()


@pytest.fixture
def world(job_settings):
    """make_world() with every user bound to WeChat as openid "o_<account>"."""
    w = make_world()
    for account in ("admin", "dadmin", "alice", "h1", "h2", "h3", "watcher", "stranger"):
        bind(getattr(w, account))
    return w


def bind(user, followed=True):
    WeChatBinding.create(company=user.company_id, user=user.id, openid=openid(user), followed=followed)


def openid(user) -> str:
    return f"o_{user.account}"


def deliver(redis_conn, worker):
    """What the web request does after commit, then a real RQ worker drains the queues."""
    enqueue_created_notifications(redis_conn)
    worker()


def received(mock, user) -> list[dict]:
    return mock.sent_to(openid(user))


def states(mock) -> dict[str, list[str]]:
    """openid -> the template 'state' field (phrase4) of every message it got, in order."""
    found = {}
    for message in mock.sent:
        found.setdefault(message["openid"], []).append(message["data"].get("phrase4"))
    return found


def local(month, day, hour, minute=0, year=2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def rows(**where) -> list[Notification]:
    query = Notification.select().order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(query)


def make_due_task(world, due, created=None, handler=None, **kw):
    """A simple task for `handler` (h1), created by alice at `created` (default due - 3 days)."""
    created = created or due - timedelta(days=3)
    return make_task(world, assignee=handler or world.h1, now=created, due=due, **kw)


__all__ = ["job_settings", "world", "bind", "openid", "deliver", "received", "states", "local",
           "rows", "make_due_task", "settings_for", "UTC", "SH"]
