"""RQ jobs that deliver the outbox (store.models.Notification) as WeChat template messages.

`send_notification(id)` is the only code that talks to WeChat for a notification. It reloads
the row, re-checks it (it may have been sent, dropped or rescheduled since it was enqueued),
claims it with a guarded UPDATE so that two workers cannot both send it, sends it with
`client_msg_id` = the row's dedupe key (WeChat itself drops a resend within 10 minutes), and
records the outcome on the row:

    success                              -> sent (+ msgid, matched later by TEMPLATESENDJOBFINISH)
    token (after the client's one retry),
    -1, 5xx, timeout, connection error   -> pending again, not_before = now + backoff(attempts);
                                            failed with last_error after MAX_ATTEMPTS
    45009 (daily quota)                  -> pending again until tomorrow 00:05 Beijing time
    43004 (user unfollowed)              -> binding.followed = False (pauses the user), dropped
    config (40037 template, 47003 args,
    40003 openid, IP whitelist, ...)     -> failed at once, logged as an error; no retry

Retries use RQ's own `Retry` (see RETRY): a deferred send raises `SendDeferred`, and RQ runs
the job again after the matching interval. The row, not the RQ job, is the source of truth:
the sweeper (`sweep_outbox`, every minute) re-enqueues every pending row that is due, and
every claimed row whose worker died (a claim is a lease of LEASE seconds).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from datetime import datetime, time as dtime, timedelta
from zoneinfo import ZoneInfo

from rq import Retry

from bot.wechat_api import WeChatAPIError, get_client
from store.db import db, init_db, utcnow
from store.models import Notification, Task, User, WeChatBinding

log = logging.getLogger(__name__)

# Our outbox fields -> the keys of the task template registered in the MP backend
# (WECHAT_TEMPLATE_TASK). The template is expected to read:
#   任务名称 {{thing1.DATA}}  截止时间 {{time2.DATA}}  发起人 {{thing3.DATA}}  状态 {{phrase4.DATA}}
# thing = ≤20 characters, time = a date/time, phrase = ≤5 characters (WeChat's field types).
TEMPLATE_KEYS = {"task": "thing1", "due": "time2", "from": "thing3", "state": "phrase4"}

BACKOFF_BASE = 30  # seconds before the first retry
BACKOFF_CAP = 3600
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=120)  # a claim older than this belongs to a dead worker
# RQ's Retry may fire a moment before the row's not_before; don't bounce it to the sweeper.
CLAIM_SLACK = timedelta(seconds=5)
QUOTA_ZONE = ZoneInfo("Asia/Shanghai")  # WeChat's daily quotas reset at midnight Beijing time
# Kinds that only make sense while their task is open (a finished task needs no reminder).
OPEN_TASK_KINDS = frozenset({"due_soon", "overdue", "escalation"})


def backoff(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed send: 30 s, 60 s, 120 s … capped at 1 h."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))


# The RQ retry schedule mirrors backoff(); the job re-checks the row, so a mismatch is harmless.
RETRY = Retry(max=MAX_ATTEMPTS - 1, interval=[backoff(n) for n in range(1, MAX_ATTEMPTS)])


class SendDeferred(Exception):
    """Raised after a retryable failure was recorded on the row, so that RQ's Retry re-runs the job."""


# --- process setup --------------------------------------------------------------------------------

_settings = None


def configure(settings) -> None:
    """Use these settings in this process (the worker's main, or a test); None forgets them."""
    global _settings
    _settings = settings


def current_settings():
    """The settings of this process, read from the environment on first use."""
    global _settings
    if _settings is None:
        from bot.settings import load_settings
        _settings = load_settings()
    return _settings


def ensure_db() -> None:
    """Bind the models once per process when nothing bound them yet (a plain `rq worker`);
    the worker's main and the tests bind them themselves."""
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
    from rq import get_current_job
    job = get_current_job()
    if job is not None:
        return job.connection
    from bot.redis_conn import connect_redis
    return connect_redis(current_settings().REDIS_URL)


# --- helpers ----------------------------------------------------------------------------------------

