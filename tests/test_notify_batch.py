"""Sends in batches: one job claims its rows in one statement, reads where they go in one
query, posts each to the local WeChat mock and records the outcomes together, so that its
statements do not grow with the batch; every fault keeps its meaning for the rows around it."""
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from playhouse.test_utils import count_queries

from bot.queues import SEND_BATCH, SEND_NOTIFICATIONS, enqueue_created_notifications, enqueue_sends, get_queue
from jobs import notify
from store import outbox
from store.db import utcnow
from store.models import Notification, WeChatBinding
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import make_due_task, received, rows

SEND = "message/template/send"


def notices(world, count, users=None, label="n"):
    """`count` announcements (no task), shared out over `users` (h1, h2, h3); their ids."""
    users = users or [world.h1, world.h2, world.h3]
    notes = outbox.notify_many(world.company.id, [dict(
        user_id=users[i % len(users)].id, kind="announcement", title=f"{label}{i}",
        data={"task": f"{label}{i}", "state": "公告"}, dedupe_key=f"batch-{label}-{i}", urgent=True)
        for i in range(count)])
    outbox.take_created()
    return [n.id for n in notes]


def sent_in_statements(ids) -> list[str]:
    with count_queries() as counted:
        notify.send_notifications(ids)
    return [q.msg[0] for q in counted.get_queries()]


def test_a_batch_costs_the_same_statements_for_3_or_60_notices(world, wechat_mock):
    small, large = notices(world, 3, label="s"), notices(world, 60, label="l")

    few, many = sent_in_statements(small), sent_in_statements(large)

    # the claim, the users with their bindings, the outcomes: the rest is one HTTP post each
    assert len(few) == len(many) == 3, "\n".join(many)
    assert len(wechat_mock.calls_to(SEND)) == 63
    sent = rows(status="sent")
    assert len(sent) == 63 and all(r.attempts == 1 and r.sent_at for r in sent)
    by_key = {m["client_msg_id"]: str(m["msgid"]) for m in wechat_mock.sent}
    assert {r.dedupe_key: r.msgid for r in sent} == by_key  # each row its own msgid


def test_reminders_cost_one_more_statement_for_their_tasks(world, wechat_mock):
    tasks = [make_due_task(world, due=utcnow() + timedelta(days=2 + i), created=utcnow(), title=f"任务{i}")
             for i in range(4)]
    outbox.take_created()
    Notification.update(status="sent").execute()  # the creation notices are not this test's
    ids = [outbox.notify(world.company.id, world.h1.id, "due_soon", title="即将到期", task_id=t.id,
                         data={"task": t.title}, dedupe_key=f"due:{t.id}", urgent=True).id for t in tasks]

    assert len(sent_in_statements(ids)) == 4
    assert {r.status for r in rows(kind="due_soon")} == {"sent"}


def test_rows_that_may_not_go_are_dropped_together_and_the_rest_sent(world, wechat_mock):
    WeChatBinding.delete().where(WeChatBinding.user == world.h2.id).execute()
    WeChatBinding.update(followed=False).where(WeChatBinding.user == world.h3.id).execute()
    ids = notices(world, 9)

    assert notify.send_notifications(ids) == "sent 3, dropped 6"

    assert len(received(wechat_mock, world.h1)) == 3 and len(wechat_mock.sent) == 3
    reasons = Counter(r.last_error for r in rows(status="dropped"))
    assert reasons == {"no WeChat binding": 3, "user does not follow the account": 3}
    assert all(r.message_id for r in rows(status="dropped"))  # still in the users' 消息


def test_unfollowed_in_a_batch_drops_that_users_later_rows_without_calling_wechat(world, wechat_mock):
    ids = notices(world, 4, users=[world.h1, world.h2])  # h1, h2, h1, h2
    wechat_mock.inject(SEND, errcode=43004)  # the first call: h1

    notify.send_notifications(ids)

    assert [r.status for r in rows()] == ["dropped", "sent", "dropped", "sent"]
    assert len(wechat_mock.calls_to(SEND)) == 3
    assert WeChatBinding.get(WeChatBinding.user == world.h1.id).followed is False


def test_exhausted_quota_in_a_batch_holds_the_rest_without_calling_wechat(world, wechat_mock, redis_conn):
    ids = notices(world, 5)
    notify.send_notifications(ids[:1])  # one goes out before the quota runs out
    wechat_mock.inject(SEND, errcode=45009)

    assert notify.send_notifications(ids[1:]) == "deferred 4"

    assert len(wechat_mock.calls_to(SEND)) == 2
    first, *held = rows()[1:]
    assert first.status == "pending" and first.attempts == 1 and "45009" in first.last_error
    assert all(r.status == "pending" and r.attempts == 0 and r.not_before == first.not_before for r in held)
    assert redis_conn.get(notify.QUOTA_KEY)
    redis_conn.delete(notify.QUOTA_KEY)


