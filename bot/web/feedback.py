"""咨询反馈: a person sends a consultation or a requirement and reads the answers; company
admins work the service desk (list, reply, close). A reply reaches its author in 消息 and on
WeChat with its text (store.messages.reply_feedback). Rules in store.feedback."""
from flask import g, redirect, render_template, request, url_for

from bot.web import ADMIN, bp, field_of, require_role
from bot.web.paging import fetch_page
from store import feedback as store, messages as message_store
from store.db import utcnow
from store.errors import DomainError, Invalid, Refused

KIND_NAMES = {"consult": "咨询", "requirement": "需求"}
STATUS_NAMES = {"open": "待回复", "replied": "已回复", "closed": "已关闭"}


@bp.context_processor
def _feedback_names():
    return {"FEEDBACK_KINDS": KIND_NAMES, "FEEDBACK_STATUSES": STATUS_NAMES}


def _mine(form=None, errors=None, status=200):
    page = fetch_page(lambda limit, offset: store.list_own(g.user, limit=limit, offset=offset))
    return render_template("app/feedback.html", page=page, form=form or {"kind": "consult"},
                           errors=errors or {}, flash=request.args.get("done")), status


@bp.route("/feedback", methods=["GET", "POST"])
def feedback():
    if request.method == "GET":
        return _mine()
    form = {"kind": request.form.get("kind", ""), "body": request.form.get("body", "")}
    try:
        message_store.create_feedback(g.user, form["body"], kind=form["kind"], now=utcnow())
    except DomainError as error:
        return _mine(form, {field_of(error, "body"): error.message}, 422)
    return redirect(url_for("web.feedback", done="已提交，服务团队回复后会在微信和这里通知你"), code=303)


def _desk(errors=None, typed=None, status=200):
    status_filter = request.args.get("status", "")
    status_filter = status_filter if status_filter in STATUS_NAMES else None
    page = fetch_page(lambda limit, offset: store.list_desk(g.user, status_filter, limit=limit,
                                                            offset=offset))
    return render_template("app/feedback_desk.html", page=page, status=status_filter,
                           open_count=store.count_open(g.user),
                           errors=errors or {}, typed=typed or {},
                           flash=request.args.get("done")), status


@bp.get("/feedback/desk")
def feedback_desk():
    require_role(ADMIN)
    return _desk()


@bp.post("/feedback/desk/<int:feedback_id>/reply")
def feedback_reply(feedback_id: int):
    require_role(ADMIN)
    text = request.form.get("reply", "")
    try:
        store.reply(g.user, feedback_id, text, now=utcnow())
    except (Invalid, Refused) as error:  # NotFound: the blueprint's 404 page
        return _desk({feedback_id: error.message}, {feedback_id: text}, error.status)
    return redirect(url_for("web.feedback_desk", done="已回复，用户会在微信收到回复内容"), code=303)


@bp.post("/feedback/desk/<int:feedback_id>/close")
def feedback_close(feedback_id: int):
    require_role(ADMIN)
    store.close(g.user, feedback_id)
    return redirect(url_for("web.feedback_desk", done="已关闭"), code=303)
