"""PostgreSQL connections come from peewee's pool: a request or a job hands its connection
back when it ends and the next one reuses it, with JIT compilation off."""
import psycopg2
from peewee import OperationalError
import pytest
from playhouse.pool import PooledPostgresqlDatabase

from handlers import texts
from store.db import db, init_db
from store.models import MODELS
from tests.conftest import fake_wechat, make_app


def _backend_pid() -> int:
    db.connect(reuse_if_open=True)
    try:
        return db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    finally:
        db.close()


def _backends(url: str) -> int:
    """Sessions open on the test database, counted from outside the pool."""
    name = url.rsplit("/", 1)[1]
    with psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres") as admin:
        cursor = admin.cursor()
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,))
        return cursor.fetchone()[0]


@pytest.fixture
def pg_app(pg_url, redis_url, redis_conn, wechat_mock):
    database = init_db(pg_url)
    database.create_tables(MODELS, safe=True)
    tables = ", ".join(f'"{m._meta.table_name}"' for m in MODELS)
    database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    database.close()
    yield make_app(pg_url, redis_url, wechat_mock)
    db.close()


def test_postgres_is_pooled_without_jit(pg_url):
    database = init_db(pg_url)
    assert isinstance(database, PooledPostgresqlDatabase)
    database.connect()
    try:
        assert database.execute_sql("SHOW jit").fetchone()[0] == "off"
    finally:
        database.close()


def test_requests_reuse_one_connection(pg_app, pg_url):
    before = _backend_pid()
    wx = fake_wechat(pg_app)
    for _ in range(5):
        assert texts.HELP_HEADER in wx.say("帮助")
    assert _backend_pid() == before
    assert _backends(pg_url) == 1  # the pool's one connection, idle between requests


def test_rebinding_closes_the_previous_pool(pg_url):
    first = init_db(pg_url)
    first.connect()
    first.close()  # back to the pool, still open
    assert _backends(pg_url) >= 1
    init_db(pg_url)
    assert _backends(pg_url) == 0


def _terminate(url: str, pid: int) -> None:
    """End a server process and wait until it is gone (PostgreSQL ≥ 14 waits for us)."""
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        admin.autocommit = True
        cursor = admin.cursor()
        cursor.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
        assert cursor.fetchone()[0], f"server process {pid} did not end"
    finally:
        admin.close()


@pytest.mark.parametrize("trust_seconds", [60, 0])
def test_a_connection_that_died_in_the_pool_fails_at_most_one_request(pg_url, trust_seconds):
    """Handed back within the trust window, a connection goes out again without the
    `SELECT 1`: if its server process died meanwhile, that request's first statement fails
    (as any during an outage) and the pool drops it. Past the window the pool asks first."""
    database = init_db(pg_url)
    database.trust_seconds = trust_seconds
    before = _backend_pid()
    _terminate(pg_url, before)
    database.connect()
    try:
        if trust_seconds:
            with pytest.raises(OperationalError):
                database.execute_sql("SELECT 1")
        else:
            assert database.execute_sql("SELECT 1").fetchone() == (1,)
    finally:
        database.close()
    assert _backend_pid() != before
    assert _backend_pid() == _backend_pid()  # the new one is pooled in turn