def test_a_transient_failure_defers_its_row_and_rq_retries_the_batch_without_resending(
        world, wechat_mock, redis_conn, worker):
    ids = notices(world, 3)
    wechat_mock.inject(SEND, http_status=502)  # the first row
    [job] = enqueue_sends(get_queue(redis_conn, "notifications"), ids)
    worker()
    assert job.id in get_queue(redis_conn, "notifications").scheduled_job_registry.get_job_ids()
    assert [r.status for r in rows()] == ["pending", "sent", "sent"]

    Notification.update(not_before=utcnow()).where(Notification.id == ids[0]).execute()
    assert notify.send_notifications(ids) == "sent 1, not claimed 2"  # what RQ's retry runs

    assert [r.status for r in rows()] == ["sent"] * 3
    assert sorted(m["client_msg_id"] for m in wechat_mock.sent) == sorted(r.dedupe_key for r in rows())


def test_two_workers_with_overlapping_batches_send_each_row_once(world, wechat_mock):
    ids = notices(world, 30)
    wechat_mock.inject(SEND, delay=0.05, times=100)
    results = []
    threads = [threading.Thread(target=lambda part=part: results.append(notify.send_notifications(part)))
               for part in (ids, ids[10:], ids[::-1], ids[:20])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Counter(m["client_msg_id"] for m in wechat_mock.sent) == Counter(r.dedupe_key for r in rows())
    assert len(wechat_mock.calls_to(SEND)) == 30
    assert {r.status for r in rows()} == {"sent"}


def test_created_notices_are_handed_over_in_jobs_of_at_most_a_batch(world, wechat_mock, redis_conn, worker):
    count = 2 * SEND_BATCH + 5
    notes = outbox.notify_many(world.company.id, [dict(
        user_id=world.h1.id, kind="announcement", title=f"公告{i}", data={"task": f"公告{i}"},
        dedupe_key=f"hand-over-{i}", urgent=True) for i in range(count)])
    assert enqueue_created_notifications(redis_conn) == count

    jobs = get_queue(redis_conn, "notifications").get_jobs()
    assert [job.func_name for job in jobs] == [SEND_NOTIFICATIONS] * 3
    assert [len(job.args[0]) for job in jobs] == [SEND_BATCH, SEND_BATCH, 5]
    worker()
    assert {r.status for r in rows()} == {"sent"}
    assert Counter(m["client_msg_id"] for m in received(wechat_mock, world.h1)) == \
        Counter(f"hand-over-{i}" for i in range(count))
    assert [n.id for n in notes] == [i for job in jobs for i in job.args[0]]


@pytest.mark.parametrize("size", [1, SEND_BATCH])
def test_the_sweeper_enqueues_batches(world, redis_conn, size):
    notices(world, size * 2)
    with time_machine.travel(utcnow() + outbox.SWEEP_GRACE + timedelta(seconds=1), tick=True):
        assert notify.sweep_outbox() == size * 2
    jobs = get_queue(redis_conn, "notifications").get_jobs()
    assert [len(job.args[0]) for job in jobs] == ([2] if size == 1 else [SEND_BATCH, SEND_BATCH])


def test_a_batch_out_of_time_gives_the_rest_back_and_enqueues_it_again(world, wechat_mock, redis_conn, worker):
    ids = notices(world, 5)
    wechat_mock.inject(SEND, delay=0.5)  # the first post is slow ...
    results = []
    with time_machine.travel(utcnow(), tick=True) as clock:
        sender = threading.Thread(target=lambda: results.append(notify.send_notifications(ids)))
        sender.start()
        while not wechat_mock.calls_to(SEND):
            threading.Event().wait(0.01)
        clock.shift(notify.BATCH_TIME + timedelta(seconds=1))  # ... and the batch's time runs out
        sender.join()

        assert results == ["sent 1, deferred 4"]
        assert [r.status for r in rows()] == ["sent"] + ["pending"] * 4
        assert all(r.attempts == 0 for r in rows()[1:])  # given back, no attempt spent
        [job] = get_queue(redis_conn, "notifications").get_jobs()
        assert job.args == (ids[1:],)
        worker()
    assert [r.status for r in rows()] == ["sent"] * 5
    assert len(wechat_mock.calls_to(SEND)) == 5


def test_a_batch_records_its_outcomes_on_sqlite_and_postgresql(any_db, redis_url, redis_conn, wechat_mock):
    from bot.wechat_api import clear_clients
    from jobs import runtime
    from tests.factories import make_world
    from tests.notify_support import bind, settings_for
    outbox.take_created()
    runtime.configure(settings_for(any_db, redis_url, wechat_mock))
    clear_clients()
    try:
        world = make_world()
        bind(world.h1)
        bind(world.h3, followed=False)  # h2 has no binding
        ids = notices(world, 6)

        assert notify.send_notifications(ids) == "sent 2, dropped 4"

        by_key = {m["client_msg_id"]: str(m["msgid"]) for m in wechat_mock.sent}
        assert {r.dedupe_key: r.msgid for r in rows(status="sent")} == by_key
        assert Counter(r.last_error for r in rows(status="dropped")) == \
            {"no WeChat binding": 2, "user does not follow the account": 2}
    finally:
        runtime.configure(None)
        clear_clients()
