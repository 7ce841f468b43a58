"""A local HTTP mock of the WeChat API, for tests, the demo service and the local console.

It answers the endpoints Twork calls (stable_token/token, template and customer-service messages, menu,
OAuth code exchange, temporary QR codes, temporary media downloads: put the bytes in `.media[media_id]`) the way WeChat does as far as Twork can tell: tokens are checked (40001), a
`client_msg_id` resent within 10 minutes is accepted but delivered once, an OAuth code works once (40163).
It records every call and every delivered message, and can be told to fail (`inject`, `invalidate_token`).

Another process (the local console) can read the deliveries at `GET /_mock/sent?openid=X&after=N`, get an
OAuth code at `GET /_mock/oauth_code?openid=X`, and open pages as a WeChat user (bot.mock_browser). Run it
standalone with `python -m bot.mock_wechat --port 8011`.
"""
from __future__ import annotations

import argparse
import itertools
import json
import logging
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

from bot import mock_browser

logger = logging.getLogger(__name__)

CLIENT_MSG_ID_WINDOW = 600  # seconds WeChat dedupes on openid + client_msg_id
TOKEN_EXPIRES_IN = 7200


class MockWeChat:
    """The mock server. `start()` it, point WECHAT_API_BASE at `.base_url`, `stop()` it (or use `with`)."""

    def __init__(self, *, appid: str | None = None, secret: str | None = None, port: int = 0):
        self.appid = appid  # None: accept any appid / secret
        self.secret = secret
        self.port = port
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> MockWeChat:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="mock-wechat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> MockWeChat:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- state and helpers ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget calls, deliveries, faults, menu, codes and the token."""
        with self._lock:
            self.calls: list[dict] = []
            self.sent: list[dict] = []
            self.token_fetches = 0
            self.menu: dict | None = None
            self._token: str | None = None
            self._faults: list[dict] = []
            self.media: dict[str, tuple[bytes, str]] = {}  # media_id -> (bytes, content type)
            self._recent_client_msg_ids: dict[tuple[str, str], tuple[float, int]] = {}
            self._oauth_codes: dict[str, str | None] = {}  # code -> openid, None once used
            self.qrcodes: dict[str, str] = {}  # ticket -> scene
            self._msgids = itertools.count(1_000_001)

    def sent_to(self, openid: str, template: str | None = None) -> list[dict]:
        with self._lock:
            return [m for m in self.sent if m["openid"] == openid and (template is None or m["template_id"] == template)]

    def calls_to(self, path: str) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if c["path"].endswith(path)]

    def inject(self, path: str, *, errcode: int | None = None, http_status: int | None = None,
               delay: float | None = None, times: int = 1) -> None:
        """The next `times` calls to a path ending with `path` answer `errcode` / `http_status` / after `delay` s."""
        with self._lock:
            self._faults.append(
                {"path": path, "errcode": errcode, "http_status": http_status, "delay": delay, "left": times}
            )

    def invalidate_token(self) -> None:
        """The current token now answers 40001, as after expiry; the next token fetch issues a new one."""
        with self._lock:
            self._token = None

    def oauth_code(self, openid: str) -> str:
        """A single-use OAuth code that /sns/oauth2/access_token exchanges for `openid`."""
        code = secrets.token_urlsafe(12)
        with self._lock:
            self._oauth_codes[code] = openid
        return code

    @property
    def current_token(self) -> str | None:
        return self._token

    # --- request handling (called from the server threads) ----------------------------------------------------

    def _take_fault(self, path: str) -> dict | None:
        with self._lock:
            for fault in self._faults:
                if path.endswith(fault["path"]) and fault["left"] > 0:
                    fault["left"] -= 1
                    return fault
        return None

    def handle(self, method: str, path: str, query: dict, body, cookies: dict | None = None) -> tuple[int, object]:
        """Answer one request: (HTTP status, JSON-able body, or a Raw / mock_browser.Redirect answer)."""
        if path == mock_browser.AUTHORIZE_PATH:
            return mock_browser.authorize(self, query, cookies or {})
        if path == "/_mock/media" and method == "POST":
            return mock_browser.store_media(self, query, body if isinstance(body, bytes) else b"")
        if path.startswith("/_mock/"):
            return self._inspect(path, query)
        with self._lock:
            self.calls.append({"path": path, "query": query, "body": body})
        fault = self._take_fault(path)
        if fault:
            if fault["delay"]:
                time.sleep(fault["delay"])
            if fault["http_status"]:
                return fault["http_status"], {"error": "injected"}
            if fault["errcode"] is not None:
                return 200, {"errcode": fault["errcode"], "errmsg": "injected"}
        route = _ROUTES.get((method, path))
        if route is None:
            return 200, {"errcode": 40066, "errmsg": f"invalid url {path}"}
        with self._lock:
            return 200, route(self, query, body if isinstance(body, dict) else {})

    def _new_token(self) -> str:
        self._token = "MOCK_" + secrets.token_hex(24)
        return self._token

    def _bad_credentials(self, appid, secret) -> dict | None:
        if self.appid is not None and appid != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if self.secret is not None and secret != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return None

    def _stable_token(self, query, body):
        error = self._bad_credentials(body.get("appid"), body.get("secret"))
        if error:
            return error
        self.token_fetches += 1
        if body.get("force_refresh") or self._token is None:
            self._new_token()
        return {"access_token": self._token, "expires_in": TOKEN_EXPIRES_IN}

    def _token_get(self, query, body):
        error = self._bad_credentials(query.get("appid"), query.get("secret"))
        if error:
            return error
        self.token_fetches += 1
        # Each /cgi-bin/token call invalidates the previous token (WeChat keeps a 5-minute grace; we don't).
        return {"access_token": self._new_token(), "expires_in": TOKEN_EXPIRES_IN}

    def _token_error(self, query) -> dict | None:
        if not query.get("access_token"):
            return {"errcode": 41001, "errmsg": "access_token missing"}
        if self._token is None or query["access_token"] != self._token:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        return None

    def _deliver(self, message: dict) -> int:
        msgid = next(self._msgids)
        message = {"kind": "text", "openid": None, "template_id": None, "data": None, "url": None,
                   "client_msg_id": None, "text": None, **message, "msgid": msgid, "index": len(self.sent) + 1}
        self.sent.append(message)
        logger.info("delivered %s", _one_line(message))
        return msgid

    def _template_send(self, query, body):
        error = self._token_error(query)
        if error:
            return error
        openid, client_msg_id = body.get("touser"), body.get("client_msg_id")
        now = time.monotonic()
        if client_msg_id:
            seen = self._recent_client_msg_ids.get((openid, client_msg_id))
            if seen and now - seen[0] < CLIENT_MSG_ID_WINDOW:
                return {"errcode": 0, "errmsg": "ok", "msgid": seen[1]}
        data = {key: (field or {}).get("value") for key, field in (body.get("data") or {}).items()}
        msgid = self._deliver({"kind": "template", "openid": openid, "template_id": body.get("template_id"),
                               "data": data, "url": body.get("url"), "client_msg_id": client_msg_id})
        if client_msg_id:
            self._recent_client_msg_ids[(openid, client_msg_id)] = (now, msgid)
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def _custom_send(self, query, body):
        error = self._token_error(query)
        if error:
            return error
        if body.get("msgtype") != "text":
            return {"errcode": 40008, "errmsg": "invalid message type"}
        self._deliver({"kind": "text", "openid": body.get("touser"), "text": (body.get("text") or {}).get("content")})
        return {"errcode": 0, "errmsg": "ok"}

    def _menu_create(self, query, body):
        error = self._token_error(query)
        if error:
            return error
        if not body.get("button"):
            return {"errcode": 40017, "errmsg": "invalid button size"}
        self.menu = body
        return {"errcode": 0, "errmsg": "ok"}

    def _menu_get(self, query, body):
        error = self._token_error(query)
        if error:
            return error
        if self.menu is None:
            return {"errcode": 46003, "errmsg": "menu no exist"}
        return {"menu": self.menu}

    def _qrcode_create(self, query, body):
        error = self._token_error(query)
        if error:
            return error
        scene = ((body.get("action_info") or {}).get("scene") or {}).get("scene_str")
        if body.get("action_name") != "QR_STR_SCENE" or not scene or len(scene) > 64:
            return {"errcode": 40097, "errmsg": "invalid args"}
        ticket = "MOCKTICKET_" + secrets.token_hex(12)
        with self._lock:
            self.qrcodes[ticket] = scene
        return {"ticket": ticket, "expire_seconds": int(body.get("expire_seconds") or 60),
                "url": f"http://weixin.qq.com/q/{ticket}"}

    def scene_of(self, url: str) -> str | None:
        """The scene a QR code made here carries, read from its `url` (what a phone would scan)."""
        with self._lock:
            return self.qrcodes.get(url.rsplit("/", 1)[-1])
    def _media_get(self, query, body):
        error = self._token_error(query)
        if error:
            return error
        found = self.media.get(query.get("media_id", ""))
        if found is None:
            return {"errcode": 40007, "errmsg": "invalid media_id"}
        return Raw(*found)

    def _oauth_access_token(self, query, body):
        error = self._bad_credentials(query.get("appid"), query.get("secret"))
        if error:
            return error
        code = query.get("code", "")
        if code not in self._oauth_codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        openid = self._oauth_codes[code]
        if openid is None:
            return {"errcode": 40163, "errmsg": "code been used"}
        self._oauth_codes[code] = None
        return {"access_token": "MOCK_SNS_" + secrets.token_hex(8), "expires_in": 7200,
                "refresh_token": "MOCK_REFRESH", "openid": openid, "scope": "snsapi_base"}

    def _inspect(self, path: str, query: dict) -> tuple[int, object]:
        if path == "/_mock/sent":
            after = int(query.get("after") or 0)
            openid = query.get("openid")
            with self._lock:
                found = [m for m in self.sent if m["index"] > after and (openid is None or m["openid"] == openid)]
            return 200, found
        if path == "/_mock/oauth_code" and query.get("openid"):
            return 200, {"code": self.oauth_code(query["openid"])}
        if path == "/_mock/open":
            return mock_browser.open_as(query)
        return 404, {"error": "unknown mock endpoint"}


