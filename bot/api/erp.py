"""ERP endpoints (SPEC §5, §7): signed event ingestion, batch jobs, the kinds a scenario can
use, and archiving the finished tasks of "ERP通知".

`POST /api/v1/erp/events` is not authenticated by an API key but signed by the ERP with
the company's webhook secret:

    X-Twork-Company:   CODE
    X-Twork-Timestamp: unix seconds (refused when more than 300 s off our clock)
    X-Twork-Signature: hex HMAC-SHA256(webhook_secret, timestamp + "." + raw body)

The signature covers the exact bytes received, so it is checked before the body is parsed.
A replay inside the 300 s window changes nothing: ingestion is idempotent by event id.
Batches of more than SYNC_LIMIT events are applied by an RQ job (202 + job id to poll).
"""
import hashlib
import hmac
import json
import logging
import re
import time
import uuid

from flask import current_app, g, request
from pydantic import BaseModel, Field
from rq.exceptions import NoSuchJobError
from rq.job import Job

from bot.api.core import (COMPANY, PUBLIC, ApiError, ApiModel, Id, OutModel, Resource, Str, access,
                          actor, company_key, now)
from bot.queues import INGEST_BATCH, get_queue
from store import apikeys, erp, erp_settings
from store.conditions import OPS, OPS_BY_TYPE
from store.erp_kinds import KINDS
from store.models import Company

bp = Resource("erp", __name__)


class JobIdPath(BaseModel):
    job_id: Str(100)

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes
MAX_EVENTS = 500
SYNC_LIMIT = 50  # larger batches go to the queue, so that the ERP is answered at once
JOB_TTL = 24 * 3600  # seconds a batch's results stay available
_JOB_ID = re.compile(r"erp-[0-9a-f]{32}")
BAD_SIGNATURE = "签名无效（X-Twork-Company / X-Twork-Timestamp / X-Twork-Signature）"


# --- signature ---------------------------------------------------------------------------

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 the ERP sends (also what tests and the ERP's developers compute)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _signed_company(body: bytes) -> Company:
    """The company whose secret signed this request (these exact body bytes); 401 otherwise.
    The same read brings what ingesting its events needs (store.erp_settings)."""
    code = request.headers.get("X-Twork-Company", "").strip()
    stamp = request.headers.get("X-Twork-Timestamp", "").strip()
    given = request.headers.get("X-Twork-Signature", "").strip().lower()
    if not code or not stamp or not given:
        raise ApiError(401, "unsigned", BAD_SIGNATURE)
    if not stamp.isdigit() or len(stamp) > 12:
        raise ApiError(401, "bad_timestamp", "X-Twork-Timestamp 应为 Unix 秒数")
    skew = current_app.config["TWORK"].MAX_CLOCK_SKEW
    if abs(time.time() - int(stamp)) > skew:
        raise ApiError(401, "stale_timestamp", f"时间戳与服务器时间相差超过 {skew} 秒，请求已拒绝")
    company = erp_settings.signing_company(code)
    # Compared even for an unknown company, so that the answer's timing does not tell.
    signer = company or Company(webhook_secret="no-such-company")
    if not apikeys.signed_by(signer, stamp.encode() + b"." + body, given, now()) or not company:
        raise ApiError(401, "bad_signature", BAD_SIGNATURE)
    return company


def _read_body() -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "too_large", f"请求体不能超过 {MAX_BODY // 1024} KB")
    request.max_content_length = MAX_BODY  # also bounds a chunked body without a length
    return request.get_data(cache=True)


