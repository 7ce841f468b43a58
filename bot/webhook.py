"""GET/POST /wechat: the official account's server URL.

A straight line of named steps: verify → decrypt → parse → replay check → claim (retry
dedupe) → dispatch → render. WeChat gives us 5 seconds, so nothing here calls the WeChat
API or any other remote service; notifications caused by a command are enqueued after
commit. Every signed, well-formed push gets a real answer: with Redis down the claims
move to the database, and with the database down the user is told nothing was done
(a 500 would only make WeChat resend three times and then show its own error).
"""
import logging

from flask import Blueprint, current_app, jsonify, request

from bot import wire
from bot.errors import DATABASE_ERRORS
from bot.retries import ReplayedSignature, RetryGuard
from bot.router import Ctx
from bot.session import SessionBusy, SessionUnavailable, user_lock
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
    # One byte of slack: werkzeug's limited stream cuts a chunked body at the limit
    # silently; wire.read_body sees the extra byte and refuses.
    request.max_content_length = wire.MAX_BODY + 1
    args = request.args
    try:
        wire.verify_signature(settings.WECHAT_TOKEN, args, skew=settings.MAX_CLOCK_SKEW)
        raw = wire.read_body(request.stream)
        xml = wire.decrypt(current_app.extensions["twork.crypto"], raw, args,
                           compat=settings.WECHAT_COMPAT_MODE)
        msg = wire.parse(xml)
        text = _answer_once(msg, raw, args)
    except wire.WireError as error:
        return _refuse(error)
    body = wire.render(text, msg, current_app.extensions["twork.crypto"], args)
    return body, 200, {"Content-Type": "application/xml; charset=utf-8"}


def _answer_once(msg, raw: bytes, args) -> str | None:
    """Claim the push and act on it, or give a retry the first delivery's reply."""
    settings = current_app.config["TWORK"]
    texts = current_app.extensions["twork.router"].texts
    guard = RetryGuard()
    key = wire.dedupe_key(msg)
    try:
        # msg_signature binds an encrypted body to its query; a plain signature does not.
        signature = (None if wire.is_encrypted(args) else
                     (args["timestamp"], args["nonce"], raw, 2 * settings.MAX_CLOCK_SKEW))
        if not guard.claim(key, signature):
            return guard.previous_reply(key)
    except ReplayedSignature:
        raise wire.WireError(403, "signature already used for another body")
    except DATABASE_ERRORS:
        log.exception("database unavailable: push %s not claimed", key)
        return texts.NOTHING_DONE
    text = _dispatch(msg)
    try:
        guard.remember(key, text)
    except DATABASE_ERRORS:  # a retry will get "success"; this answer still goes out
        log.exception("could not keep the reply to %s", key)
    return text


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
        with user_lock(current_app.extensions["twork.redis"], msg.source):
            ctx = _context(msg)
            return router.dispatch(ctx)
    except SessionUnavailable:
        return router.texts.DIALOG_UNAVAILABLE
    except SessionBusy:
        return router.texts.BUSY
    except DATABASE_ERRORS:
        log.exception("database unavailable for openid=%s type=%s", msg.source, msg.type)
        return router.texts.NOTHING_DONE
    except Exception:
        log.exception("handler failed for openid=%s type=%s text=%r", msg.source, msg.type,
                      ctx.text if ctx else None)
        if current_app.testing and current_app.config.get("PROPAGATE_HANDLER_ERRORS", True):
            raise
        return router.texts.SORRY
