"""A user's messages (消息: read/unread, 待处理 pending), announcements (公告) and
feedback (反馈) to the service team.

Messages are written by `store.outbox.notify`; this module only reads them and changes
their read / pending marks. Every query names the user's company and the user, so a
message id of someone else answers NotFound, never the message.
"""
from datetime import datetime

from peewee import Case

from store import announcements, outbox
from store.notices import fit
from store.db import db, utcnow
from store.errors import Invalid, NotFound, Refused
from store.models import Announcement, Company, Feedback, Message, User

FEEDBACK_STATUSES = ("open", "replied", "closed")
FEEDBACK_KINDS = ("consult", "requirement")
FEEDBACK_MAX = 2000


def _own(user: User):
    return Message.scoped(user.company_id).where(Message.user == user.id)


def list_messages(user: User, *, limit: int = 20, offset: int = 0) -> list[Message]:
    """The user's messages: unread first, then newest first."""
    unread_first = Case(None, [(Message.read_at.is_null(), 0)], 1)
    query = (_own(user)
             .order_by(unread_first, Message.created_at.desc(), Message.id.desc())
             .limit(limit).offset(offset))
    return list(query)


def count_messages(user: User) -> int:
    """How many messages the user has."""
    return _own(user).count()


def count_pending(user: User) -> int:
    """How many of the user's messages are marked 待处理."""
    return _own(user).where(Message.pending == True).count()  # noqa: E712


def count_unread(user: User) -> int:
    """How many of the user's messages are unread."""
    return _own(user).where(Message.read_at.is_null()).count()


def get_message(user: User, message_id: int) -> Message:
    """One of the user's messages; NotFound for anyone else's."""
    message = _own(user).where(Message.id == message_id).first()
    if message is None:
        raise NotFound("消息不存在")
    return message


def mark_read(user: User, message_ids, *, now: datetime | None = None) -> int:
    """Mark these of the user's messages read; return how many changed.

    Ids of other users' messages, or of messages already read, are skipped: the first
    read time is kept."""
    ids = [int(i) for i in message_ids]
    if not ids:
        return 0
    return (Message.update(read_at=now or utcnow())
            .where(Message.company == user.company_id, Message.user == user.id,
                   Message.id.in_(ids), Message.read_at.is_null())
            .execute())


def mark_all_read(user: User, *, now: datetime | None = None) -> int:
    """Mark every unread message of the user read; return how many changed."""
    return (Message.update(read_at=now or utcnow())
            .where(Message.company == user.company_id, Message.user == user.id,
                   Message.read_at.is_null())
            .execute())


def set_pending(user: User, message_id: int, pending: bool) -> Message:
    """Mark (True) or unmark (False) one of the user's messages 待处理, read or not."""
    message = get_message(user, message_id)
    (Message.update(pending=bool(pending))
     .where(Message.id == message.id, Message.user == user.id).execute())
    message.pending = bool(pending)
    return message


def list_pending(user: User, *, limit: int = 50, offset: int = 0) -> list[Message]:
    """The user's messages marked 待处理, newest first."""
    return list(_own(user).where(Message.pending == True)  # noqa: E712 (SQL, not Python)
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(limit).offset(offset))


# ---- announcements -------------------------------------------------------------------

def list_announcements(company_id: int, limit: int = 10) -> list[Announcement]:
    """The company's announcements and the platform-wide ones, newest first."""
    return list(Announcement.select()
                .where((Announcement.company == company_id) | Announcement.company.is_null(),
                       Announcement.draft == False)  # noqa: E712 (SQL, not Python)
                .order_by(Announcement.published_at.desc(), Announcement.id.desc())
                .limit(limit))


def create_announcement(company_id: int | None, kind: str, title: str, body: str = "", *,
                        now: datetime | None = None) -> Announcement:
    """Publish an announcement for one company, or for every company (company_id None).

    kind is system (系统公告), industry (行业资讯) or feature (新功能)."""
    kind, title, body = announcements.check_fields(kind, title, body)
    return Announcement.create(company=company_id, kind=kind, title=title, body=body,
                               published_at=now or utcnow())


# ---- feedback ------------------------------------------------------------------------

def create_feedback(user: User, body: str, *, now: datetime | None = None,
                    kind: str = "consult") -> Feedback:
    """Send a consultation (consult) or requirement to the service team."""
    if kind not in FEEDBACK_KINDS:
        raise Invalid("反馈类型只能是 consult / requirement", {"field": "kind", "kind": kind})
    body = (body or "").strip()
    if not body:
        raise Invalid("反馈内容不能为空")
    if len(body) > FEEDBACK_MAX:
        raise Invalid(f"反馈内容不能超过{FEEDBACK_MAX}字", {"length": len(body)})
    return Feedback.create(company=user.company_id, user=user.id, kind=kind, body=body,
                           created_at=now or utcnow())


def list_feedback(company_id: int, status: str | None = None) -> list[Feedback]:
    """The company's feedback, newest first, optionally only one status."""
    query = Feedback.scoped(company_id)
    if status is not None:
        if status not in FEEDBACK_STATUSES:
            raise Invalid("反馈状态只能是 open / replied / closed", {"status": status})
        query = query.where(Feedback.status == status)
    return list(query.order_by(Feedback.created_at.desc(), Feedback.id.desc()))


def get_feedback(company_id: int, feedback_id: int) -> Feedback:
    """One feedback of the company; NotFound for another company's."""
    feedback = Feedback.scoped(company_id).where(Feedback.id == feedback_id).first()
    if feedback is None:
        raise NotFound("反馈不存在")
    return feedback


def reply_feedback(company_id: int, feedback_id: int, reply: str, now: datetime) -> Feedback:
    """Answer a feedback once; the answer reaches its author as a message and a push."""
    reply = (reply or "").strip()
    if not reply:
        raise Invalid("回复内容不能为空")
    if len(reply) > FEEDBACK_MAX:
        raise Invalid(f"回复内容不能超过{FEEDBACK_MAX}字", {"length": len(reply)})
    with db.atomic():
        feedback = get_feedback(company_id, feedback_id)
        # The WHERE on status makes two admins replying at once safe: one update wins,
        # and the dedupe key below could not carry a second reply anyway.
        changed = (Feedback.update(status="replied", reply=reply, replied_at=now)
                   .where(Feedback.id == feedback.id, Feedback.status == "open").execute())
        if not changed:
            raise Refused("该反馈已回复或已关闭", {"status": feedback.status})
        # The template's fields (task / due / from / state, see jobs.notify.TEMPLATE_KEYS)
        # carry the reply itself: WeChat shows at most 20 characters of each field.
        outbox.notify(company_id, feedback.user_id, "feedback_reply",
                      title="您的反馈已回复", body=reply,
                      data={"task": fit(reply), "due": _local_time(company_id, now),
                            "from": "服务团队", "state": "已回复"},
                      dedupe_key=f"feedback:{feedback.id}:reply", now=now)
    return get_feedback(company_id, feedback_id)



def _local_time(company_id: int, now: datetime) -> str:
    return now.astimezone(Company.zone_of(company_id)).strftime("%m-%d %H:%M")


def close_feedback(company_id: int, feedback_id: int) -> Feedback:
    """Close a feedback (answered or not); closing twice is harmless."""
    feedback = get_feedback(company_id, feedback_id)
    Feedback.update(status="closed").where(Feedback.id == feedback.id).execute()
    feedback.status = "closed"
    return feedback
