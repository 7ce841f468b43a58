"""Announcements (公告与资讯) as the console manages them: system announcements, industry
news (跨境眼) and new features. Everyone reads the published ones (their company's and the
platform-wide ones); company admins write their company's: save a draft, edit, publish,
and push one to WeChat (a message and a notice per bound user, through store.broadcasts),
at most once.
"""
from datetime import datetime

from store import broadcasts
from store.db import db, utcnow
from store.errors import Forbidden, Invalid, NotFound, Refused
from store.models import Announcement, User

KINDS = ("system", "industry", "feature")
TITLE_MAX, BODY_MAX = 200, 5000


def check_fields(kind: str, title: str, body: str) -> tuple[str, str, str]:
    """The kind, title and body as stored, or Invalid naming the field."""
    if kind not in KINDS:
        raise Invalid("公告类型只能是 system / industry / feature", {"field": "kind", "kind": kind})
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise Invalid("公告标题不能为空", {"field": "title"})
    if len(title) > TITLE_MAX:
        raise Invalid(f"公告标题不能超过{TITLE_MAX}字", {"field": "title"})
    if len(body) > BODY_MAX:
        raise Invalid(f"公告正文不能超过{BODY_MAX}字", {"field": "body", "length": len(body)})
    return kind, title, body


def _require_admin(actor: User) -> None:
    if not actor.is_company_admin:
        raise Forbidden("只有公司管理员可以发布公告")


def _visible(actor: User):
    query = Announcement.select().where((Announcement.company == actor.company_id)
                                        | Announcement.company.is_null())
    if not actor.is_company_admin:
        query = query.where(Announcement.draft == False)  # noqa: E712 (SQL, not Python)
    return query


def list_for(actor: User, kind: str | None = None, *, limit: int = 20,
             offset: int = 0) -> list[Announcement]:
    """What the actor may read, newest first: published ones, and drafts for admins."""
    query = _visible(actor)
    if kind in KINDS:
        query = query.where(Announcement.kind == kind)
    return list(query.order_by(Announcement.draft.desc(), Announcement.published_at.desc(),
                               Announcement.id.desc()).limit(limit).offset(offset))


def get_for(actor: User, announcement_id: int) -> Announcement:
    item = _visible(actor).where(Announcement.id == announcement_id).first()
    if item is None:
        raise NotFound("公告不存在")
    return item


def _own(actor: User, announcement_id: int) -> Announcement:
    """One of the actor's company's announcements, for an admin to change."""
    _require_admin(actor)
    item = (Announcement.select().where(Announcement.id == announcement_id,
                                        Announcement.company == actor.company_id).first())
    if item is None:
        raise NotFound("公告不存在")
    return item


def create(actor: User, kind: str, title: str, body: str = "", *, publish: bool = False,
           push: bool = False, now: datetime | None = None) -> Announcement:
    """A new announcement of the actor's company: a draft, or published (and pushed)."""
    _require_admin(actor)
    kind, title, body = check_fields(kind, title, body)
    now = now or utcnow()
    with db.atomic():
        item = Announcement.create(company=actor.company_id, kind=kind, title=title, body=body,
                                   published_at=now, draft=True)
        if publish:
            item = publish_announcement(actor, item.id, push=push, now=now)
    return item


def update(actor: User, announcement_id: int, kind: str, title: str, body: str = "", *,
           now: datetime | None = None) -> Announcement:
    """Edit an announcement; a published one stays published (a push is not repeated)."""
    item = _own(actor, announcement_id)
    kind, title, body = check_fields(kind, title, body)
    (Announcement.update(kind=kind, title=title, body=body, updated_at=now or utcnow())
     .where(Announcement.id == item.id).execute())
    return Announcement.get_by_id(item.id)


def publish_announcement(actor: User, announcement_id: int, *, push: bool = False,
                         now: datetime | None = None) -> Announcement:
    """Publish a draft (its time becomes the publication time); with `push`, queue it to
    every bound member of the company. Publishing a published one only pushes, if asked."""
    now = now or utcnow()
    with db.atomic():
        item = _own(actor, announcement_id)
        if item.draft:
            (Announcement.update(draft=False, published_at=now)
             .where(Announcement.id == item.id).execute())
        if push:
            _push(actor, item.id, now)
    return Announcement.get_by_id(item.id)


def push_announcement(actor: User, announcement_id: int, *, now: datetime | None = None) -> int:
    """Push a published announcement to WeChat; return how many people it was queued for."""
    now = now or utcnow()
    with db.atomic():
        item = _own(actor, announcement_id)
        if item.draft:
            raise Refused("草稿不能推送，请先发布")
        return _push(actor, item.id, now)


def _push(actor: User, announcement_id: int, now: datetime) -> int:
    # The WHERE claims the push: two admins pressing at once queue it once.
    claimed = (Announcement.update(pushed_at=now)
               .where(Announcement.id == announcement_id, Announcement.pushed_at.is_null())
               .execute())
    if not claimed:
        raise Refused("这条公告已经推送过了")
    return broadcasts.push_announcement(actor.company_id, Announcement.get_by_id(announcement_id),
                                        now)
