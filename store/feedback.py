"""The feedback desk (咨询反馈) with the actor first: a person's own consultations and
requirements, and the company admins' desk that lists, replies to and closes them. The
reply itself (a message and a WeChat notice carrying its text) is store.messages'."""
from datetime import datetime

from store import messages
from store.db import utcnow
from store.errors import Forbidden, Invalid
from store.models import Feedback, User


def _require_desk(actor: User) -> None:
    if not actor.is_company_admin:
        raise Forbidden("只有公司管理员可以处理咨询反馈")


def list_own(actor: User, *, limit: int = 20, offset: int = 0) -> list[Feedback]:
    """What the actor sent, newest first, with the answers."""
    return list(Feedback.scoped(actor.company_id).where(Feedback.user == actor.id)
                .order_by(Feedback.created_at.desc(), Feedback.id.desc())
                .limit(limit).offset(offset))


def list_desk(actor: User, status: str | None = None, *, limit: int = 20,
              offset: int = 0) -> list[Feedback]:
    """The company's feedback for the desk (with its author), newest first, optionally
    of one status."""
    _require_desk(actor)
    query = (Feedback.select(Feedback, User).join(User, on=(Feedback.user == User.id))
             .where(Feedback.company == actor.company_id))
    if status:
        if status not in messages.FEEDBACK_STATUSES:
            raise Invalid("反馈状态只能是 open / replied / closed", {"status": status})
        query = query.where(Feedback.status == status)
    return list(query.order_by(Feedback.created_at.desc(), Feedback.id.desc())
                .limit(limit).offset(offset))


def count_open(actor: User) -> int:
    _require_desk(actor)
    return Feedback.scoped(actor.company_id).where(Feedback.status == "open").count()


def get_desk(actor: User, feedback_id: int) -> Feedback:
    _require_desk(actor)
    return messages.get_feedback(actor.company_id, feedback_id)


def reply(actor: User, feedback_id: int, text: str, *, now: datetime | None = None) -> Feedback:
    """Answer an open feedback; its author gets the text in 消息 and on WeChat."""
    _require_desk(actor)
    return messages.reply_feedback(actor.company_id, feedback_id, text, now or utcnow())


def close(actor: User, feedback_id: int) -> Feedback:
    _require_desk(actor)
    return messages.close_feedback(actor.company_id, feedback_id)
