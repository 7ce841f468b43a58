"""RQ jobs that deliver the outbox (store.models.Notification) as WeChat template messages.

`send_notification(id)` is the only code that talks to WeChat for a notification. It reloads
the row, re-checks it (it may have been sent, dropped or rescheduled since it was enqueued),
claims it (`store.outbox.claim`, a guarded UPDATE, so that two workers cannot both send it),
sends it with `client_msg_id` = the row's dedupe key (WeChat itself drops a resend within 10
minutes), and records the outcome through `store.outbox`:

    success                              -> sent (+ msgid, matched later by TEMPLATESENDJOBFINISH)
    token (after the client's one retry),
    -1, 5xx, timeout, connection error   -> deferred: pending again, not_before = now + backoff;
                                            failed after MAX_ATTEMPTS
    45009 (daily quota)                  -> deferred until tomorrow 00:05 Beijing time
    43004 (user unfollowed)              -> the user's binding paused, the row dropped
    config (40037 template, 47003 args,
    40003 openid, IP whitelist, ...)     -> failed at once, logged as an error; no retry

Retries use RQ's own `Retry` (bot.queues.SEND_RETRY): a deferred send raises `SendDeferred`,
and RQ runs the job again after the matching interval. The row, not the RQ job, is the source
of truth: the sweeper (`sweep_outbox`, every minute) re-enqueues every pending row that is
due, and every claimed row whose worker died (a claim is a lease).
"""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, time as dtime, timedelta
from zoneinfo import ZoneInfo

from bot.queues import NOTIFICATIONS, enqueue_send, get_queue
from bot.wechat_api import WeChatAPIError, get_client
from jobs.runtime import current_settings, job_connection, job_redis
from store import outbox
from store.db import utcnow
from store.models import Notification
from store.notices import fit

log = logging.getLogger(__name__)

# Our outbox fields -> the keys of the task template registered in the MP backend
# (WECHAT_TEMPLATE_TASK). The template is expected to read:
#   任务名称 {{thing1.DATA}}  截止时间 {{time2.DATA}}  发起人 {{thing3.DATA}}  状态 {{phrase4.DATA}}
#   备注 {{thing5.DATA}}
# thing = ≤20 characters, time = a date/time, phrase = ≤5 characters (WeChat's field types).
# 备注 carries what the person must know to act (a rollback's reason, how long an urged node
# has waited, how to answer an extension request); notices without one leave it out.
TEMPLATE_KEYS = {"task": "thing1", "due": "time2", "from": "thing3", "state": "phrase4",
                 "note": "thing5"}

QUOTA_ZONE = ZoneInfo("Asia/Shanghai")  # WeChat's daily quotas reset at midnight Beijing time
QUOTA_KEY = "twork:wx:quota_exhausted_until"


class SendDeferred(Exception):
    """Raised after a retryable failure was recorded on the row, so that RQ's Retry re-runs the job."""


# --- helpers ----------------------------------------------------------------------------------------

_PLAIN_ID = re.compile(r"[A-Za-z0-9_:.\-]{1,64}")


def client_msg_id(dedupe_key: str) -> str:
    """The dedupe key as WeChat's client_msg_id: as it is when short and plain, else a digest
    (stable, so a resend of the same row always carries the same id)."""
    if _PLAIN_ID.fullmatch(dedupe_key):
        return dedupe_key
    return "h" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:40]


def template_data(data: dict) -> dict[str, str]:
    """Our outbox fields mapped to the template's keys, each fitted to what WeChat shows
    (rows written before every field was fitted included); unknown fields are not sent."""
    return {key: fit(data[name]) for name, key in TEMPLATE_KEYS.items() if data.get(name) not in (None, "")}


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


# --- the jobs -----------------------------------------------------------------------------------------

def send_notification(notification_id: int) -> str:
    """Deliver one outbox row; returns what happened (for RQ's result and the logs)."""
    with job_connection():
        now = utcnow()
        quota_back = _quota_exhausted_until(now)
        # Another send hit 45009 today: wait without calling WeChat or using an attempt.
        if quota_back is not None and outbox.hold_until(notification_id, quota_back):
            return "deferred: daily quota"
        # The claim comes first, in one statement: the usual case costs no read before it.
        note = outbox.claim(notification_id, now) if quota_back is None else None
        if note is None:
            return _not_claimed(notification_id, now)
        openid, reason = outbox.destination(note)
        if reason:
            outbox.mark_dropped(note.id, reason)
            return f"dropped: {reason}"
        return _deliver(note, openid, now)


def _not_claimed(notification_id: int, now: datetime) -> str:
    """Why the claim took nothing (for RQ's result and the logs)."""
    note = Notification.get_or_none(Notification.id == notification_id)
    if note is None:
        return "missing"
    if note.status in ("sent", "dropped", "failed"):
        return f"already {note.status}"
    if note.status == "pending" and note.not_before > now + outbox.CLAIM_SLACK:
        return "not due"  # the sweeper enqueues it once it is
    return "claimed elsewhere"


def _deliver(note: Notification, openid: str, now: datetime) -> str:
    settings = current_settings()
    try:
        msgid = get_client(settings).send_template(
            openid, settings.WECHAT_TEMPLATE_TASK, template_data(note.data or {}),
            link_for(note, settings.PUBLIC_BASE_URL), client_msg_id(note.dedupe_key))
    except WeChatAPIError as error:
        return _handle_error(note, error, now)
    except Exception as error:
        # A bug or an unexpected library error: retry later like a transient fault, but
        # let RQ record the traceback.
        _defer(note, now, f"{type(error).__name__}: {error}", outbox.backoff(note.attempts))
        raise
    outbox.mark_sent(note.id, msgid, utcnow())
    return "sent"


def _handle_error(note: Notification, error: WeChatAPIError, now) -> str:
    text = f"{error.errcode} {error.kind}: {error.errmsg}"[:500]
    if error.kind == "unfollowed":
        outbox.mark_unfollowed(note, text)
        log.info("user %s unfollowed (43004): notifications paused", note.user_id)
        return "dropped: unfollowed"
    if error.kind == "rate_limited" and error.errcode == 45009:
        _mark_quota_exhausted(now)
        if _defer(note, now, text, (_next_quota_day(now) - now).total_seconds()):
            log.warning("WeChat daily quota reached (45009); notification %s waits until tomorrow", note.id)
            return "deferred: daily quota"
        return "failed"
    if error.retryable:
        if _defer(note, now, text, outbox.backoff(note.attempts)):
            raise SendDeferred(f"notification {note.id}: {text}")
        return "failed"
    # config / window / other: retrying cannot help and would only burn quota.
    outbox.mark_failed(note.id, text)
    log.error("notification %s failed permanently, fix the configuration: %s", note.id, text)
    return f"failed: {error.kind}"


def _defer(note: Notification, now: datetime, text: str, delay_seconds: float) -> bool:
    if outbox.defer(note, now, text, delay_seconds):
        log.warning("notification %s attempt %s failed (%s); next in %ss", note.id, note.attempts, text,
                    int(delay_seconds))
        return True
    log.error("notification %s failed after %s attempts: %s", note.id, note.attempts, text)
    return False


def sweep_outbox(limit: int = 500) -> int:
    """The safety net, every minute: enqueue every due pending row and every expired claim.
    Enqueuing a row twice is harmless, the claim lets only one job send it."""
    with job_connection():
        ids = outbox.find_due(utcnow(), limit)
    if ids:
        queue = get_queue(job_redis(), NOTIFICATIONS)
        for note_id in ids:
            enqueue_send(queue, note_id)
    return len(ids)
