"""The RQ job that ingests a large batch of ERP events (POST /api/v1/erp/events answers
202 with the job's id, polled at GET /api/v1/erp/jobs/<id>; enqueued by name,
bot.queues.INGEST_BATCH).

Re-running the job is harmless: ingestion is idempotent by event id, so events already
applied by an earlier run come back as `duplicate` with their task ids."""
from datetime import datetime

from bot.queues import enqueue_created_notifications
from jobs.runtime import job_connection, job_redis
from store import erp


def ingest_batch(company_id: int, events: list, received_at: str) -> dict:
    """Apply the events as received at `received_at` (ISO 8601: deadlines count from then)."""
    with job_connection():
        results = erp.ingest_events(company_id, events, datetime.fromisoformat(received_at))
        enqueue_created_notifications(job_redis())
    return {"results": results, "counts": erp.count_statuses(results)}
