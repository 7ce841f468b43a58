"""Helpers for tests of the pages: open one as a WeChat user through OAuth, read its form."""
import re
from urllib.parse import parse_qs, urlencode, urlparse

from store import users
from tests.factories import NOW, PASSWORD


def oauth(client, wechat_mock, openid, path="/m/login"):
    """Open `path` as the WeChat user `openid`: follow the OAuth round trip like WeChat does."""
    first = client.get(path)
    assert first.status_code == 302, first.data
    target = urlparse(first.headers["Location"])
    assert target.netloc == "open.weixin.qq.com" and target.fragment == "wechat_redirect"
    query = parse_qs(target.query)
    assert query["scope"] == ["snsapi_base"] and query["appid"] == ["wxtest00000001"]
    back = urlparse(query["redirect_uri"][0])
    assert back.netloc == "twork.test"
    args = parse_qs(back.query)
    args.update(code=[wechat_mock.oauth_code(openid)], state=query["state"])
    landed = client.get(back.path, query_string=urlencode(args, doseq=True))
    assert landed.status_code == 302  # back to the page itself, without the single-use code
    clean = urlparse(landed.headers["Location"])
    assert "code=" not in clean.query
    return client.get(clean.path, query_string=clean.query)


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def bound(client, wechat_mock, user, path, openid=None):
    openid = openid or f"o-{user.account}"
    users.bind_wechat_by_login(openid, "acme", user.account, PASSWORD, NOW)
    return oauth(client, wechat_mock, openid, path)


def text(response) -> str:
    return response.get_data(as_text=True)
