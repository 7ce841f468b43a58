"""接口密钥 (API keys): company admins create keys of a scope, see them listed by prefix,
rotate and revoke them (a new key is shown once, on the page that made it), and rotate the
ERP webhook secret with an overlap window."""
from datetime import timedelta

from flask import g, redirect, render_template, request, url_for

from bot.web import ADMIN, bp, require_role
from bot.web.paging import fetch_page
from store import apikeys
from store.db import utcnow
from store.errors import DomainError


def _page(new_key=None, error=None, form=None, status=200):
    page = fetch_page(lambda limit, offset: apikeys.list_keys(g.user, limit, offset))
    return render_template("app/keys.html", page=page, new_key=new_key, error=error,
                           form=form or {}, scopes=apikeys.SCOPE_LABELS,
                           done=request.args.get("done")), status


@bp.route("/settings/keys", methods=["GET", "POST"])
def keys():
    require_role(ADMIN)
    if request.method == "GET":
        return _page()
    form = {"name": request.form.get("name", ""), "scope": request.form.get("scope", "")}
    try:
        row, plain = apikeys.create_key(g.user, form["name"], form["scope"])
    except DomainError as error:
        return _page(error=error.message, form=form, status=422)
    return _page(new_key=(row, plain))


@bp.post("/settings/keys/<int:key_id>/rotate")
def keys_rotate(key_id: int):
    require_role(ADMIN)
    try:
        row, plain = apikeys.rotate_key(g.user, key_id, utcnow())
    except DomainError as error:
        return _page(error=error.message, status=error.status)
    return _page(new_key=(row, plain))


@bp.post("/settings/keys/webhook-secret")
def keys_rotate_secret():
    require_role(ADMIN)
    raw = request.form.get("overlap_hours", "24").strip()
    try:
        hours = int(raw) if raw.isdigit() and len(raw) < 5 else -1
        company = apikeys.rotate_webhook_secret(g.user, utcnow(), timedelta(hours=hours))
    except DomainError as error:
        return _page(error=error.message, status=422)
    until = company.previous_secret_until.astimezone(company.zone).strftime("%Y-%m-%d %H:%M")
    return redirect(url_for("web.keys", done=f"已生成新的 Webhook 密钥；旧密钥在 {until} 前仍然有效"),
                    code=303)


@bp.post("/settings/keys/<int:key_id>/revoke")
def keys_revoke(key_id: int):
    require_role(ADMIN)
    key = apikeys.revoke_key(g.user, key_id, utcnow())
    return redirect(url_for("web.keys", done=f"已吊销密钥 {key.name}（{key.prefix}…）"), code=303)
