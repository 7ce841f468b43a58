"""公告与资讯: system announcements, industry news (跨境眼) and new features. Everyone reads
the published ones; company admins write drafts, edit, publish and push one to WeChat (a
message per bound member, so it is in chat 消息 too). Rules in store.announcements."""
from flask import g, redirect, render_template, request, url_for

from bot.web import ADMIN, bp, field_of, require_role
from bot.web.paging import fetch_page
from handlers import texts
from store import announcements as store
from store.db import utcnow
from store.errors import DomainError


@bp.app_template_global()
def announcement_kind(kind: str) -> str:
    return texts.ANNOUNCEMENT_KIND.get(kind, kind)


@bp.get("/announcements")
def announcements():
    kind = request.args.get("kind", "")
    kind = kind if kind in store.KINDS else None
    page = fetch_page(lambda limit, offset: store.list_for(g.user, kind, limit=limit,
                                                           offset=offset))
    return render_template("app/announcements.html", page=page, kind=kind, kinds=store.KINDS,
                           flash=request.args.get("done"))


@bp.get("/announcements/<int:announcement_id>")
def announcements_show(announcement_id: int):
    item = store.get_for(g.user, announcement_id)
    return render_template("app/announcement.html", item=item, flash=request.args.get("done"),
                           error=request.args.get("error"))


def _form() -> dict:
    return {"kind": request.form.get("kind", ""), "title": request.form.get("title", ""),
            "body": request.form.get("body", ""), "push": bool(request.form.get("push"))}


def _form_page(item, form, error: DomainError | None = None):
    errors = {}
    if error is not None:
        errors[field_of(error)] = error.message
    return render_template("app/announcement_form.html", item=item, form=form, errors=errors,
                           kinds=store.KINDS), 422 if error else 200


@bp.route("/announcements/new", methods=["GET", "POST"])
def announcements_new():
    require_role(ADMIN)
    if request.method == "GET":
        return _form_page(None, {"kind": "system", "title": "", "body": "", "push": False})
    form = _form()
    publish = request.form.get("action") == "publish"
    try:
        item = store.create(g.user, form["kind"], form["title"], form["body"], publish=publish,
                            push=publish and form["push"], now=utcnow())
    except DomainError as error:
        return _form_page(None, form, error)
    done = ("已发布并推送到微信" if item.pushed_at else "已发布") if publish else "已保存草稿"
    return redirect(url_for("web.announcements_show", announcement_id=item.id, done=done), code=303)


@bp.route("/announcements/<int:announcement_id>/edit", methods=["GET", "POST"])
def announcements_edit(announcement_id: int):
    require_role(ADMIN)
    item = store.get_for(g.user, announcement_id)
    if request.method == "GET":
        return _form_page(item, {"kind": item.kind, "title": item.title, "body": item.body,
                                 "push": False})
    form = _form()
    publish = request.form.get("action") == "publish"
    try:
        item = store.update(g.user, announcement_id, form["kind"], form["title"], form["body"],
                            now=utcnow())
        if publish:
            item = store.publish_announcement(g.user, item.id, push=form["push"], now=utcnow())
    except DomainError as error:
        return _form_page(item, form, error)
    done = "已保存" if not publish else ("已发布并推送到微信" if form["push"] else "已发布")
    return redirect(url_for("web.announcements_show", announcement_id=item.id, done=done), code=303)


@bp.post("/announcements/<int:announcement_id>/push")
def announcements_push(announcement_id: int):
    require_role(ADMIN)
    try:
        queued = store.push_announcement(g.user, announcement_id, now=utcnow())
    except DomainError as error:
        return redirect(url_for("web.announcements_show", announcement_id=announcement_id,
                                error=error.message), code=303)
    return redirect(url_for("web.announcements_show", announcement_id=announcement_id,
                            done=f"已推送给 {queued} 位已绑定微信的成员"), code=303)