_ROUTES = {
    ("POST", "/cgi-bin/stable_token"): MockWeChat._stable_token,
    ("GET", "/cgi-bin/token"): MockWeChat._token_get,
    ("POST", "/cgi-bin/message/template/send"): MockWeChat._template_send,
    ("POST", "/cgi-bin/message/custom/send"): MockWeChat._custom_send,
    ("POST", "/cgi-bin/menu/create"): MockWeChat._menu_create,
    ("GET", "/cgi-bin/menu/get"): MockWeChat._menu_get,
    ("GET", "/sns/oauth2/access_token"): MockWeChat._oauth_access_token,
    ("POST", "/cgi-bin/qrcode/create"): MockWeChat._qrcode_create,
    ("GET", "/cgi-bin/media/get"): MockWeChat._media_get,
}


class Raw:
    """A non-JSON answer (a media file)."""

    def __init__(self, body: bytes, content_type: str):
        self.body, self.content_type = body, content_type


def _one_line(message: dict) -> str:
    if message["kind"] == "template":
        fields = " | ".join(f"{k}={v}" for k, v in (message["data"] or {}).items())
        return f"#{message['index']} template {message['template_id']} -> {message['openid']}: {fields}"
    return f"#{message['index']} text -> {message['openid']}: {' '.join(str(message['text']).split())}"


