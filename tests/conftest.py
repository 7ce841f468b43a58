"""Shared fixtures: real databases (SQLite file, PostgreSQL), real Redis, and the
local mock of the WeChat API.

Several test runs may share this machine, so each run claims a Redis database number
of its own and creates a PostgreSQL database of its own.
"""
import os
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg2
import pytest
import redis as redis_lib
import time_machine

from store.db import db as db_proxy, init_db
from store.models import MODELS
from tests.redis_claim import claimed_redis

# Every test starts at this instant, whatever the wall clock says: a Wednesday morning in
# Shanghai, mid-month, outside quiet hours. Tests that need another moment travel there.
PINNED_NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

PG_DSN = os.environ.get("TWORK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "wall_clock: the test talks to another process that reads the real clock "
                   "(signed requests to a server subprocess), so it is not pinned to PINNED_NOW")


@pytest.fixture(autouse=True)
def pinned_clock(request):
    """Pin "now" for every test; the clock keeps ticking from PINNED_NOW so that waits and
    timeouts still work. No test result may depend on when the suite runs."""
    if request.node.get_closest_marker("wall_clock"):
        yield None
        return
    with time_machine.travel(PINNED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def redis_url():
    with claimed_redis() as url:
        yield url


@pytest.fixture
def redis_conn(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture(scope="session")
def pg_url():
    name = f"twork_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(PG_DSN + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_DSN}/{name}"
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _fresh_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/twork.db"
    database = init_db(url)
    database.create_tables(MODELS)
    return url


@pytest.fixture
def sqlite_db(tmp_path):
    """An empty schema in a SQLite file, the models bound to it; yields its URL."""
    url = _fresh_sqlite(tmp_path)
    yield url
    db_proxy.close()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request, tmp_path):
    """The same test on SQLite and on PostgreSQL; yields the database URL."""
    if request.param == "sqlite":
        url = _fresh_sqlite(tmp_path)
    else:
        url = request.getfixturevalue("pg_url")
        database = init_db(url)
        database.create_tables(MODELS, safe=True)
        tables = ", ".join(f'"{m._meta.table_name}"' for m in MODELS)
        database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield url
    db_proxy.close()


@pytest.fixture
def wechat_mock():
    """A local HTTP mock of the WeChat API; point WECHAT_API_BASE at `.base_url`."""
    from bot.mock_wechat import MockWeChat
    mock = MockWeChat()
    mock.start()
    yield mock
    mock.stop()


TEST_SETTINGS = {
    "WECHAT_TOKEN": "testtoken",
    "WECHAT_APPID": "wxtest00000001",
    "WECHAT_APPSECRET": "test-secret",
    "WECHAT_TEMPLATE_TASK": "tmpl-task-0001",
    "PUBLIC_BASE_URL": "http://twork.test",
    "TWORK_PLATFORM_KEY": "platform-key-for-tests",
}
TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def make_app(db_url, redis_url, wechat_mock, **overrides):
    from bot import create_app
    config = {**TEST_SETTINGS, "TESTING": True, "DATABASE_URL": db_url, "REDIS_URL": redis_url,
              "WECHAT_API_BASE": wechat_mock.base_url, **overrides}
    return create_app(config)


@pytest.fixture
def app(sqlite_db, redis_url, redis_conn, wechat_mock):
    return make_app(sqlite_db, redis_url, wechat_mock)


@pytest.fixture
def safe_app(sqlite_db, redis_url, redis_conn, wechat_mock):
    return make_app(sqlite_db, redis_url, wechat_mock, WECHAT_AES_KEY=TEST_AES_KEY)


def fake_wechat(app, **kw):
    from bot.fakewechat import FakeWeChat
    client = app.test_client()
    settings = app.config["TWORK"]

    def post(query, body):
        response = client.post("/wechat", query_string=query, data=body,
                               content_type="text/xml")
        return response.status_code, response.get_data(as_text=True)

    return FakeWeChat(post, token=settings.WECHAT_TOKEN, appid=settings.WECHAT_APPID,
                      aes_key=settings.WECHAT_AES_KEY, **kw)


@pytest.fixture
def wx(app):
    """A WeChat user chatting with the real webhook (plaintext mode)."""
    return fake_wechat(app)


@pytest.fixture
def safe_wx(safe_app):
    """The same in safe mode: every push encrypted, every reply decrypted."""
    return fake_wechat(safe_app)


@pytest.fixture
def worker(redis_conn):
    """Drain the RQ queues in-process with a real SimpleWorker (burst mode)."""
    from rq import SimpleWorker
    from bot.queues import WORKER_QUEUES, get_queue

    def drain(*names):
        queues = [get_queue(redis_conn, n) for n in (names or WORKER_QUEUES)]
        SimpleWorker(queues, connection=redis_conn).work(burst=True)
    return drain
