"""send_notification against the local WeChat mock: the template it sends, and every fault
(40001, 42001, 45009, 43004, 500, slow, config) handled as jobs/notify.py documents."""
import logging
import threading
from datetime import timedelta

import pytest
from rq import Retry

from bot.queues import SEND_RETRY, enqueue_send, get_queue
from bot.wechat_api import clear_clients
from jobs import notify, runtime
from store import outbox
from store.db import utcnow
from store.models import Notification, WeChatBinding
from tests.notify_support import *  # noqa: F401,F403
from tests.notify_support import SH, deliver, make_due_task, openid, received, rows, settings_for

SEND = "message/template/send"


@pytest.fixture
def note(world):
    """One pending 'task received' notification for h1 (not yet enqueued)."""
    task = make_due_task(world, due=utcnow() + timedelta(days=2), created=utcnow())
    [row] = rows(user=world.h1.id)
    row.task_obj = task
    return row


def run(note_id):
    return notify.send_notification(note_id)


def reload(row):
    return Notification.get_by_id(row.id)


def test_sent_message_carries_template_keys_link_and_client_msg_id(world, note, wechat_mock,
                                                                   redis_conn, worker):
    deliver(redis_conn, worker)

    [message] = received(wechat_mock, world.h1)
    task = note.task_obj
    assert message["template_id"] == "tmpl-task-0001"
    assert message["url"] == f"http://twork.test/m/tasks/{task.id}"
    assert message["client_msg_id"] == note.dedupe_key
    assert message["data"] == {"thing1": f"#{task.number} 核对PO123到货", "time2": note.data["due"],
                               "thing3": "爱丽丝", "phrase4": "待处理"}
    row = reload(note)
    assert row.status == "sent" and row.msgid == str(message["msgid"]) and row.attempts == 1
    assert row.sent_at is not None and row.last_error is None


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_rejected_token_is_refreshed_and_the_send_retried_once(world, note, wechat_mock, errcode):
    wechat_mock.inject(SEND, errcode=errcode)

    assert run(note.id) == "sent"

    assert len(received(wechat_mock, world.h1)) == 1
    assert len(wechat_mock.calls_to(SEND)) == 2
    assert wechat_mock.token_fetches == 2  # the first token, then one refresh
    assert reload(note).status == "sent"


def test_token_rejected_again_after_the_retry_backs_off(world, note, wechat_mock):
    wechat_mock.inject(SEND, errcode=40001, times=2)
    before = utcnow()

    with pytest.raises(notify.SendDeferred):
        run(note.id)

    row = reload(note)
    assert len(wechat_mock.calls_to(SEND)) == 2  # one retry inside the client, no loop
    assert row.status == "pending" and row.attempts == 1 and "40001" in row.last_error
    assert before + timedelta(seconds=29) <= row.not_before <= utcnow() + timedelta(seconds=31)
    assert run(note.id) == "not due"
    Notification.update(not_before=utcnow()).where(Notification.id == note.id).execute()
    assert run(note.id) == "sent"
    assert reload(note).attempts == 2 and len(received(wechat_mock, world.h1)) == 1