_PLAIN_ID = re.compile(r"[A-Za-z0-9_:.\-]{1,64}")


def client_msg_id(dedupe_key: str) -> str:
    """The dedupe key as WeChat's client_msg_id: as it is when short and plain, else a digest
    (stable, so a resend of the same row always carries the same id)."""
    if _PLAIN_ID.fullmatch(dedupe_key):
        return dedupe_key
    return "h" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:40]


def template_data(data: dict) -> dict[str, str]:
    """Our outbox fields mapped to the template's keys; unknown fields are not sent."""
    return {key: str(data[name]) for name, key in TEMPLATE_KEYS.items() if data.get(name) not in (None, "")}


def link_for(note: Notification, base_url: str) -> str | None:
    """The page the message opens: the row's own url (absolute, or a path on our site),
    else the task's page."""
    base = (base_url or "").rstrip("/")
    if note.url:
        return note.url if "://" in note.url else f"{base}{note.url}"
    if note.task_id:
        return f"{base}/m/tasks/{note.task_id}"
    return None


def _next_quota_day(now: datetime) -> datetime:
    tomorrow = now.astimezone(QUOTA_ZONE).date() + timedelta(days=1)
    return datetime.combine(tomorrow, dtime(0, 5), tzinfo=QUOTA_ZONE)


QUOTA_KEY = "twork:wx:quota_exhausted_until"


def _mark_quota_exhausted(now: datetime) -> None:
    """Tell every worker that WeChat's daily quota is spent until it resets."""
    until = _next_quota_day(now)
    try:
        job_redis().set(QUOTA_KEY, until.isoformat(), ex=max(int((until - now).total_seconds()), 1))
    except Exception:  # without Redis each send finds out for itself, as before
        log.warning("could not record the exhausted quota in Redis", exc_info=True)


def _quota_exhausted_until(now: datetime) -> datetime | None:
    try:
        value = job_redis().get(QUOTA_KEY)
    except Exception:
        return None
    if not value:
        return None
    until = datetime.fromisoformat(value.decode() if isinstance(value, bytes) else value)
    return until if until > now else None


def _finish(note_id: int, **fields) -> bool:
    """Record an outcome, only if we still hold the claim."""
    return bool(Notification.update(**fields)
                .where(Notification.id == note_id, Notification.status == "sending").execute())


def _claim(note_id: int, now: datetime) -> bool:
    """pending (and due) -> sending, or re-take a claim whose lease ran out. The WHERE makes
    a second worker (or the sweeper's duplicate job) update nothing."""
    due = (((Notification.status == "pending") & (Notification.not_before <= now + CLAIM_SLACK))
           | ((Notification.status == "sending") & (Notification.not_before <= now)))
    return bool(Notification.update(status="sending", attempts=Notification.attempts + 1,
                                    not_before=now + LEASE)
                .where((Notification.id == note_id) & due).execute())


def _reason_to_drop(note: Notification) -> str | None:
    user = User.get_or_none(User.id == note.user_id)
    if user is None or not user.active:
        return "user inactive"
    if note.task_id and note.kind in OPEN_TASK_KINDS:
        task = Task.get_or_none(Task.id == note.task_id)
        if task is None or task.deleted_at is not None or task.status != "in_progress":
            return "task no longer open"
    return None


# --- the jobs -----------------------------------------------------------------------------------------

def send_notification(notification_id: int) -> str:
    """Deliver one outbox row; returns what happened (for RQ's result and the logs)."""
    with job_connection():
        now = utcnow()
        note = Notification.get_or_none(Notification.id == notification_id)
        if note is None:
            return "missing"
        if note.status in ("sent", "dropped", "failed"):
            return f"already {note.status}"
        if note.status == "pending" and note.not_before > now + CLAIM_SLACK:
            return "not due"  # the sweeper enqueues it once it is
        quota_back = _quota_exhausted_until(now)
        if quota_back is not None:
            # Another send hit 45009 today: wait without calling WeChat or using an attempt.
            Notification.update(not_before=quota_back).where(
                Notification.id == note.id, Notification.status == "pending").execute()
            return "deferred: daily quota"
        if not _claim(note.id, now):
            return "claimed elsewhere"
        note = Notification.get_by_id(note.id)
        reason = _reason_to_drop(note)
        binding = WeChatBinding.get_or_none(WeChatBinding.user == note.user_id)
        if reason is None and binding is None:
            reason = "no WeChat binding"
        elif reason is None and not binding.followed:
            reason = "user does not follow the account"
        if reason:
            # The Message row stays: the user still finds it in 消息.
            _finish(note.id, status="dropped", last_error=reason)
            return f"dropped: {reason}"
        return _deliver(note, binding, now)


