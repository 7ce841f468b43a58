"""What a job needs from its process: the settings, the database binding and connection,
and the Redis of the running job. The worker's main binds these once; a job run by a plain
`rq worker`, or inline in the demo, gets them from the environment on first use."""
from __future__ import annotations

import contextlib

from rq import get_current_job

from bot.redis_conn import connect_redis
from bot.settings import load_settings
from store.db import db, init_db

_settings = None


def configure(settings) -> None:
    """Use these settings in this process (the worker's main, or a test); None forgets them."""
    global _settings
    _settings = settings


def current_settings():
    """The settings of this process, read from the environment on first use."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def ensure_db() -> None:
    """Bind the models once per process when nothing bound them yet."""
    if db.obj is None:
        init_db(current_settings().DATABASE_URL)


@contextlib.contextmanager
def job_connection():
    """Open the DB connection for one job, and close it only if this job opened it."""
    ensure_db()
    opened = db.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


def job_redis():
    """The Redis of the running RQ job, else the one REDIS_URL names."""
    job = get_current_job()
    if job is not None:
        return job.connection
    return connect_redis(current_settings().REDIS_URL)
