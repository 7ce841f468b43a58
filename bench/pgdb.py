"""A PostgreSQL database the benchmark creates for itself and drops when it ends; it never
touches another database. BENCH_PG names the server (default: the local one, as in tests)."""
import contextlib
import os
import uuid

import psycopg2

SERVER = os.environ.get("BENCH_PG", os.environ.get("TWORK_TEST_PG",
                                                   "postgresql://postgres@127.0.0.1:5432"))


@contextlib.contextmanager
def own_database(prefix: str = "twork_bench"):
    """Yield the URL of a new, empty database; dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(SERVER + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
