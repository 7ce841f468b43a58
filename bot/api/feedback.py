"""Feedback (反馈): users send consultations and requirements; admins list, reply
(the reply reaches the user as a message and a push) and close them."""
from typing import Literal

from flask import g

from bot.api.core import (COMPANY, USER, ApiModel, OutModel, Page, Str, iso, now, page_of,
                          paginate, require_user, route, slice_fetch)
from store import messages as message_store

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


@route("POST", "/feedback", auth=USER, body=FeedbackIn, response=FeedbackOut, status=201,
       tag="feedback")
def create_feedback(body: FeedbackIn):
    """Send feedback as the acting user"""
    return feedback_out(message_store.create_feedback(require_user(), body.body, now=now()))


@route("GET", "/feedback", auth=COMPANY, roles=ADMIN, query=FeedbackQuery,
       response=page_of(FeedbackOut), tag="feedback")
def list_feedback(query: FeedbackQuery):
    """The company's feedback, newest first"""
    rows = message_store.list_feedback(g.company.id, query.status)
    return paginate(slice_fetch(rows), query, feedback_out)


@route("GET", "/feedback/<id:feedback_id>", auth=COMPANY, roles=ADMIN, response=FeedbackOut,
       tag="feedback")
def get_feedback(feedback_id: int):
    """One feedback"""
    return feedback_out(message_store.get_feedback(g.company.id, feedback_id))


@route("POST", "/feedback/<id:feedback_id>/reply", auth=COMPANY, roles=ADMIN, body=ReplyIn,
       response=FeedbackOut, tag="feedback")
def reply_feedback(feedback_id: int, body: ReplyIn):
    """Reply to a feedback once (409 when already replied or closed)"""
    return feedback_out(message_store.reply_feedback(g.company.id, feedback_id, body.reply, now()))


@route("POST", "/feedback/<id:feedback_id>/close", auth=COMPANY, roles=ADMIN,
       response=FeedbackOut, tag="feedback")
def close_feedback(feedback_id: int):
    """Close a feedback"""
    return feedback_out(message_store.close_feedback(g.company.id, feedback_id))
