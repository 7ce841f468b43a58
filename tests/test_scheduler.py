"""The scheduler process only enqueues; two schedulers ticking together enqueue one minute's
work once, and even if both ran the scans no reminder is sent twice."""
import threading
from datetime import timedelta

import time_machine
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.queues import RUN_SCANS, SCANS, SWEEP_OUTBOX, enqueue_minute, get_queue
from jobs import scheduler
from jobs.scans import run_scans
from store.db import utcnow
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import local, make_due_task, openid, rows, states


def queued(redis_conn, name=SCANS):
    return [job.func_name for job in get_queue(redis_conn, name).get_jobs()]


def test_tick_only_enqueues_the_scans_and_the_sweeper(redis_conn):
    assert enqueue_minute(redis_conn, local(12, 2, 9, 0)) is True
    assert queued(redis_conn) == [RUN_SCANS, SWEEP_OUTBOX]


def test_second_scheduler_in_the_same_minute_enqueues_nothing(redis_conn):
    now = local(12, 2, 9, 0)
    assert enqueue_minute(redis_conn, now) is True
    assert enqueue_minute(redis_conn, now + timedelta(seconds=20)) is False
    assert enqueue_minute(redis_conn, now + timedelta(minutes=1)) is True
    assert len(queued(redis_conn)) == 4


def test_two_schedulers_ticking_at_once_enqueue_one_set(redis_conn):
    barrier = threading.Barrier(8)
    results = []

    def tick():
        barrier.wait()
        results.append(enqueue_minute(redis_conn, local(12, 2, 9, 0)))

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert queued(redis_conn) == [RUN_SCANS, SWEEP_OUTBOX]


def test_scheduler_is_a_blocking_scheduler_ticking_every_minute(redis_conn):
    sched = scheduler.build_scheduler(redis_conn)
    assert isinstance(sched, BlockingScheduler) and not sched.running
    [job] = sched.get_jobs()
    assert job.func is scheduler.safe_tick and job.max_instances == 1 and job.coalesce
    assert str(job.trigger.fields[-1]) == "0"  # second=0


def test_a_dead_redis_does_not_kill_the_scheduler(caplog):
    import redis as redis_lib
    dead = redis_lib.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    scheduler.safe_tick(dead)
    assert "scheduler tick failed" in caplog.text


def test_ticks_drive_reminders_end_to_end_and_twice_is_harmless(world, wechat_mock, redis_conn, worker):
    due = local(12, 2, 15, 0)
    make_due_task(world, due)
    at = due - timedelta(hours=23)
    with time_machine.travel(at, tick=True):
        # Two schedulers whose locks both missed (e.g. clocks a minute apart): the work runs twice.
        enqueue_minute(redis_conn, at)
        enqueue_minute(redis_conn, at + timedelta(minutes=1))
        worker()
        worker()
    # The sweeper also sent the creation notice nobody had enqueued.
    assert {k: sorted(v) for k, v in states(wechat_mock).items()} == {openid(world.h1): sorted(["待处理", "即将到期"])}
    assert len(rows(kind="due_soon")) == 1


def test_run_scans_job_enqueues_what_it_queued(world, redis_conn):
    due = local(12, 2, 15, 0)
    make_due_task(world, due)
    from store.outbox import take_created
    take_created()
    with time_machine.travel(due + timedelta(minutes=1), tick=True):
        counts = run_scans()
    assert counts["overdue"] == 1
    assert len(queued(redis_conn, "notifications")) == 1
    assert utcnow() < due  # time travel ended


def test_the_worker_runs_the_minute_scans_before_the_sends_queued_earlier(
        world, sqlite_db, redis_url, redis_conn, wechat_mock):
    """One scan that queued a thousand reminders must not delay the next minute's scans:
    they have their own queue, which the worker process takes first."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from rq.job import Job

    from bot.queues import NOTIFICATIONS, enqueue_send
    from tests.conftest import TEST_SETTINGS
    for i in range(5):
        make_due_task(world, local(12, 3 + i, 15, 0), title=f"任务{i}")
    queued = [r.id for r in rows()]
    sends = [enqueue_send(get_queue(redis_conn, NOTIFICATIONS), i) for i in queued]
    assert enqueue_minute(redis_conn, utcnow())
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, **TEST_SETTINGS, "DATABASE_URL": sqlite_db, "REDIS_URL": redis_url,
           "WECHAT_API_BASE": wechat_mock.base_url, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-m", "jobs.worker", "--burst"], cwd=root, env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    scans = [Job.fetch(job_id, connection=redis_conn)
             for job_id in get_queue(redis_conn, SCANS).finished_job_registry.get_job_ids()]
    assert sorted(job.func_name for job in scans) == sorted([RUN_SCANS, SWEEP_OUTBOX])
    for job in sends:
        job.refresh()
    assert max(job.ended_at for job in scans) <= min(job.started_at for job in sends)
    # The rows queued before; the scans' own reminders follow the worker's real clock (held
    # during its quiet hours), which this test does not pin.
    assert {r.status for r in rows() if r.id in queued} == {"sent"}
