"""The browser side of the local WeChat mock: what WeChat's in-app browser does for a page
behind OAuth snsapi_base, so that the local console can open the pages as a WeChat user.

    GET /_mock/open?openid=X&url=U           remembers X for this browser (a cookie on the
                                             mock's address) and goes on to the page U
    GET /connect/oauth2/authorize?...        WeChat's authorize step: back to redirect_uri
                                             with a single-use code for that openid and the
                                             page's own state (set WECHAT_OAUTH_URL to
                                             <mock>/connect/oauth2/authorize)
    POST /_mock/media?type=image/jpeg        stores the body as temporary media; answers
                                             {"media_id"} (what a user's image message carries)

The page then exchanges the code at /sns/oauth2/access_token like with WeChat.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

COOKIE = "mock_wechat_openid"
AUTHORIZE_PATH = "/connect/oauth2/authorize"


class Redirect:
    """A 302 answer, optionally setting a cookie."""

    def __init__(self, location: str, cookie: tuple[str, str] | None = None):
        self.location, self.cookie = location, cookie


def open_url(mock_base: str, openid: str, url: str) -> str:
    """The address that opens `url` in a browser signed in as `openid` (for the console)."""
    return f"{mock_base.rstrip('/')}/_mock/open?{urlencode({'openid': openid, 'url': url})}"


def open_as(query: dict) -> tuple[int, object]:
    openid, url = query.get("openid"), query.get("url", "")
    if not openid or urlsplit(url).scheme not in ("http", "https"):
        return 400, {"error": "need openid and an http(s) url"}
    return 302, Redirect(url, (COOKIE, openid))


def authorize(mock, query: dict, cookies: dict) -> tuple[int, object]:
    openid = cookies.get(COOKIE)
    back = query.get("redirect_uri", "")
    if query.get("appid") != mock.appid and mock.appid is not None:
        return 400, {"error": "invalid appid"}
    if not openid or urlsplit(back).scheme not in ("http", "https"):
        return 400, {"error": "open the page through /_mock/open (the console prints the link)"}
    parts = urlsplit(back)
    args = urlencode({"code": mock.oauth_code(openid), "state": query.get("state", "")})
    query_string = f"{parts.query}&{args}" if parts.query else args
    return 302, Redirect(urlunsplit(parts._replace(query=query_string)))


def store_media(mock, query: dict, body: bytes) -> tuple[int, object]:
    if not body:
        return 400, {"error": "empty body"}
    media_id = "MOCKMEDIA_" + secrets.token_hex(8)
    with mock._lock:
        mock.media[media_id] = (body, query.get("type") or "image/jpeg")
    return 200, {"media_id": media_id}
