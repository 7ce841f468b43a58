"""Outbound calls to the WeChat API: one access token per deployment, one retry, typed errors.

wechatpy 1.8.18 is kept for its thin API wrappers, but not for its token handling:
its token URL is hard-coded, its 40001 auto-retry recurses without bound, it takes no lock around a refresh and it
sets no timeouts. `TworkClient` owns all of that instead:

* the token comes from `stable_token` (normal mode), fetched under a Redis lock and cached in Redis, so web, worker
  and scheduler processes share one token and never refresh it out from under each other;
* every request has an explicit `(connect, read)` timeout, the token fetch and the OAuth exchange included;
* on 40001/42001/40014 the cached token is dropped and the call is retried exactly once; every other failure becomes
  a `WeChatAPIError` whose `kind` tells the caller what to do (back-off for 45009 and 5xx is the caller's job: RQ Retry).

Without Redis (demo mode) the token lives in process memory behind a threading lock.

Official docs:
- stable access token: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
- access token rules: https://developers.weixin.qq.com/doc/service/en/Basic_Information/Get_access_token.html
- template message: https://developers.weixin.qq.com/doc/service/api/notify/template/api_sendtemplatemessage.md
- customer-service message: https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
- OAuth code exchange: https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken
- call limits: https://developers.weixin.qq.com/doc/service/Message_Management/API_Call_Limits.html
- parametric QR codes: https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_TIMEOUT = (3.05, 10)
TEMPLATE_FIELD_LIMIT = 20

TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
_KIND_BY_ERRCODE = {
    -1: "transient",  # "system busy"
    45009: "rate_limited",  # daily quota reached
    45011: "rate_limited",  # per-minute frequency limit
    43004: "unfollowed",
    45015: "window",  # outside the customer-service window
    45047: "window",  # customer-service message count used up
    **{code: "token" for code in TOKEN_ERRCODES},
    **{
        code: "config"
        for code in (
            40002,  # invalid grant_type
            40003,  # invalid openid
            40013,  # invalid appid
            40018, 40019, 40054, 40055,  # menu name / key / url out of bounds
            40037,  # invalid template_id
            40066,  # invalid url
            40125,  # invalid appsecret
            40164,  # caller IP not on the whitelist
            41002, 41004,  # appid / secret missing
            47003,  # invalid template argument
            48001,  # API not authorised for this account
        )
    },
}


class WeChatAPIError(Exception):
    """A WeChat API call failed. `kind` says what to do about it:

    token         the token was rejected again after one refresh and retry
    rate_limited  45009/45011: back off (45009 is a daily quota: until tomorrow)
    unfollowed    43004: the user no longer follows the account; record it, don't retry
    config        bad appid/secret/template/IP whitelist/...: alert, don't retry
    transient     -1, HTTP 5xx, timeout, connection error: retry later
    window        45015/45047: outside the customer-service window; use a template message instead
    other         anything else
    """

    def __init__(self, errcode: int | None, errmsg: str | None, kind: str, *, http_status: int | None = None):
        super().__init__(f"WeChat API error {errcode} ({kind}): {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.kind = kind
        self.http_status = http_status

    def __reduce__(self):  # keep it picklable despite the keyword-only argument
        return type(self), (self.errcode, self.errmsg, self.kind), {"http_status": self.http_status}

    @property
    def retryable(self) -> bool:
        return self.kind in ("transient", "rate_limited", "token")


def _error_for(errcode: int | None, errmsg: str | None, http_status: int | None = None) -> WeChatAPIError:
    if errcode is None:
        kind = "transient" if http_status is None or http_status >= 500 else "other"
    else:
        kind = _KIND_BY_ERRCODE.get(errcode, "other")
    return WeChatAPIError(errcode, errmsg, kind, http_status=http_status)


def _error_from_exception(exc: Exception) -> WeChatAPIError:
    if isinstance(exc, WeChatClientException):
        response = getattr(exc, "response", None)
        status = response.status_code if response is not None else None
        return _error_for(exc.errcode, exc.errmsg, status)
    return WeChatAPIError(None, f"{type(exc).__name__}: {exc}", "transient")


def _check_result(result: Any) -> dict:
    if not isinstance(result, dict):
        raise WeChatAPIError(None, "response is not a JSON object", "transient")
    errcode = int(result.get("errcode") or 0)
    if errcode:
        raise _error_for(errcode, result.get("errmsg"))
    return result


def fit_field(text: object, limit: int = TEMPLATE_FIELD_LIMIT) -> str:
    """Make a template-message field what WeChat will show: one line, at most `limit` characters.

    Since 2023-05 WeChat silently cuts each field to 20 characters and drops newlines; doing it ourselves
    means the text we store is the text that was sent.
    """
    line = " ".join(str(text or "").split())
    if len(line) <= limit:
        return line
    return line[: limit - 1] + "…"


class _MemoryTTLStorage(SessionStorage):
    """In-process token storage that honours the TTL (wechatpy's MemoryStorage ignores it)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[Any, float | None]] = {}

    def get(self, key, default=None):
        value, expires_at = self._data.get(key, (default, None))
        if expires_at is not None and time.monotonic() >= expires_at:
            self._data.pop(key, None)
            return default
        return value

    def set(self, key, value, ttl=None):
        if value is not None:
            self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    def delete(self, key):
        self._data.pop(key, None)


class TworkClient(WeChatClient):
    """wechatpy's client with our own token lifecycle, timeouts and error mapping (see the module docstring)."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        redis: redis_lib.Redis | None = None,
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
    ):
        self.api_base = api_base.rstrip("/")
        # Read as self.API_BASE_URL by wechatpy for every endpoint of the client.
        self.API_BASE_URL = f"{self.api_base}/cgi-bin/"
        self._redis = redis
        storage = RedisStorage(redis, prefix="wx") if redis is not None else _MemoryTTLStorage()
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self._thread_lock = threading.Lock()

    # --- access token -------------------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        # Redis expires the key itself (TTL expires_in - 300), so no per-instance expires_at as in wechatpy.
        return self.session.get(self.access_token_key) or self.fetch_access_token()

    def fetch_access_token(self, stale_token: str | None = None) -> str:
        """Return a usable token, fetching one from `stable_token` only if the cache has none.

        `stale_token` is a token the API just rejected: a cached token equal to it is replaced, while a different
        one (another process refreshed meanwhile) is used as it is.
        """
        with self._token_lock():
            cached = self.session.get(self.access_token_key)
            if cached and cached != stale_token:
                return cached
            token, expires_in = self._request_stable_token()
            # The platform rotates a stable token up to 5 minutes before expires_in; stop using it before that.
            self.session.set(self.access_token_key, token, max(60, expires_in - 300))
            return token

    @contextlib.contextmanager
    def _token_lock(self) -> Iterator[None]:
        if self._redis is None:
            if not self._thread_lock.acquire(timeout=10):
                raise WeChatAPIError(None, "timed out waiting for the token lock", "transient")
            try:
                yield
            finally:
                self._thread_lock.release()
            return
        lock = self._redis.lock(f"wx:{self.appid}:token_lock", timeout=15, blocking_timeout=10)
        if not lock.acquire():
            raise WeChatAPIError(None, "timed out waiting for the token lock", "transient")
        try:
            yield
        finally:
            with contextlib.suppress(redis_lib.exceptions.LockError):
                lock.release()

    def _request_stable_token(self) -> tuple[str, int]:
        logger.info("fetching a WeChat access token for %s", self.appid)
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": False}
        result = _json_call(lambda: self._http.post(f"{self.api_base}/cgi-bin/stable_token",
                                                    json=body, timeout=self.timeout), "token")
        if not result.get("access_token"):
            raise WeChatAPIError(None, "token response has no access_token", "transient")
        return result["access_token"], int(result.get("expires_in", 7200))

    # --- every API call -----------------------------------------------------------------------------------

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        token = self.access_token
        try:
            return self._request_once(method, url_or_endpoint, token, kwargs)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            logger.warning("WeChat rejected the access token (%s); refreshing and retrying once", exc.errcode)
        token = self.fetch_access_token(stale_token=token)
        return self._request_once(method, url_or_endpoint, token, kwargs)

    def _request_once(self, method, url_or_endpoint, token, kwargs):
        params = dict(kwargs.get("params") or {})
        params["access_token"] = token
        try:
            return super()._request(method, url_or_endpoint, **{**kwargs, "params": params})
        except (WeChatClientException, requests.RequestException) as exc:
            raise _error_from_exception(exc) from exc

    # --- the calls Twork makes ------------------------------------------------------------------------------

    def send_template(
        self, openid: str, template_id: str, data: dict[str, str], url: str | None, client_msg_id: str
    ) -> int | None:
        """Send a template message; return its msgid (matched later by TEMPLATESENDJOBFINISH).

        `client_msg_id` makes WeChat drop a resend of the same message to the same user within 10 minutes.
        """
        body = {
            "touser": openid,
            "template_id": template_id,
            "client_msg_id": client_msg_id,
            "data": {key: {"value": fit_field(value)} for key, value in data.items()},
        }
        if url:
            body["url"] = url
        return _check_result(self.post("message/template/send", data=body)).get("msgid")

    def send_text(self, openid: str, text: str) -> None:
        """Send a customer-service text message (only inside the user's interaction window)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        _check_result(self.post("message/custom/send", data=body))

    def create_menu(self, menu: dict) -> None:
        _check_result(self.post("menu/create", data=menu))

    def create_qrcode(self, scene: str, expire_seconds: int) -> dict:
        """A temporary QR code whose scan pushes SCAN (or subscribe) with EventKey = `scene`:
        {"ticket", "expire_seconds", "url"}; `url` is what the QR image encodes."""
        body = {"expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE",
                "action_info": {"scene": {"scene_str": scene}}}
        return _check_result(self.post("qrcode/create", data=body))

    def get_menu(self) -> dict:
        """The current menu as WeChat returns it ({"menu": {...}, ...}); {} when none is set (46003)."""
        try:
            return _check_result(self.get("menu/get"))
        except WeChatAPIError as exc:
            if exc.errcode == 46003:
                return {}
            raise


# --- scan-to-bind ----------------------------------------------------------------------------------------

BIND_SCENE_PREFIX = "bind:"  # scene_str is at most 64 characters; a binding code is 8


def bind_scene(code: str) -> str:
    return BIND_SCENE_PREFIX + code


def code_from_scene(scene: str | None) -> str | None:
    """The binding code a scanned scene carries, or None for any other scene."""
    if scene and scene.startswith(BIND_SCENE_PREFIX):
        return scene[len(BIND_SCENE_PREFIX):] or None
    return None


# --- factory ----------------------------------------------------------------------------------------------

def _setting(settings: Any, name: str, default: Any = None) -> Any:
    """Read a setting from an object with attributes or from a mapping such as Flask's app.config."""
    value = settings.get(name) if isinstance(settings, Mapping) else getattr(settings, name, None)
    return default if value is None or value == "" else value


_clients: dict[tuple, TworkClient] = {}
_clients_lock = threading.Lock()


def get_client(settings: Any, *, redis: redis_lib.Redis | None = None) -> TworkClient:
    """The client for these settings, shared within the process (one HTTP session, one token cache).

    `settings` needs WECHAT_APPID, WECHAT_APPSECRET, WECHAT_API_BASE and REDIS_URL; WECHAT_TIMEOUT is optional.
    Pass `redis=` to reuse an existing connection; with neither it nor REDIS_URL the token is kept in memory.
    """
    appid = _setting(settings, "WECHAT_APPID")
    secret = _setting(settings, "WECHAT_APPSECRET")
    api_base = _setting(settings, "WECHAT_API_BASE", DEFAULT_API_BASE)
    redis_url = _setting(settings, "REDIS_URL")
    timeout = _setting(settings, "WECHAT_TIMEOUT", DEFAULT_TIMEOUT)
    if isinstance(timeout, list):
        timeout = tuple(timeout)
    key = (appid, secret, api_base, id(redis) if redis is not None else redis_url, timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            if redis is None and redis_url:
                redis = redis_lib.Redis.from_url(redis_url)
            client = TworkClient(appid, secret, api_base=api_base, redis=redis, timeout=timeout)
            _clients[key] = client
        return client


def clear_clients() -> None:
    """Forget the cached clients (tests, or after the settings change)."""
    with _clients_lock:
        _clients.clear()


# --- OAuth (web pages) ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OAuthIdentity:
    openid: str
    # A "snapshot mode" visitor (article preview in Moments) has a virtual openid that must not be bound.
    is_snapshot_user: bool = False


def fetch_oauth_identity(settings: Any, code: str) -> OAuthIdentity:
    """Exchange an snsapi_base `code` for the visitor's openid. A code is single-use and lives 5 minutes."""
    api_base = _setting(settings, "WECHAT_API_BASE", DEFAULT_API_BASE).rstrip("/")
    params = {
        "appid": _setting(settings, "WECHAT_APPID"),
        "secret": _setting(settings, "WECHAT_APPSECRET"),
        "code": code,
        "grant_type": "authorization_code",
    }
    timeout = _setting(settings, "WECHAT_TIMEOUT", DEFAULT_TIMEOUT)
    result = _json_call(lambda: requests.get(f"{api_base}/sns/oauth2/access_token", params=params,
                                             timeout=timeout), "OAuth")
    if not result.get("openid"):
        raise WeChatAPIError(None, "OAuth response has no openid", "other")
    return OAuthIdentity(result["openid"], bool(result.get("is_snapshotuser")))


def _json_call(send, what: str) -> dict:
    """Send one request outside wechatpy's client and return its checked JSON result,
    every failure mapped to a WeChatAPIError."""
    try:
        response = send()
    except requests.RequestException as exc:
        raise _error_from_exception(exc) from exc
    if response.status_code >= 400:
        raise _error_for(None, response.reason, response.status_code)
    try:
        return _check_result(response.json())
    except ValueError as exc:
        raise WeChatAPIError(None, f"{what} response is not JSON", "transient") from exc


def exchange_oauth_code(settings: Any, code: str) -> str:
    """The openid for an snsapi_base `code` (see fetch_oauth_identity for the snapshot-user flag)."""
    return fetch_oauth_identity(settings, code).openid
