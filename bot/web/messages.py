"""消息: the signed-in person's messages (unread first, as chat lists them), one message in
full (opening it marks it read), read marks, and 待处理 marks with the pending list. The
same store.messages functions as chat 消息 / 标记 / 取消标记 / 待处理 and the API."""
from flask import g, render_template, request, url_for

from bot.hardening import local_path
from bot.web import bp, is_htmx, saved_then
from bot.web.paging import fetch_page
from store import messages as message_store
from store.db import utcnow

VIEWS = {"all": "全部消息", "pending": "待处理"}


@bp.app_template_filter("desk_time")
def desk_time(value) -> str:
    """A stored UTC time as the company's local "2026-12-01 18:00"."""
    if value is None:
        return ""
    return value.astimezone(g.company.zone).strftime("%Y-%m-%d %H:%M")


def _view() -> str:
    view = request.args.get("view", "all")
    return view if view in VIEWS else "all"


@bp.get("/messages")
def messages():
    view = _view()
    if view == "pending":
        page = fetch_page(lambda limit, offset: message_store.list_pending(
            g.user, limit=limit, offset=offset))
    else:
        page = fetch_page(lambda limit, offset: message_store.list_messages(
            g.user, limit=limit, offset=offset))
    return render_template("app/messages.html", page=page, view=view, views=VIEWS,
                           unread=message_store.count_unread(g.user),
                           pending=message_store.count_pending(g.user))


@bp.get("/messages/<int:message_id>")
def messages_show(message_id: int):
    message = message_store.get_message(g.user, message_id)
    if message.read_at is None:
        message_store.mark_read(g.user, [message.id], now=utcnow())
        message = message_store.get_message(g.user, message_id)
    return render_template("app/message.html", m=message)


def _row(message_id: int):
    """The message's row again (htmx swaps it in), or back to where the form was sent."""
    if is_htmx():
        return render_template("app/_message_row.html",
                               m=message_store.get_message(g.user, message_id))
    return saved_then(local_path(request.form.get("back"), "/app/") or url_for("web.messages"))


@bp.post("/messages/<int:message_id>/read")
def messages_read(message_id: int):
    message_store.get_message(g.user, message_id)  # NotFound for anyone else's
    message_store.mark_read(g.user, [message_id], now=utcnow())
    return _row(message_id)


@bp.post("/messages/<int:message_id>/pending")
def messages_pending(message_id: int):
    message_store.set_pending(g.user, message_id, True)
    return _row(message_id)


@bp.post("/messages/<int:message_id>/unpending")
def messages_unpending(message_id: int):
    message_store.set_pending(g.user, message_id, False)
    return _row(message_id)


@bp.post("/messages/read-all")
def messages_read_all():
    message_store.mark_all_read(g.user, now=utcnow())
    return saved_then(url_for("web.messages"))
