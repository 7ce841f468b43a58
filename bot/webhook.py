"""GET/POST /wechat: the official account's server URL.

A straight line of named steps: verify → decrypt → parse → claim (retry dedupe) →
dispatch → render. WeChat gives us 5 seconds, so nothing here calls the WeChat API or
any other remote service; notifications caused by a command are enqueued after commit.
"""
import logging

from flask import Blueprint, current_app, jsonify, request

from bot import wire
from bot.retries import RetryGuard
from bot.router import Ctx
from store.db import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)


def _refuse(error: wire.WireError):
    return jsonify(error=error.reason), error.status


@bp.get("/wechat")
def verify_url():
    settings = current_app.config["TWORK"]
    try:
        wire.verify_signature(settings.WECHAT_TOKEN, request.args, skew=settings.MAX_CLOCK_SKEW)
    except wire.WireError as error:
        return _refuse(error)
    return request.args.get("echostr", ""), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/wechat")
def receive():
    settings = current_app.config["TWORK"]
    request.max_content_length = wire.MAX_BODY
    try:
        wire.verify_signature(settings.WECHAT_TOKEN, request.args, skew=settings.MAX_CLOCK_SKEW)
        xml = wire.decrypt(current_app.extensions["twork.crypto"], request.get_data(), request.args)
        msg = wire.parse(xml)
    except wire.WireError as error:
        return _refuse(error)

    guard = RetryGuard(current_app.extensions["twork.redis"])
    key = wire.dedupe_key(msg)
    if guard.claim(key):
        text = _dispatch(msg)
        guard.remember(key, text)
    else:
        text = guard.previous_reply(key)
    body = wire.render(text, msg, current_app.extensions["twork.crypto"], request.args)
    return body, 200, {"Content-Type": "application/xml; charset=utf-8"}


def _context(msg) -> Ctx:
    from store.users import user_for_openid
    redis = current_app.extensions["twork.redis"]
    from bot.session import Session
    data = msg._data
    kind, text, event, event_key, media_id = "other", "", "", "", ""
    if msg.type == "text":
        kind, text = "text", (msg.content or "").strip()  # kept as typed: see bot/router.py
    elif msg.type == "voice":
        # The router reads WeChat's recognition text (handlers/voice.py); empty when
        # recognition is off or heard nothing.
        kind, text = "voice", (data.get("Recognition") or "").strip()
    elif msg.type == "image":
        kind, media_id = "image", data.get("MediaId") or ""
    elif msg.type == "event":
        event = (data.get("Event") or "").lower()
        event_key = data.get("EventKey") or ""
        kind = "click" if event == "click" else "event"
    return Ctx(openid=msg.source, kind=kind, now=utcnow(), session=Session(redis, msg.source),
               settings=current_app.config["TWORK"], user=user_for_openid(msg.source),
               text=text, event=event, event_key=str(event_key),
               scene=getattr(msg, "scene_id", None), router=current_app.extensions["twork.router"],
               raw=dict(data), media_id=media_id, redis=redis)


def _dispatch(msg) -> str | None:
    router = current_app.extensions["twork.router"]
    ctx = None
    try:
        ctx = _context(msg)
        return router.dispatch(ctx)
    except Exception:
        log.exception("handler failed for openid=%s type=%s text=%r", msg.source, msg.type,
                      ctx.text if ctx else None)
        if current_app.testing and current_app.config.get("PROPAGATE_HANDLER_ERRORS", True):
            raise
        return router.texts.SORRY
