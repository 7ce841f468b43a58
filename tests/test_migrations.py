"""The migrations: an existing database upgrades without losing rows, and the schema
the migrations build is the schema the models describe (a forgotten migration fails)."""
import uuid
from datetime import datetime

import peewee as pw
import psycopg2
import pytest
from peewee_migrate import Router

from store import schema
from store.db import db as db_proxy, init_db, open_database
from store.models import MODELS, Task, TaskNode, User
from tests.conftest import PG_DSN

# Every migration after 001, in order: the tests below name only the ones they inspect, so
# a new migration needs no edit here beyond its own checks.
LATER = sorted(p.stem for p in schema.MIGRATIONS.glob("[0-9][0-9][0-9]_*.py"))[1:]


def _empty_postgres():
    name = f"twork_mig_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_DSN + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')

    def drop():
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return f"{PG_DSN}/{name}", drop


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request, tmp_path):
    """The URL of an empty database (no tables at all), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"
        db_proxy.close()
        return
    url, drop = _empty_postgres()
    yield url
    db_proxy.close()
    drop()


def _index_shapes(database, table):
    return {(tuple(index.columns), bool(index.unique)) for index in database.get_indexes(table)}


def test_database_at_001_upgrades_and_keeps_its_rows(empty_url):
    database = init_db(empty_url)
    Router(database, migrate_dir=str(schema.MIGRATIONS)).run("001_initial")
    assert ("done_by_id", "done_at") not in {
        cols for cols, _ in _index_shapes(database, "task_node")}

    # Plain tables with explicit columns and ids: the rows of a 001 database, whatever
    # the models grow into later.
    def insert(table, **values):
        pw.Table(table).bind(database).insert(id=1, **values).execute()
        return 1

    when = datetime(2026, 11, 30, 2, 0)
    company = insert("company", code="c1", name="甲", timezone="Asia/Shanghai",
                     webhook_secret="s", settings="{}", task_seq=1, created_at=when)
    user = insert("user", company_id=company, account="zhang", name="张三",
                  password_hash="x", role="member", authorized=True, active=True,
                  digest_opt_in=True, created_at=when)
    project = insert("project", company_id=company, name="P", kind="normal",
                     archived=False, created_at=when)
    task = insert("task", company_id=company, project_id=project, number=1, title="核对",
                  description="", priority="normal", status="in_progress", version=0,
                  simple=True, source="manual", occurrences=1, created_at=when)
    insert("task_node", company_id=company, task_id=task, seq=1, handler_id=user,
           items="", state="done", done_at=when, done_by_id=user)

    assert schema.migrate(database) == LATER
    assert schema.migrate(database) == []

    assert User.get_by_id(user).name == "张三"
    assert Task.get_by_id(task).title == "核对"
    node = TaskNode.get(TaskNode.task == task)
    assert (node.done_by_id, node.done_at.replace(tzinfo=None)) == (user, when)
    assert (("done_by_id", "done_at"), False) in _index_shapes(database, "task_node")
    assert (("company_id", "received_at"), False) in _index_shapes(database, "task_receipt")


def test_migrated_schema_matches_the_models(empty_url, tmp_path):
    """Every model table, column (type, nullability) and index exists after migrating."""
    migrated = init_db(empty_url)
    schema.migrate(migrated)
    if isinstance(migrated, pw.PostgresqlDatabase):
        reference_url, drop = _empty_postgres()
    else:
        reference_url, drop = f"sqlite:///{tmp_path}/reference.db", None
    reference = open_database(reference_url)
    try:
        with reference.bind_ctx(MODELS):
            reference.create_tables(MODELS)
        missing = []
        tables = set(migrated.get_tables())
        for model in MODELS:
            table = model._meta.table_name
            if table not in tables:
                missing.append(f"table {table}")
                continue
            have = {c.name: (c.data_type.lower(), c.null) for c in migrated.get_columns(table)}
            for column in reference.get_columns(table):
                if have.get(column.name) != (column.data_type.lower(), column.null):
                    missing.append(f"column {table}.{column.name} "
                                   f"{column.data_type} null={column.null}: "
                                   f"migrated has {have.get(column.name)}")
            for shape in _index_shapes(reference, table) - _index_shapes(migrated, table):
                missing.append(f"index {table}{shape}")
        assert missing == [], "the models changed without a migration:\n" + "\n".join(missing)
    finally:
        reference.close()
        if drop:
            drop()


def test_latest_migration_rolls_back(empty_url):
    database = init_db(empty_url)
    schema.migrate(database)
    router = Router(database, migrate_dir=str(schema.MIGRATIONS))
    while router.done[-1] > "004_deadline_extensions":
        router.rollback()
    router.rollback()
    assert router.done == ["001_initial", "002_stats_indexes", "003_notification_msgid_index"]
    assert "extension_request" not in database.get_tables()
    assert "late_reason" not in {c.name for c in database.get_columns("task_node")}
    router.rollback()
    assert router.done == ["001_initial", "002_stats_indexes"]
    assert ("msgid",) not in {cols for cols, _ in _index_shapes(database, "notification")}
    router.rollback()
    assert router.done == ["001_initial"]
    assert ("done_by_id", "done_at") not in {
        cols for cols, _ in _index_shapes(database, "task_node")}
    assert schema.migrate(database) == LATER
    assert ("msgid",) in {cols for cols, _ in _index_shapes(database, "notification")}
