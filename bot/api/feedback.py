"""Feedback (反馈): users send consultations and requirements; admins list, reply
(the reply reaches the user as a message and a push) and close them."""
from typing import Literal

from flask import g
from pydantic import BaseModel

from bot.api.core import (COMPANY, USER, ApiModel, OutModel, Page, PathId, Resource, Str, access,
                          iso, now, page_of, paginate_list, require_user)
from store import messages as message_store

bp = Resource("feedback", __name__)


class FeedbackIdPath(BaseModel):
    feedback_id: PathId

ADMIN = ("company_admin",)


class FeedbackIn(ApiModel):
    body: Str(2000)


class FeedbackQuery(Page):
    status: Literal["open", "replied", "closed"] | None = None


class ReplyIn(ApiModel):
    reply: Str(2000)


class FeedbackOut(OutModel):
    id: int
    user_id: int
    body: str
    status: Literal["open", "replied", "closed"]
    reply: str | None
    created_at: str
    replied_at: str | None


def feedback_out(item) -> dict:
    return {"id": item.id, "user_id": item.user_id, "body": item.body, "status": item.status,
            "reply": item.reply, "created_at": iso(item.created_at),
            "replied_at": iso(item.replied_at)}


@bp.post("/feedback", responses={201: FeedbackOut})
@access(USER)
def create_feedback(body: FeedbackIn):
    """Send feedback as the acting user"""
    return feedback_out(message_store.create_feedback(require_user(), body.body, now=now())), 201


@bp.get("/feedback", responses={200: page_of(FeedbackOut)})
@access(COMPANY, roles=ADMIN)
def list_feedback(query: FeedbackQuery):
    """The company's feedback, newest first"""
    rows = message_store.list_feedback(g.company.id, query.status)
    return paginate_list(rows, query, feedback_out)


@bp.get("/feedback/<id:feedback_id>", responses={200: FeedbackOut})
@access(COMPANY, roles=ADMIN)
def get_feedback(path: FeedbackIdPath):
    """One feedback"""
    return feedback_out(message_store.get_feedback(g.company.id, path.feedback_id))


@bp.post("/feedback/<id:feedback_id>/reply", responses={200: FeedbackOut})
@access(COMPANY, roles=ADMIN)
def reply_feedback(path: FeedbackIdPath, body: ReplyIn):
    """Reply to a feedback once (409 when already replied or closed)"""
    return feedback_out(message_store.reply_feedback(g.company.id, path.feedback_id, body.reply, now()))


@bp.post("/feedback/<id:feedback_id>/close", responses={200: FeedbackOut})
@access(COMPANY, roles=ADMIN)
def close_feedback(path: FeedbackIdPath):
    """Close a feedback"""
    return feedback_out(message_store.close_feedback(g.company.id, path.feedback_id))
