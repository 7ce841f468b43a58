"""Pages for the WeChat in-app browser (SPEC §6): the login page, a task's page and my page.

Who is looking is learnt through OAuth snsapi_base (the openid, kept in Flask's signed
session cookie) and the openid's WeChat binding; see bot.pages.auth. The pages call the
same store functions as chat and the API, so the rules are the same everywhere. Plain HTML
and CSS, no JavaScript: it loads fast in the in-app browser and the CSP can forbid scripts.
"""
import hashlib
import hmac
import os

from flask import Blueprint, Flask

bp = Blueprint("pages", __name__, url_prefix="/m", template_folder="templates")

# No scripts at all; inline <style> and images from https (avatars) are all the pages use.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # the pages show one person's tasks
}


@bp.after_request
def _secure(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def session_secret(settings) -> str:
    """SECRET_KEY from the environment, else derived from secrets the deployment already has
    (so that every gunicorn process, on every machine, signs cookies with the same key)."""
    explicit = os.environ.get("SECRET_KEY", "").strip()
    if explicit:
        return explicit
    material = f"{settings.WECHAT_APPSECRET}\0{settings.TWORK_PLATFORM_KEY or ''}".encode()
    return hmac.new(material, b"twork pages session v1", hashlib.sha256).hexdigest()


def register(app: Flask) -> None:
    settings = app.config["TWORK"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = session_secret(settings)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    if settings.PUBLIC_BASE_URL.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True

    from bot.pages import auth, views  # noqa: F401  (their routes attach to bp on first import)
    app.register_blueprint(bp)