def test_server_error_backs_off_exponentially_then_fails(world, note, wechat_mock):
    wechat_mock.inject(SEND, http_status=500, times=100)
    for attempt in range(1, outbox.MAX_ATTEMPTS):
        Notification.update(not_before=utcnow()).where(Notification.id == note.id).execute()
        with pytest.raises(notify.SendDeferred):
            run(note.id)
        row = reload(note)
        assert row.status == "pending" and row.attempts == attempt
        wait = (row.not_before - utcnow()).total_seconds()
        assert abs(wait - outbox.backoff(attempt)) < 3
    Notification.update(not_before=utcnow()).where(Notification.id == note.id).execute()

    assert run(note.id) == "failed"

    row = reload(note)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert "gave up after 8 attempts" in row.last_error and "transient" in row.last_error
    assert received(wechat_mock, world.h1) == []
    assert run(note.id) == "already failed"


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [outbox.backoff(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert SEND_RETRY.max == outbox.MAX_ATTEMPTS - 1
    assert SEND_RETRY.intervals[:3] == [30, 60, 120]


def test_system_busy_is_retried_later(world, note, wechat_mock):
    wechat_mock.inject(SEND, errcode=-1)
    with pytest.raises(notify.SendDeferred):
        run(note.id)
    assert reload(note).status == "pending"


def test_daily_quota_waits_until_tomorrow_beijing_time(world, note, wechat_mock):
    wechat_mock.inject(SEND, errcode=45009)

    assert run(note.id) == "deferred: daily quota"

    row = reload(note)
    tomorrow = (utcnow().astimezone(SH) + timedelta(days=1)).date()
    assert row.status == "pending" and "45009" in row.last_error
    assert row.not_before.astimezone(SH).date() == tomorrow
    assert row.not_before.astimezone(SH).strftime("%H:%M") == "00:05"


def test_unfollowed_user_is_paused_and_not_retried(world, note, wechat_mock, redis_conn, worker):
    wechat_mock.inject(SEND, errcode=43004)

    assert run(note.id) == "dropped: unfollowed"

    assert reload(note).status == "dropped" and "43004" in reload(note).last_error
    assert WeChatBinding.get(WeChatBinding.user == world.h1.id).followed is False
    calls = len(wechat_mock.calls_to(SEND))
    # Later notices for the paused user are dropped without calling WeChat ...
    make_due_task(world, due=utcnow() + timedelta(days=3), created=utcnow(), title="第二个任务")
    deliver(redis_conn, worker)
    assert len(wechat_mock.calls_to(SEND)) == calls
    assert rows(user=world.h1.id)[-1].status == "dropped"
    # ... and still listed in the user's 消息.
    assert rows(user=world.h1.id)[-1].message_id is not None


@pytest.mark.parametrize("errcode", [40037, 47003])
def test_configuration_error_fails_loudly_without_retry(world, note, wechat_mock, caplog, errcode):
    wechat_mock.inject(SEND, errcode=errcode)
    with caplog.at_level(logging.ERROR, logger="jobs.notify"):
        assert run(note.id) == "failed: config"

    row = reload(note)
    assert row.status == "failed" and str(errcode) in row.last_error
    assert any("fix the configuration" in r.message for r in caplog.records)
    assert run(note.id) == "already failed"
    assert len(wechat_mock.calls_to(SEND)) == 1


def test_slow_wechat_times_out_and_the_retry_is_deduplicated_by_client_msg_id(
        world, note, wechat_mock, sqlite_db, redis_url):
    runtime.configure(settings_for(sqlite_db, redis_url, wechat_mock, WECHAT_TIMEOUT=(1, 0.3)))
    clear_clients()
    wechat_mock.inject(SEND, delay=0.8)  # WeChat got it, our read timed out

    with pytest.raises(notify.SendDeferred):
        run(note.id)
    assert reload(note).status == "pending" and "transient" in reload(note).last_error

    Notification.update(not_before=utcnow()).where(Notification.id == note.id).execute()
    assert run(note.id) == "sent"
    assert len(wechat_mock.calls_to(SEND)) == 2
    assert len(received(wechat_mock, world.h1)) == 1  # the resend carried the same client_msg_id


def test_job_run_twice_sends_once(world, note, wechat_mock, redis_conn, worker):
    queue = get_queue(redis_conn, "notifications")
    queue.enqueue(notify.send_notification, note.id)
    queue.enqueue(notify.send_notification, note.id)
    worker()
    assert run(note.id) == "already sent"
    assert len(received(wechat_mock, world.h1)) == 1


def test_two_workers_racing_on_one_row_send_it_once(world, note, wechat_mock):
    wechat_mock.inject(SEND, delay=0.3)  # keep the first sender inside its claim
    results = []
    threads = [threading.Thread(target=lambda: results.append(run(note.id))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("sent") == 1
    assert len(wechat_mock.calls_to(SEND)) == 1


def test_retryable_failure_is_scheduled_again_by_rq_retry(world, note, wechat_mock, redis_conn, worker):
    wechat_mock.inject(SEND, http_status=502)
    queue = get_queue(redis_conn, "notifications")
    job = enqueue_send(queue, note.id)
    worker()
    assert job.id in queue.scheduled_job_registry.get_job_ids()
    assert reload(note).status == "pending"


def test_notifications_without_binding_or_follow_are_dropped_but_kept_as_messages(world, note, wechat_mock):
    WeChatBinding.delete().where(WeChatBinding.user == world.h1.id).execute()
    assert run(note.id) == "dropped: no WeChat binding"
    row = reload(note)
    assert row.status == "dropped" and row.message_id is not None
    assert wechat_mock.calls_to(SEND) == []


def test_long_dedupe_keys_become_a_stable_short_client_msg_id():
    short = "task:1:v2:task_received:7"
    assert notify.client_msg_id(short) == short
    long = "due_soon:1:1:24h:2026-12-01T10:00:00+00:00"
    assert notify.client_msg_id(long) == notify.client_msg_id(long)
    assert notify.client_msg_id(long) != long and len(notify.client_msg_id(long)) <= 64
    assert notify.client_msg_id("digest:3:2026-12-01") == "digest:3:2026-12-01"
    assert notify.client_msg_id("x" * 65).startswith("h")
    assert isinstance(SEND_RETRY, Retry)


def test_task_finished_before_the_reminder_went_out_drops_it(world, wechat_mock):
    from store.outbox import notify as queue_notice
    task = make_due_task(world, due=utcnow() + timedelta(hours=1), created=utcnow())
    note = queue_notice(world.company.id, world.h1.id, "due_soon", title="即将到期", task_id=task.id,
                        data={"task": "x"}, dedupe_key="due_soon:test")
    from tests.factories import drive
    drive(task, ["complete"], now=utcnow())
    assert run(note.id) == "dropped: task no longer open"
    assert openid(world.h1) not in {m["openid"] for m in wechat_mock.sent if m["data"].get("thing1") == "x"}


def test_exhausted_quota_is_shared_so_later_sends_do_not_call_wechat(world, note, wechat_mock,
                                                                      redis_conn):
    second = make_due_task(world, due=utcnow() + timedelta(days=3), created=utcnow())
    [other] = [r for r in rows(user=world.h1.id) if r.task_id == second.id]
    wechat_mock.inject(SEND, errcode=45009)
    assert run(note.id) == "deferred: daily quota"
    calls = len(wechat_mock.calls_to(SEND))

    assert run(other.id) == "deferred: daily quota"

    assert len(wechat_mock.calls_to(SEND)) == calls  # no call made for the second one
    row = reload(other)
    assert row.status == "pending" and row.attempts == 0
    assert row.not_before == reload(note).not_before
    redis_conn.delete(notify.QUOTA_KEY)  # the quota resets: sending works again
    Notification.update(not_before=utcnow()).where(Notification.id == other.id).execute()
    assert run(other.id) == "sent"
