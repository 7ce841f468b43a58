"""The WeChat push protocol: signatures, AES, XML parsing, retry dedupe, reply rendering.

Everything about the wire lives here and nothing about tasks does. wechatpy does the
cryptography and the XML; this module adds what it lacks:
a timestamp window, hostile-XML rejection, control-character stripping, a broad catch
around decrypt/parse, and CDATA-safe replies.
Docs: https://developers.weixin.qq.com/doc/service/guide/dev/push/
"""
import re
import time

from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

MAX_BODY = 64 * 1024
# WeChat cuts passive text replies at about 2048 bytes; keep a margin for the XML.
MAX_REPLY_BYTES = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HOSTILE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# Fields read as text: a repeated or nested element parses to a list or dict instead.
TEXT_FIELDS = REQUIRED_FIELDS + ("MsgId", "MsgID", "Content", "Recognition", "Event",
                                 "EventKey", "Status", "MediaId", "PicUrl", "Format", "Ticket")


class WireError(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify_signature(token: str, args, *, now: float | None = None, skew: int = 300) -> None:
    """Check `signature` over token/timestamp/nonce and that the timestamp is fresh."""
    signature, timestamp, nonce = (args.get(k, "") for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise WireError(403, "missing signature parameters")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise WireError(403, "bad signature") from None
    try:
        drift = abs((now or time.time()) - int(timestamp))
    except ValueError:
        raise WireError(403, "bad timestamp") from None
    if drift > skew:
        raise WireError(403, "timestamp outside the allowed window")


def read_body(stream) -> bytes:
    """At most MAX_BODY bytes of the request body (413 past that); a chunked body has no
    Content-Length to refuse up front, so never read more than one byte beyond the limit."""
    body = stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise WireError(413, "body too large")
    return body


def _clean(body: bytes) -> str:
    if len(body) > MAX_BODY:
        raise WireError(413, "body too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError(400, "body is not UTF-8") from None
    if _HOSTILE.search(text):
        raise WireError(400, "DOCTYPE/ENTITY not allowed")
    # WeChat does deliver control characters in user text; expat rejects them.
    return _CONTROL.sub("", text)


def is_encrypted(args) -> bool:
    return args.get("encrypt_type", "raw") == "aes"


def decrypt(crypto: WeChatCrypto | None, body: bytes, args, *, compat: bool = False) -> str:
    """The plain XML of a push; in safe mode checks `msg_signature` and decrypts.

    In safe mode a push without encryption is refused: `signature` covers only the query
    (token, timestamp, nonce), so anyone holding one logged query string could otherwise
    post any body in clear and read the reply. Compatible mode accepts both, on purpose."""
    if crypto is not None and not is_encrypted(args) and not compat:
        raise WireError(403, "safe mode: unencrypted pushes are refused")
    text = _clean(body)
    if crypto is None or not is_encrypted(args):
        return text  # plaintext (or compatible-mode) push, authenticated by `signature` only
    try:
        plain = crypto.decrypt_message(text, args.get("msg_signature", ""),
                                       args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        raise WireError(403, "bad msg_signature") from None
    except Exception:  # struct.error, ValueError, ExpatError, KeyError... all seen on garbage input
        raise WireError(400, "cannot decrypt body") from None
    return _clean(plain.encode("utf-8") if isinstance(plain, str) else plain)


def parse(xml: str):
    """A wechatpy message object; 400 for anything malformed or incomplete."""
    try:
        msg = parse_message(xml)
        if msg is None:
            raise ValueError("empty")
        data = msg._data
        if any(not isinstance(data.get(f), str) or not data.get(f) for f in REQUIRED_FIELDS):
            raise ValueError("missing field")
        if any(not isinstance(data[f], str) for f in TEXT_FIELDS if data.get(f) is not None):
            raise ValueError("repeated or nested field")
        int(data["CreateTime"])
        if data.get("MsgId") is not None:
            int(data["MsgId"])
    except Exception:
        raise WireError(400, "malformed message") from None
    return msg


def dedupe_key(msg) -> str:
    """Messages carry MsgId; events do not (id == 0), so use sender+time+event+key.
    The sender is part of every key: a MsgId is only known to be unique per user, and a
    push claiming another user's MsgId must not receive that user's reply."""
    data = msg._data
    sender = data.get("FromUserName")
    if data.get("MsgId"):
        return f"wx:msg:{sender}:{data['MsgId']}"
    if data.get("MsgID"):  # TEMPLATESENDJOBFINISH: many can share one second
        return f"wx:tsjf:{sender}:{data['MsgID']}"
    return "wx:evt:{}:{}:{}:{}".format(sender, data.get("CreateTime"),
                                       data.get("Event", ""), data.get("EventKey", ""))


def fit_reply(text: str) -> str:
    """Make user/handler text safe for a CDATA passive reply within WeChat's size limit."""
    # Stored text (task titles from the API or the ERP) may hold control characters that
    # make the reply's XML unparseable for WeChat.
    text = _CONTROL.sub("", text)
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_REPLY_BYTES:
        text = encoded[:MAX_REPLY_BYTES - 4].decode("utf-8", "ignore") + "\n…"
    # wechatpy emits the text raw inside CDATA; close and reopen the section around "]]>"
    return text.replace("]]>", "]]]]><![CDATA[>")


def render(text: str | None, msg, crypto: WeChatCrypto | None, args) -> str:
    """The HTTP body answering `msg`: "success" for nothing to say, else a text reply,
    encrypted when the push was."""
    if not text:
        return "success"
    reply = create_reply(fit_reply(text), msg)
    if crypto is not None and args.get("encrypt_type") == "aes":
        return crypto.encrypt_message(reply.render(), args.get("nonce", ""), args.get("timestamp"))
    return reply.render()
