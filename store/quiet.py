"""Quiet hours (SPEC §9 "digest, not spam"): when a notice that is not urgent may reach a
person. Every notice goes through `store.outbox.notify`, which asks `holds` here, so the
rule holds for workflow notices, leave hand-overs and announcements as it does for
reminders: one raised during quiet hours waits until they end (+ HOLD_MARGIN, which gives
the morning summary time to collect it before the sweeper would send it), or until the
digest for those who get it. store.reminders then sends one summary instead of the night's
backlog.

Company.settings keys (all optional):
    "quiet_hours": {"start": "22:00", "end": "08:00"} or ["22:00", "08:00"]; null/false = off
    "digest_at":   "09:00"  the daily digest (and the daily overdue reminder) time
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from store.models import Company, User

DEFAULT_QUIET = (time(22, 0), time(8, 0))
DEFAULT_DIGEST_AT = time(9, 0)
HOLD_MARGIN = timedelta(minutes=5)
# A digest arriving this soon after quiet hours end absorbs the held notices.
DIGEST_ABSORBS_WITHIN = timedelta(hours=4)


def _clock(value, default: time) -> time:
    if isinstance(value, str) and ":" in value:
        hours, minutes = value.split(":", 1)
        return time(int(hours), int(minutes))
    return default


def quiet_hours(company: Company) -> tuple[time, time] | None:
    """(start, end) in company time, or None when the company switched quiet hours off."""
    settings = company.settings or {}
    if "quiet_hours" not in settings:
        return DEFAULT_QUIET
    value = settings["quiet_hours"]
    if not value:
        return None
    if isinstance(value, dict):
        value = (value.get("start"), value.get("end"))
    start, end = _clock(value[0], DEFAULT_QUIET[0]), _clock(value[1], DEFAULT_QUIET[1])
    return None if start == end else (start, end)


def digest_time(company: Company) -> time:
    return _clock((company.settings or {}).get("digest_at"), DEFAULT_DIGEST_AT)


def at_clock(day, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)


def quiet_until(company: Company, now: datetime) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None outside quiet hours."""
    window = quiet_hours(company)
    if window is None:
        return None
    start, end = window
    tz = company.zone
    local = now.astimezone(tz)
    clock, today = local.time(), local.date()
    if start < end:  # e.g. 12:00–13:30, inside one day
        return at_clock(today, end, tz) if start <= clock < end else None
    if clock >= start:  # the window crosses midnight: 22:00–08:00
        return at_clock(today + timedelta(days=1), end, tz)
    if clock < end:
        return at_clock(today, end, tz)
    return None


def hold_until(company: Company, user: User, now: datetime) -> datetime | None:
    """not_before for a non-urgent notice raised `now` for `user`, or None to send at once."""
    end = quiet_until(company, now)
    if end is None:
        return None
    if user.digest_opt_in:
        tz = company.zone
        digest = at_clock(end.astimezone(tz).date(), digest_time(company), tz)
        if end <= digest <= end + DIGEST_ABSORBS_WITHIN:
            end = digest
    return end + HOLD_MARGIN


def holds(company: Company | int, user_ids, now: datetime) -> dict[int, datetime]:
    """not_before of a non-urgent notice raised `now` for each of `user_ids` that must wait;
    empty outside quiet hours (then only the company is read, or nothing when given)."""
    if not isinstance(company, Company):
        company = Company.get_or_none(Company.id == company)
    if company is None or quiet_until(company, now) is None:
        return {}
    users = User.select().where(User.id.in_(list(user_ids)), User.company == company.id)
    return {user.id: hold_until(company, user, now) for user in users}
