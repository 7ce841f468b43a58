"""Serving files users gave us from our own storage folder (MEDIA_DIR): avatars, to people
signed in to the same company only. store.avatars wrote every such file (a JPEG it
re-encoded); the path comes from the user row, never from the request."""
import os

from flask import abort, current_app, send_from_directory

from store.models import User


def avatar_response(viewer: User, user_id: int):
    """The avatar of `user_id` for `viewer` (a colleague or themself), or 404."""
    owner = User.scoped(viewer.company_id).where(User.id == user_id).first()
    if owner is None or not owner.avatar:
        abort(404)
    media_dir = os.path.abspath(current_app.config["TWORK"].MEDIA_DIR)
    response = send_from_directory(media_dir, owner.avatar, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
