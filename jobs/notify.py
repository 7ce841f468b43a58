"""RQ jobs that deliver the outbox (store.models.Notification) as WeChat template messages.

`send_notifications(ids)` is the only code that talks to WeChat for notifications: one job
per batch of rows (bot.queues.enqueue_sends, at most SEND_BATCH ids), `send_notification(id)`
the same for one row. A job claims its rows in one statement (`store.outbox.claim_many`, a
guarded UPDATE … RETURNING, so that two workers cannot both send a row; rows sent, dropped or
rescheduled since they were enqueued are simply not taken), reads where each goes in one
query (`store.outbox.destinations`), sends each with the process's WeChat client and
`client_msg_id` = the row's dedupe key (WeChat itself drops a resend within 10 minutes), and
records the outcomes through `store.outbox`:

    success                              -> sent (+ msgid, matched later by TEMPLATESENDJOBFINISH),
                                            all of the batch in one statement at its end
    token (after the client's one retry),
    -1, 5xx, timeout, connection error   -> deferred: pending again, not_before = now + backoff;
                                            failed after MAX_ATTEMPTS
    45009 (daily quota)                  -> deferred until tomorrow 00:05 Beijing time, with the
                                            batch's rows not yet sent (no attempt spent)
    43004 (user unfollowed)              -> the user's binding paused, the row dropped (and the
                                            batch's later rows to that user)
    config (40037 template, 47003 args,
    40003 openid, IP whitelist, ...)     -> failed at once, logged as an error; no retry

Retries use RQ's own `Retry` (bot.queues.SEND_RETRY): after a deferred send the job raises
`SendDeferred` once the whole batch is recorded, and RQ runs it again after the matching
interval; its sent rows are not claimed again. The row, not the RQ job, is the source of
truth: the sweeper (`sweep_outbox`, every minute) re-enqueues every pending row that is due,
and every claimed row whose worker died (a claim is a lease).
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from datetime import datetime, time as dtime, timedelta
from zoneinfo import ZoneInfo

from bot.queues import NOTIFICATIONS, enqueue_sends, get_queue
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
# A batch stops sending this long after its claim, well inside the claim's lease.
BATCH_TIME = outbox.LEASE / 2


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

def send_notifications(notification_ids: list[int]) -> str:
    """Deliver a batch of outbox rows; returns how many had each outcome (for RQ's result and
    the logs)."""
    results = _send(notification_ids)
    counts = Counter(outcome.split(":")[0] for outcome in results.values())
    counts["not claimed"] = len(set(notification_ids)) - len(results)
    return ", ".join(f"{outcome} {n}" for outcome, n in counts.items() if n) or "nothing"


def send_notification(notification_id: int) -> str:
    """Deliver one outbox row; returns what happened (for RQ's result and the logs)."""
    outcome = _send([notification_id]).get(notification_id)
    if outcome is not None:
        return outcome
    with job_connection():
        return _not_claimed(notification_id, utcnow())


def _send(ids: list[int]) -> dict[int, str]:
    """id -> outcome of every row this call held, dropped or claimed; raises SendDeferred
    (after recording every outcome) when a retryable failure deferred one of them."""
    with job_connection():
        now = utcnow()
        quota_back = _quota_exhausted_until(now)
        # Another send hit 45009 today: wait without calling WeChat or using an attempt.
        if quota_back is not None:
            return dict.fromkeys(outbox.hold_until(ids, quota_back), "deferred: daily quota")
        # The claim comes first, in one statement: the usual case costs no read before it.
        order = {note_id: n for n, note_id in enumerate(ids)}
        batch = _Batch(claimed_at=now)
        notes = sorted(outbox.claim_many(ids, now), key=lambda note: order[note.id])
        try:
            batch.deliver(notes)
        finally:
            batch.record()
        if batch.error is not None:  # let RQ record the traceback, and retry like a transient fault
            raise batch.error
        if batch.retry:
            raise SendDeferred(batch.retry)
        return batch.results


class _Batch:
    """The claimed rows of one job, sent one after the other with the process's WeChat client
    (one keep-alive session); the common outcomes (sent, dropped) are written together at
    the end, the rare ones (deferred, failed, unfollowed) as they happen.

    A worker that dies before `record` leaves its rows claimed: they are sent again after the
    lease with the same client_msg_id, which WeChat drops within 10 minutes. The batch stops
    sending after BATCH_TIME, well inside the lease, so no second worker can take a row while
    this one may still send it; the rest is given back and enqueued again."""

    def __init__(self, claimed_at: datetime):
        self.claimed_at = claimed_at
        self.results: dict[int, str] = {}
        self.sent: dict[int, object] = {}
        self.dropped: dict[int, str] = {}
        self.unfollowed: set[int] = set()
        self.retry: str | None = None
        self.error: Exception | None = None

    def deliver(self, notes: list[Notification]) -> None:
        if not notes:
            return
        settings = current_settings()
        client = get_client(settings)
        where = outbox.destinations(notes)
        for n, note in enumerate(notes):
            if utcnow() - self.claimed_at > BATCH_TIME:
                return self._give_back(notes[n:])
            openid, reason = where[note.id]
            if note.user_id in self.unfollowed:  # 43004 earlier in this batch
                openid, reason = None, "user does not follow the account"
            if reason:
                self.dropped[note.id] = reason
                self.results[note.id] = f"dropped: {reason}"
                continue
            try:
                msgid = client.send_template(
                    openid, settings.WECHAT_TEMPLATE_TASK, template_data(note.data or {}),
                    link_for(note, settings.PUBLIC_BASE_URL), client_msg_id(note.dedupe_key))
            except WeChatAPIError as error:
                self.results[note.id] = self._handle_error(note, error)
                if error.errcode == 45009:  # the quota is spent for every remaining row too
                    return self._hold(notes[n + 1:], _next_quota_day(utcnow()))
            except Exception as error:
                # A bug, an unexpected library error or the job's timeout: stop here, and let
                # RQ record the traceback and run the job again like after a transient fault.
                text = f"{type(error).__name__}: {error}"
                self.results[note.id] = "deferred" if _defer(note, utcnow(), text, outbox.backoff(note.attempts)) \
                    else "failed"
                self.error = error
                outbox.release([later.id for later in notes[n + 1:]], utcnow())
                return
            else:
                self.sent[note.id] = msgid
                self.results[note.id] = "sent"

    def record(self) -> None:
        outbox.mark_sent(self.sent, utcnow())
        outbox.mark_dropped(self.dropped)

    def _hold(self, notes: list[Notification], until: datetime) -> None:
        outbox.release([note.id for note in notes], until)
        self.results.update((note.id, "deferred: daily quota") for note in notes)

    def _give_back(self, notes: list[Notification]) -> None:
        ids = [note.id for note in notes]
        outbox.release(ids, utcnow())
        self.results.update((note_id, "deferred: out of time") for note_id in ids)
        log.warning("a send batch ran out of time; %s notifications enqueued again", len(ids))
        try:
            enqueue_sends(get_queue(job_redis(), NOTIFICATIONS), ids)
        except Exception:  # the sweeper finds them
            log.warning("could not enqueue notifications %s again; the sweeper will", ids, exc_info=True)

    def _handle_error(self, note: Notification, error: WeChatAPIError) -> str:
        now = utcnow()
        text = f"{error.errcode} {error.kind}: {error.errmsg}"[:500]
        if error.kind == "unfollowed":
            outbox.mark_unfollowed(note, text)
            self.unfollowed.add(note.user_id)
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
                self.retry = self.retry or f"notification {note.id}: {text}"
                return "deferred"
            return "failed"
        # config / window / other: retrying cannot help and would only burn quota.
        outbox.mark_failed(note.id, text)
        log.error("notification %s failed permanently, fix the configuration: %s", note.id, text)
        return f"failed: {error.kind}"


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


def _defer(note: Notification, now: datetime, text: str, delay_seconds: float) -> bool:
    if outbox.defer(note, now, text, delay_seconds):
        log.warning("notification %s attempt %s failed (%s); next in %ss", note.id, note.attempts, text,
                    int(delay_seconds))
        return True
    log.error("notification %s failed after %s attempts: %s", note.id, note.attempts, text)
    return False


def sweep_outbox(limit: int = 500) -> int:
    """The safety net, every minute: enqueue every due pending row and every expired claim,
    in batches. Enqueuing a row twice is harmless, the claim lets only one job send it."""
    with job_connection():
        ids = outbox.find_due(utcnow(), limit)
    if ids:
        enqueue_sends(get_queue(job_redis(), NOTIFICATIONS), ids)
    return len(ids)