def _events(body: bytes) -> tuple[list, bool]:
    """(the events, whether the body was one bare event)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_json", "请求体不是合法的 JSON", str(error)[:200])
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid", "请求体应为一个事件对象，或 {\"events\": [...]}")
    if "events" not in payload:
        return [payload], True
    extra = sorted(k for k in payload if k != "events")
    if extra:
        raise ApiError(422, "invalid", f"不允许的字段：{', '.join(extra)}", {"fields": extra})
    events = payload["events"]
    if not isinstance(events, list) or not events:
        raise ApiError(422, "invalid", "events 应为非空的事件列表")
    if len(events) > MAX_EVENTS:
        raise ApiError(413, "too_many_events", f"一次最多 {MAX_EVENTS} 个事件，收到 {len(events)} 个",
                       {"max": MAX_EVENTS, "received": len(events)})
    return events, False


# --- events ------------------------------------------------------------------------------

class EventResult(OutModel):
    id: str | int | None
    status: str = Field(description="created | matched_open_task | cleared | no_match | duplicate | error")
    task_id: int | None = None
    task_ids: list[int] | None = Field(None, description="cleared: every open task marked cleared")
    reason: str | None = None


class EventsOut(OutModel):
    results: list[EventResult]
    counts: dict[str, int]


class JobQueuedOut(OutModel):
    job_id: str
    status: str
    events: int
    poll: str


class JobOut(OutModel):
    job_id: str
    status: str = Field(description="queued | started | finished | failed ...; results once finished")


def _enqueue(company: Company, events: list, received_at) -> Job | None:
    try:
        queue = get_queue(current_app.extensions["twork.redis"], "default")
        return queue.enqueue(INGEST_BATCH, company.id, events, received_at.isoformat(),
                             job_id=f"erp-{uuid.uuid4().hex}", meta={"company_id": company.id},
                             result_ttl=JOB_TTL, failure_ttl=JOB_TTL, job_timeout=600)
    except Exception:  # Redis down: better answer late than not at all
        log.exception("could not queue %d ERP events of company %s; applying them now",
                      len(events), company.id)
        return None


@bp.post("/erp/events", responses={200: EventsOut, 202: JobQueuedOut},
         summary="Push ERP events (signed with the company's webhook secret)")
@access(PUBLIC, raw_body=True)
def receive_events():
    """Body: one event `{id, kind, occurred_at, data}` or `{"events": [...]}` (≤ 500, ≤ 1 MiB).
    Headers X-Twork-Company, X-Twork-Timestamp, X-Twork-Signature (see the module doc).
    Answers each event's outcome; more than 50 events → 202 with a job id to poll.
    Situation cleared: `data` with `"cleared": true` (any kind; the document fields required,
    the rest optional) marks the document's open tasks cleared, logs it and offers their current
    handler to finish (status `cleared`, `task_ids`; `no_match` without an open task). Nothing is
    completed automatically; a later matching event is a repeat again."""
    body = _read_body()
    company = _signed_company(body)
    g.company = company
    events, single = _events(body)
    received_at = now()
    if len(events) > SYNC_LIMIT:
        job = _enqueue(company, events, received_at)
        if job is not None:
            answer = current_app.json.response(
                {"job_id": job.id, "status": "queued", "events": len(events),
                 "poll": f"/api/v1/erp/jobs/{job.id}"})
            answer.status_code = 202
            answer.headers["Location"] = f"/api/v1/erp/jobs/{job.id}"
            return answer
    results = erp.ingest_events(company.id, events, received_at, company.erp_rows)
    answer = {"results": results, "counts": erp.count_statuses(results)}
    if all(r["status"] == "error" for r in results):
        # Nothing of the request was applied: a 4xx naming the (first) problem.
        first = results[0]
        response = current_app.json.response({
            "error": "invalid", "message": first["reason"] if single else "所有事件都无效",
            "detail": first.get("detail") if single else None, **answer})
        response.status_code = 422
        return response
    return answer


@bp.get("/erp/jobs/<job_id>", responses={200: JobOut},
        summary="A queued ERP batch: its state, and the results once done")
@access(PUBLIC)
def get_job(path: JobIdPath):
    """Authenticated by the company's API key (Bearer) or signed like the events (empty body)."""
    company = _poll_company()
    g.company = company
    missing = ApiError(404, "not_found", "任务批次不存在或已过期")
    if not _JOB_ID.fullmatch(path.job_id):
        raise missing
    try:
        job = Job.fetch(path.job_id, connection=current_app.extensions["twork.redis"])
    except NoSuchJobError:
        raise missing from None
    if job.meta.get("company_id") != company.id:
        raise missing
    state = job.get_status(refresh=True)
    state = getattr(state, "value", state)
    answer = {"job_id": job.id, "status": state}
    if state == "finished":
        answer.update(job.return_value() or {})
    elif state == "failed":
        answer["error"] = "批次处理失败，请重新推送（已处理的事件会返回 duplicate）"
    return answer


def _poll_company() -> Company:
    """A key of any scope (Bearer), or signed like the events with an empty body."""
    if request.headers.get("Authorization", "").strip():
        key = company_key()
        g.api_key = key
        return key.company
    return _signed_company(b"")


# --- kinds and archiving -----------------------------------------------------------------

class KindsOut(OutModel):
    kinds: list[dict]
    operators: dict[str, list[str]]


@bp.get("/erp/kinds", responses={200: KindsOut})
@access(COMPANY, erp=True)
def list_kinds():
    """The ERP event kinds: their fields, types and document fields, and the operators per type"""
    return {"kinds": [kind.to_dict() for kind in KINDS.values()],
            "operators": {t.value: [op for op in OPS if op in ops] for t, ops in OPS_BY_TYPE.items()}}


class ArchiveIn(ApiModel):
    project_id: Id | None = Field(None, description="default: the company's ERP通知 project")


class ArchivedOut(OutModel):
    archived: list[int]
    count: int


@bp.post("/erp/archive_finished", responses={200: ArchivedOut})
@access(COMPANY)
def archive_finished(body: ArchiveIn):
    """Archive every finished task of ERP通知 (or of the project given); admins"""
    ids = erp.archive_finished(actor(), body.project_id, now())
    return {"archived": ids, "count": len(ids)}
