"""Create or upgrade the database schema with peewee-migrate (store/migrations)."""
from pathlib import Path

from peewee_migrate import Router

MIGRATIONS = Path(__file__).with_name("migrations")


def migrate(database) -> list[str]:
    """Apply every migration not yet applied; return the names applied now."""
    router = Router(database, migrate_dir=str(MIGRATIONS), ignore=["basemodel"])
    before = set(router.done)
    router.run()
    return [name for name in router.done if name not in before]


def ensure_schema(database) -> None:
    """Create the schema on an empty database (the web process must work on one);
    upgrading an existing one is the `release` step's job."""
    if not database.table_exists("company"):
        with _migration_lock(database):
            if not database.table_exists("company"):
                migrate(database)


class _migration_lock:
    """Two processes starting on an empty PostgreSQL must not both create tables."""
    KEY = 7_466_175

    def __init__(self, database):
        self.database = database
        self.pg = type(database).__name__.startswith("Postgres")

    def __enter__(self):
        if self.pg:
            self.database.execute_sql("SELECT pg_advisory_lock(%s)", (self.KEY,))

    def __exit__(self, *exc):
        if self.pg:
            self.database.execute_sql("SELECT pg_advisory_unlock(%s)", (self.KEY,))