def _deliver(note: Notification, binding: WeChatBinding, now: datetime) -> str:
    settings = current_settings()
    try:
        msgid = get_client(settings).send_template(
            binding.openid, settings.WECHAT_TEMPLATE_TASK, template_data(note.data or {}),
            link_for(note, settings.PUBLIC_BASE_URL), client_msg_id(note.dedupe_key))
    except WeChatAPIError as error:
        return _handle_error(note, binding, error, now)
    except Exception as error:
        # A bug or an unexpected library error: retry later like a transient fault, but
        # let RQ record the traceback.
        _defer(note, now, f"{type(error).__name__}: {error}", backoff(note.attempts))
        raise
    _finish(note.id, status="sent", msgid=None if msgid is None else str(msgid), sent_at=utcnow(),
            last_error=None)
    return "sent"


def _handle_error(note: Notification, binding: WeChatBinding, error: WeChatAPIError, now) -> str:
    text = f"{error.errcode} {error.kind}: {error.errmsg}"[:500]
    if error.kind == "unfollowed":
        WeChatBinding.update(followed=False).where(WeChatBinding.id == binding.id).execute()
        _finish(note.id, status="dropped", last_error=text)
        log.info("user %s unfollowed (43004): notifications paused", note.user_id)
        return "dropped: unfollowed"
    if error.kind == "rate_limited" and error.errcode == 45009:
        _mark_quota_exhausted(now)
        if _defer(note, now, text, (_next_quota_day(now) - now).total_seconds()):
            log.warning("WeChat daily quota reached (45009); notification %s waits until tomorrow", note.id)
            return "deferred: daily quota"
        return "failed"
    if error.retryable:
        if _defer(note, now, text, backoff(note.attempts)):
            raise SendDeferred(f"notification {note.id}: {text}")
        return "failed"
    # config / window / other: retrying cannot help and would only burn quota.
    _finish(note.id, status="failed", last_error=text)
    log.error("notification %s failed permanently, fix the configuration: %s", note.id, text)
    return f"failed: {error.kind}"


def _defer(note: Notification, now: datetime, text: str, delay_seconds: float) -> bool:
    """Back to pending for a later attempt; failed once MAX_ATTEMPTS were made. True if deferred."""
    if note.attempts >= MAX_ATTEMPTS:
        _finish(note.id, status="failed", last_error=f"gave up after {note.attempts} attempts: {text}")
        log.error("notification %s failed after %s attempts: %s", note.id, note.attempts, text)
        return False
    _finish(note.id, status="pending", not_before=now + timedelta(seconds=delay_seconds),
            last_error=text)
    log.warning("notification %s attempt %s failed (%s); next in %ss", note.id, note.attempts, text,
                int(delay_seconds))
    return True


def enqueue_send(queue, notification_id: int):
    """Enqueue one send with the retry schedule (jobs.queue should use this too)."""
    return queue.enqueue(send_notification, notification_id, retry=RETRY)


def sweep_outbox(limit: int = 500) -> int:
    """The safety net, every minute: enqueue every due pending row and every expired claim.
    Enqueuing a row twice is harmless, the claim lets only one job send it."""
    from jobs.queue import get_queue
    from jobs.scans import find_due_notifications
    with job_connection():
        ids = find_due_notifications(utcnow(), limit)
    if ids:
        queue = get_queue(job_redis(), "notifications")
        for note_id in ids:
            enqueue_send(queue, note_id)
    return len(ids)
