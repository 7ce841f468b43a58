"""The outbox survives what goes wrong around a send: Redis unreachable at commit time, a
worker that died holding a claim, and several worker processes sharing one access token."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import redis as redis_lib
import time_machine
from rq import Worker

from jobs import notify
from bot.queues import enqueue_created_notifications, enqueue_send, get_queue
from store.outbox import LEASE, SWEEP_GRACE, find_due as find_due_notifications
from store import outbox
from store.db import db, utcnow
from store.models import Message, Notification
from tests.conftest import TEST_SETTINGS
from tests.factories import drive
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import bind, make_due_task, received, rows

ROOT = Path(__file__).resolve().parent.parent
DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_redis_down_at_commit_then_the_sweeper_sends_it_once(world, wechat_mock, redis_conn, worker):
    task = make_due_task(world, due=utcnow() + timedelta(days=2), created=utcnow())
    dead = redis_lib.Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.5)
    drive(task, ["complete"], now=utcnow())  # h1 completes: alice (the creator) is told

    assert enqueue_created_notifications(dead) == 0  # logged; the rows stay pending
    assert [r.status for r in rows()] == ["pending", "pending"]
    worker()
    assert wechat_mock.sent == []

    later = utcnow() + SWEEP_GRACE + timedelta(seconds=1)
    with time_machine.travel(later, tick=True):
        assert notify.sweep_outbox() == 2
        worker()
        assert notify.sweep_outbox() == 0
        worker()
    assert len(received(wechat_mock, world.h1)) == 1
    assert len(received(wechat_mock, world.alice)) == 1
    assert [r.status for r in rows()] == ["sent", "sent"]


def test_sweeper_leaves_fresh_rows_to_their_own_job(world):
    make_due_task(world, due=utcnow() + timedelta(days=2), created=utcnow())
    now = utcnow()
    assert find_due_notifications(now) == []
    assert len(find_due_notifications(now + SWEEP_GRACE + timedelta(seconds=1))) == 1


def test_claim_of_a_dead_worker_is_taken_over_after_its_lease(world, wechat_mock, redis_conn, worker):
    make_due_task(world, due=utcnow() + timedelta(days=2), created=utcnow())
    [row] = rows()
    # A worker claimed it and died before recording the outcome.
    Notification.update(status="sending", attempts=1, not_before=utcnow() + LEASE).execute()
    assert notify.send_notification(row.id) == "claimed elsewhere"
    assert find_due_notifications(utcnow()) == []

    with time_machine.travel(utcnow() + LEASE + timedelta(seconds=1), tick=True):
        assert find_due_notifications(utcnow()) == [row.id]
        notify.sweep_outbox()
        worker()
    row = Notification.get_by_id(row.id)
    assert row.status == "sent" and row.attempts == 2
    assert len(received(wechat_mock, world.h1)) == 1


def test_every_notification_is_also_a_message(world, wechat_mock, redis_conn, worker):
    make_due_task(world, due=utcnow() + timedelta(days=2), created=utcnow())
    deliver_ids = [r.id for r in rows()]
    enqueue_created_notifications(redis_conn)
    worker()
    [message] = Message.select().where(Message.user == world.h1.id)
    assert Notification.get_by_id(deliver_ids[0]).message_id == message.id
    assert message.kind == "task_received"


def test_two_worker_processes_fetch_the_token_once(job_settings, sqlite_db, redis_url, redis_conn,
                                                   wechat_mock):
    from tests.notify_support import make_world
    world = make_world()
    for i in range(12):
        user = world.h1 if i % 2 else world.h2
        make_due_task(world, due=utcnow() + timedelta(days=2 + i), created=utcnow(), handler=user,
                      title=f"任务{i}")
    bind(world.h1)
    bind(world.h2)
    queue = get_queue(redis_conn, "notifications")
    jobs = [enqueue_send(queue, note_id) for note_id in [r.id for r in rows()]]
    # A slow token endpoint makes both processes want a token at the same time.
    wechat_mock.inject("stable_token", delay=0.5)
    wechat_mock.inject("message/template/send", delay=0.1, times=100)

    env = {**os.environ, **TEST_SETTINGS, "DATABASE_URL": sqlite_db, "REDIS_URL": redis_url,
           "WECHAT_API_BASE": wechat_mock.base_url, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "jobs.worker", "--burst", "--name", f"w{n}-{os.getpid()}"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for n in (1, 2)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs

    assert {r.status for r in rows()} == {"sent"}, outputs
    assert len(wechat_mock.sent) == 12
    assert wechat_mock.token_fetches == 1
    for job in jobs:
        job.refresh()
    assert len({job.worker_name for job in jobs}) == 2, "both processes sent"
    assert Worker.all(connection=redis_conn) == []  # both exited cleanly


def _notice(world, key):
    return outbox.notify(world.company.id, world.h1.id, "announcement", title=key, dedupe_key=key)


class _Abort(Exception):
    pass


def test_only_committed_notifications_are_handed_to_the_workers(world, redis_conn):
    outbox.take_created()
    try:
        with db.atomic():
            _notice(world, "rolled-back")
            raise _Abort
    except _Abort:
        pass
    assert outbox.take_created() == []

    with db.atomic():
        kept = _notice(world, "kept")
        try:
            with db.atomic():  # a savepoint undone inside a transaction that commits
                _notice(world, "savepoint-undone")
                raise _Abort
        except _Abort:
            pass
        assert outbox.take_created() == []  # nothing before the commit
    assert outbox.take_created() == [kept.id]
    assert [r.dedupe_key for r in rows()] == ["kept"]


def test_a_rolled_back_id_reused_by_another_writer_is_not_enqueued_twice(world, redis_conn):
    """SQLite gives the id of a rolled-back row to the next insert: the context that rolled
    back must hand over nothing, not the other writer's row under its own dead id."""
    import threading
    outbox.take_created()
    try:
        with db.atomic():
            dead = _notice(world, "dead").id
            raise _Abort
    except _Abort:
        pass
    other = {}

    def other_request():
        other["id"] = _notice(world, "other").id
        other["enqueued"] = enqueue_created_notifications(redis_conn)
        db.close()

    thread = threading.Thread(target=other_request)
    thread.start()
    thread.join()
    assert other == {"id": dead, "enqueued": 1}  # the id came back, with its own hand-off
    assert enqueue_created_notifications(redis_conn) == 0
    assert get_queue(redis_conn, "notifications").count == 1


def test_the_sender_changes_rows_only_through_the_outbox(world):
    """jobs/ record outcomes through store.outbox: no query of their own writes a Notification."""
    import ast
    for path in (ROOT / "jobs").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("update", "insert", "delete", "create") \
                    and isinstance(node.value, ast.Name) and node.value.id in ("Notification", "WeChatBinding"):
                raise AssertionError(f"{path.name}:{node.lineno} writes {node.value.id} directly")