def _handler_for(mock: MockWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY a keep-alive client
        # waits out its delayed ACK (~40 ms) on every request.
        disable_nagle_algorithm = True

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if parts.path == "/_mock/media":
                body = raw  # image bytes, kept as they are
            else:
                try:
                    body = json.loads(raw.decode("utf-8")) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
            cookies = {k: v.value for k, v in SimpleCookie(self.headers.get("Cookie") or "").items()}
            status, payload = mock.handle(method, parts.path, query, body, cookies)
            if isinstance(payload, mock_browser.Redirect):
                self.send_response(status)
                self.send_header("Location", payload.location)
                if payload.cookie:
                    self.send_header("Set-Cookie", f"{payload.cookie[0]}={payload.cookie[1]}; Path=/; HttpOnly")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if isinstance(payload, Raw):
                data, content_type = payload.body, payload.content_type
            else:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                content_type = "application/json; charset=utf-8"
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def log_message(self, format, *args):
            logger.debug("%s " + format, self.address_string(), *args)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local WeChat API mock in the foreground.")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--appid", help="accept only this appid (default: any)")
    parser.add_argument("--secret", help="accept only this secret (default: any)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    mock = MockWeChat(appid=args.appid, secret=args.secret, port=args.port).start()
    logger.info("mock WeChat API at %s (set WECHAT_API_BASE to it); Ctrl-C stops", mock.base_url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        mock.stop()


if __name__ == "__main__":
    main()
