"""Pages for the WeChat in-app browser (SPEC §6): the login page, a task's page and my page.

Who is looking is learnt through OAuth snsapi_base (the openid, kept in Flask's signed
session cookie) and the openid's WeChat binding; see bot.pages.auth. The pages call the
same store functions as chat and the API, so the rules are the same everywhere. Plain HTML
and CSS, no JavaScript: it loads fast in the in-app browser and the CSP can forbid scripts.
"""
from flask import Blueprint, Flask

bp = Blueprint("pages", __name__, url_prefix="/m", template_folder="templates")

# No scripts at all; inline <style> and images from https (avatars) are all the pages use.
# bot.hardening adds the app-wide headers (anti-framing, nosniff, referrer) and the cookie flags.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",  # the pages show one person's tasks
}


@bp.after_request
def _secure(response):
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register(app: Flask) -> None:
    from bot.pages import auth, todo, views  # noqa: F401  (their routes attach to bp on first import)
    app.register_blueprint(bp)
