"""Announcements (公告: system notice, industry news, new feature), optionally pushed to
every WeChat-bound user of the company through the outbox."""
from typing import Literal

from flask import g
from pydantic import Field

from bot.api.core import (COMPANY, ApiModel, OutModel, Page, Resource, Str, access, actor, iso,
                          now, page_of, paginate)
from store import announcements, messages as message_store
from store.db import db

bp = Resource("announcements", __name__)


ADMIN = ("company_admin",)


class AnnouncementIn(ApiModel):
    kind: Literal["system", "industry", "feature"] = "system"
    title: Str(200)
    body: Str(5000, min_length=0) = ""
    push: bool = Field(False, description="also send it to every bound user on WeChat")


class AnnouncementOut(OutModel):
    id: int
    kind: str
    title: str
    body: str
    platform_wide: bool
    published_at: str


class AnnouncementCreated(AnnouncementOut):
    pushed: int


def announcement_out(item) -> dict:
    return {"id": item.id, "kind": item.kind, "title": item.title, "body": item.body,
            "platform_wide": item.company_id is None, "published_at": iso(item.published_at)}


@bp.get("/announcements", responses={200: page_of(AnnouncementOut)})
@access(COMPANY)
def list_announcements(query: Page):
    """The company's and the platform's announcements, newest first"""
    def fetch(limit, offset):
        return message_store.list_announcements(g.company.id, limit=offset + limit)[offset:]
    return paginate(fetch, query, announcement_out)


@bp.post("/announcements", responses={201: AnnouncementCreated})
@access(COMPANY, roles=ADMIN)
def create_announcement(body: AnnouncementIn):
    """Publish an announcement for the company; `push: true` queues it to every bound user"""
    at, admin = now(), actor()
    with db.atomic():  # the same publication and once-only push as the console's
        item = announcements.create(admin, body.kind, body.title, body.body, publish=True, now=at)
        pushed = announcements.push_announcement(admin, item.id, now=at) if body.push else 0
    return {**announcement_out(item), "pushed": pushed}, 201
