"""Pushing an announcement (公告) to every WeChat-bound active user of a company
through the outbox: one Message and one Notification each, deduplicated per user."""
from datetime import datetime

from store import outbox
from store.notices import fit
from store.db import db
from store.models import Announcement, User, WeChatBinding

KIND_TITLES = {"system": "系统公告", "industry": "行业资讯", "feature": "新功能"}


def push_announcement(company_id: int, announcement: Announcement, now: datetime) -> int:
    """Queue the announcement for each bound, active user; return how many were queued."""
    recipients = (User.scoped(company_id, User.id)
                  .join(WeChatBinding, on=(WeChatBinding.user == User.id))
                  .where(User.active == True))  # noqa: E712
    queued = 0
    with db.atomic():
        for (user_id,) in recipients.tuples():
            note = outbox.notify(
                company_id, user_id, "announcement",
                title=f"{KIND_TITLES.get(announcement.kind, '公告')}：{announcement.title}",
                body=announcement.body,
                data={"task": fit(announcement.title), "due": "", "from": "Twork",
                      "state": KIND_TITLES.get(announcement.kind, "公告")},
                dedupe_key=f"announcement:{announcement.id}:{user_id}", now=now)
            queued += note is not None
    return queued
