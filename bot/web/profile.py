"""我的资料: my name, gender and avatar (an uploaded image checked and re-encoded by
store.avatars, the same as chat's 头像), my counts as chat 我的 shows them, and the link to
change my password. Avatars are served from MEDIA_DIR to colleagues of the same company."""
from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from bot.media import avatar_response
from bot.web import bp, field_of
from handlers import texts
from store import avatars, me as me_store, users
from store.db import utcnow
from store.errors import DomainError

GENDERS = {"": "不填", "male": "男", "female": "女"}
AVATAR_REASONS = texts.AVATAR_REASON


def _page(form=None, errors=None, status=200):
    page = me_store.my_page(g.user, utcnow())
    stored = g.user.gender or ""
    gender = texts.GENDER_WORDS.get(stored, stored)  # 男 / 女 from the member form too
    return render_template("app/profile.html", page=page,
                           form=form or {"name": g.user.name, "gender": gender},
                           genders=GENDERS, errors=errors or {},
                           max_mb=avatars.MAX_BYTES // (1024 * 1024),
                           flash=request.args.get("done")), status


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    if request.method == "GET":
        return _page()
    form = {"name": request.form.get("name", ""), "gender": request.form.get("gender", "")}
    if form["gender"] not in GENDERS:
        return _page(form, {"gender": texts.GENDER_USAGE}, 422)
    try:
        users.update_user(g.user, g.user.id, name=form["name"], gender=form["gender"] or None)
    except DomainError as error:
        return _page(form, {field_of(error, "name"): error.message}, 422)
    return redirect(url_for("web.profile", done="已保存"), code=303)


UPLOAD_SLACK = 64 * 1024  # multipart headers and the CSRF field around the image


@bp.before_app_request
def _avatar_upload_limit():
    # App-level hooks run before the blueprint's (which reads the form for its CSRF check),
    # so the avatar upload gets store.avatars' limit instead of the app's smaller one.
    if request.endpoint == "web.profile_avatar":
        request.max_content_length = avatars.MAX_BYTES + UPLOAD_SLACK


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    return render_template("app/notice.html", title="文件太大",
                           message=f"头像图片{AVATAR_REASONS['too_large']}，请换一张小一些的图片。",
                           link=(url_for("web.profile"), "返回我的资料")), 413


@bp.post("/profile/avatar")
def profile_avatar():
    upload = request.files.get("avatar")
    if upload is None or not upload.filename:
        return _page(errors={"avatar": "请选择一张图片"}, status=422)
    data = upload.read(avatars.MAX_BYTES + 1)
    try:
        avatars.save_avatar(g.user.company_id, g.user.id, data,
                            current_app.config["TWORK"].MEDIA_DIR)
    except avatars.BadImage as bad:
        return _page(errors={"avatar": f"{bad.message}：{AVATAR_REASONS.get(bad.reason, bad.reason)}"},
                     status=422)
    return redirect(url_for("web.profile", done="头像已更新"), code=303)


@bp.get("/avatars/<int:user_id>")
def avatar(user_id: int):
    return avatar_response(g.user, user_id)
