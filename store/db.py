"""The database handle, the base model and the field types every model shares.

Times are stored as naive UTC and always come back as aware UTC datetimes, so that
SQLite and PostgreSQL behave the same and no caller compares naive with aware.
"""
import json
import time
from datetime import datetime, timezone

from peewee import DatabaseProxy, DateTimeField, Model, SqliteDatabase, TextField
from playhouse.db_url import connect, parse
from playhouse.pool import PooledPostgresqlDatabase

db = DatabaseProxy()


class UTCDateTimeField(DateTimeField):
    def db_value(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class JSONField(TextField):
    """JSON kept as text: portable across SQLite and PostgreSQL, and small here."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def atomic_write():
    """The transaction for one change that reads before it writes.

    On SQLite it takes the write lock at BEGIN: a deferred transaction that reads and then
    writes fails with "database is locked" when another writer committed in between (WAL
    snapshot), while an IMMEDIATE one simply waits its turn (busy_timeout) and reads fresh."""
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# Connections one process keeps open to PostgreSQL: a gunicorn worker serves at most its
# threads at once, the RQ worker and the scheduler one job at a time.
POOL_SIZE = 8
POOL_STALE_SECONDS = 300  # a connection idle this long is reopened rather than reused
# A connection handed back this recently is handed out again without asking the server first.
POOL_TRUST_SECONDS = 1.0


class PostgresPool(PooledPostgresqlDatabase):
    """peewee's pool, minus one round trip on most checkouts.

    peewee asks the server `SELECT 1` before handing out any idle connection, which on a busy
    webhook is one statement in four. A connection handed back under POOL_TRUST_SECONDS ago,
    with no transaction open, is handed out without asking: had the server gone away in that
    second, the request's first statement fails like any other during an outage (the caller
    answers that nothing was done) and psycopg2 marks the connection closed, so the pool
    drops it when it comes back. Older connections are still asked."""

    def __init__(self, *args, trust_seconds: float = POOL_TRUST_SECONDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.trust_seconds = trust_seconds
        self._returned_at = {}  # connection key -> monotonic time it came back

    def _is_closed(self, conn):
        returned = self._returned_at.get(self.conn_key(conn))
        if (returned is not None and time.monotonic() - returned < self.trust_seconds
                and not conn.closed
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        self._returned_at[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn):
        self._returned_at.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


def open_database(url: str):
    """Open (without connecting) the database named by a DATABASE_URL.

    PostgreSQL goes through peewee's connection pool: `db.close()` at the end of a request
    or job hands the connection back, and the next one reuses it instead of paying for a
    new backend (a TCP/auth round trip and a fork on the server). JIT compilation is off
    for these connections: every query here is short, and planning-time JIT only adds to it."""
    if url.startswith("sqlite"):
        # WAL lets readers run beside the single writer; busy_timeout makes a
        # second writer wait instead of failing at once. RETURNING (SQLite ≥ 3.35) tells
        # an insert that ON CONFLICT skipped from one that wrote, as on PostgreSQL; as
        # there, insert_many(...).execute() then returns a cursor of the new rows, which
        # must be read or dropped before the transaction commits.
        return connect(url, pragmas={"journal_mode": "wal", "foreign_keys": 1,
                                     "busy_timeout": 10000, "synchronous": "normal"},
                       check_same_thread=False, returning_clause=True)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if not url.startswith("postgresql://"):
        return connect(url)
    params = parse(url)
    options = " ".join(filter(None, [params.pop("options", ""), "-c jit=off"]))
    return PostgresPool(params.pop("database"), max_connections=POOL_SIZE,
                        stale_timeout=POOL_STALE_SECONDS, timeout=10, options=options, **params)


def init_db(url: str):
    """Point every model at the database of `url` and return it."""
    previous = db.obj
    database = open_database(url)
    db.initialize(database)
    if isinstance(previous, PooledPostgresqlDatabase):
        previous.close_idle()  # rebinding (tests, tools) must not leave connections behind
    return database
