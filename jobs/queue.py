"""RQ queues, and the hand-off of outbox rows to the workers after a commit.

Without a Redis server (demo mode) the queue runs each job inline, in this process.
"""
import logging

from rq import Queue

from bot.redis_conn import is_fake
from store import outbox

log = logging.getLogger(__name__)


def get_queue(redis, name: str = "default") -> Queue:
    return Queue(name, connection=redis, is_async=not is_fake(redis))


def enqueue_created_notifications(redis) -> int:
    """Enqueue a send for each notification created in this context. A failure here
    loses nothing: the rows stay pending and the sweeper enqueues them later."""
    ids = outbox.take_created()
    if not ids:
        return 0
    from jobs.notify import enqueue_send
    try:
        queue = get_queue(redis, "notifications")
        for note_id in ids:
            enqueue_send(queue, note_id)
    except Exception:
        log.exception("could not enqueue notifications %s; the sweeper will retry", ids)
        return 0
    return len(ids)
