"""The RQ job that ingests a large batch of ERP events (POST /api/v1/erp/events answers
202 with the job's id, polled at GET /api/v1/erp/jobs/<id>).

Re-running the job is harmless: ingestion is idempotent by event id, so events already
applied by an earlier run come back as `duplicate` with their task ids."""
from datetime import datetime

from jobs.notify import job_connection
from jobs.queue import enqueue_created_notifications
from store import erp

INGEST_BATCH = "jobs.erp.ingest_batch"


def ingest_batch(company_id: int, events: list, received_at: str) -> dict:
    """Apply the events as received at `received_at` (ISO 8601: deadlines count from then)."""
    with job_connection():
        results = erp.ingest_events(company_id, events, datetime.fromisoformat(received_at))
    from rq import get_current_job
    job = get_current_job()
    if job is not None:
        enqueue_created_notifications(job.connection)
    return {"results": results, "counts": erp.count_statuses(results)}
