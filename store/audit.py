"""The audit log (SPEC §11): one row per change made through the API, the web console or
an operator command — when, company, acting user, key, channel, action, target, a summary
of the change without secrets, and the client address. Company admins read and filter it.

Rows are written where a change enters (bot/audit.py for the API and the console, the
operator commands in bot/cli.py), never by the views one by one."""
from datetime import datetime

from store.errors import Forbidden
from store.models import AuditEntry, User

CHANNELS = ("api", "console", "operator")
SECRET_WORDS = ("password", "secret", "api_key", "token", "csrf", "key_hash", "csv")
REDACTED = "***"
MAX_TEXT = 200


def redact(data):
    """`data` with every secret-looking field replaced and long text cut."""
    if isinstance(data, dict):
        return {k: REDACTED if any(w in str(k).lower() for w in SECRET_WORDS) else redact(v)
                for k, v in list(data.items())[:50]}
    if isinstance(data, list):
        return [redact(v) for v in data[:50]]
    if isinstance(data, str) and len(data) > MAX_TEXT:
        return data[:MAX_TEXT] + "…"
    return data


def record(company_id: int, *, channel: str, action: str, actor: User | None = None,
           api_key_id: int | None = None, target: str = "", summary: dict | None = None,
           client: str = "", now: datetime | None = None) -> AuditEntry:
    values = dict(company=company_id, channel=channel, action=action[:100],
                  actor=actor.id if actor is not None and actor.id else None,
                  actor_name=(actor.name if actor is not None else "")[:64],
                  api_key=api_key_id, target=target[:200], summary=redact(summary or {}),
                  client=(client or "")[:64])
    if now is not None:
        values["at"] = now
    return AuditEntry.create(**values)


def _query(actor: User, *, actor_id=None, action=None, target=None, since=None, until=None,
           before_id=None):
    if actor is None or not actor.active or not actor.is_company_admin:
        raise Forbidden("只有公司管理员可以查看操作日志")
    query = AuditEntry.scoped(actor.company_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor == actor_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if target:
        query = query.where(AuditEntry.target == target)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return query


def list_entries(actor: User, limit: int = 50, offset: int = 0, **filters) -> list[AuditEntry]:
    """The company's audit rows, newest (highest id) first, filtered by acting user id,
    action (prefix), target, time range and `before_id` (a cursor: rows older than the last
    one seen) — company admins only."""
    return list(_query(actor, **filters).order_by(AuditEntry.id.desc())
                .limit(limit).offset(offset))


def count_entries(actor: User, **filters) -> int:
    return _query(actor, **filters).count()
