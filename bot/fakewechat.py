"""A stand-in for the WeChat platform's side of the push protocol.

It builds the XML WeChat would push for a user's text, menu click or follow, signs it
(and encrypts it in safe mode) exactly as WeChat does, posts it to /wechat, and decodes
the reply. The tests drive the real webhook with it, and the local console
(`python -m bot chat`) lets a person chat with a running service through it.
"""
import hashlib
import itertools
import secrets
import time
import uuid

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import to_text


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def msg_id_counter():
    """MsgIds for one sender: a random start (below 2**54, WeChat's magnitude), so that two
    consoles or drivers running at once, even in one process, never number alike."""
    return itertools.count(secrets.randbelow(2 ** 53) + 2 ** 53)


class FakeWeChat:
    """`post(query: dict, body: bytes) -> (status, body_text)` does the HTTP part."""

    def __init__(self, post, *, token: str, appid: str = "wxdemo0001", aes_key: str | None = None,
                 openid: str = "oDemoUser0001", account: str = "gh_twork"):
        self.post = post
        self._msg_ids = msg_id_counter()
        self.token = token
        self.appid = appid
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.openid = openid
        self.account = account
        self.clock = None  # a fixed int timestamp, for tests; None: the real time
        self.last_status = None
        self.last_body = None

    # -- what a user does ------------------------------------------------------------
    def say(self, text: str, **kw) -> str:
        return self.push({"MsgType": "text", "Content": text, "MsgId": next(self._msg_ids)}, **kw)

    def voice(self, recognition: str, **kw) -> str:
        return self.push({"MsgType": "voice", "MediaId": "m1", "Format": "amr",
                          "Recognition": recognition, "MsgId": next(self._msg_ids)}, **kw)

    def image(self, media_id: str, pic_url: str = "", **kw) -> str:
        return self.push({"MsgType": "image", "MediaId": media_id, "PicUrl": pic_url,
                          "MsgId": next(self._msg_ids)}, **kw)

    def click(self, key: str, **kw) -> str:
        return self.push({"MsgType": "event", "Event": "CLICK", "EventKey": str(key)}, **kw)

    def subscribe(self, scene: str | None = None, **kw) -> str:
        fields = {"MsgType": "event", "Event": "subscribe"}
        if scene:
            fields["EventKey"] = f"qrscene_{scene}"
        return self.push(fields, **kw)

    def scan(self, scene: str, **kw) -> str:
        """A follower scans a parametric QR code (an unfollowed user sends subscribe instead)."""
        return self.push({"MsgType": "event", "Event": "SCAN", "EventKey": scene,
                          "Ticket": "TICKET"}, **kw)

    def unsubscribe(self, **kw) -> str:
        return self.push({"MsgType": "event", "Event": "unsubscribe"}, **kw)

    # -- the protocol ----------------------------------------------------------------
    def message_xml(self, fields: dict, openid: str | None = None, create_time: int | None = None) -> str:
        body = {"ToUserName": self.account, "FromUserName": openid or self.openid,
                "CreateTime": create_time or self.now()}
        body.update(fields)
        return xmltodict.unparse({"xml": body}, full_document=False)

    def now(self) -> int:
        return self.clock or int(time.time())

    def signed_query(self, timestamp: int | None = None, nonce: str | None = None) -> dict:
        timestamp = str(timestamp or self.now())
        nonce = nonce or uuid.uuid4().hex[:10]
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp,
                "nonce": nonce, "openid": self.openid}

    def push(self, fields: dict, *, openid: str | None = None, raw: bytes | None = None,
             query: dict | None = None, create_time: int | None = None) -> str:
        """POST one push; returns the reply text ('' for "success"/empty)."""
        xml = self.message_xml(fields, openid, create_time) if raw is None else raw
        return self.post_xml(xml, query=query)

    def post_xml(self, xml, *, query: dict | None = None, encrypt: bool | None = None) -> str:
        """`encrypt=False` posts in clear even in safe mode (what an attacker would try);
        by default a safe-mode driver encrypts unless the query already says how."""
        query = dict(query or self.signed_query())
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        if encrypt is None:
            encrypt = self.crypto is not None and "encrypt_type" not in query
        if encrypt:
            envelope = self.crypto.encrypt_message(to_text(body), query["nonce"], query["timestamp"])
            encrypted = xmltodict.parse(envelope)["xml"]["Encrypt"]
            query["encrypt_type"] = "aes"
            query["msg_signature"] = sign(self.token, query["timestamp"], query["nonce"], encrypted)
            body = xmltodict.unparse({"xml": {"ToUserName": self.account, "Encrypt": encrypted}},
                                     full_document=False).encode("utf-8")
        self.last_status, self.last_body = self.post(query, body)
        if self.last_status != 200:
            return ""
        return self.reply_text(self.last_body)

    def reply_text(self, body: str) -> str:
        if not body or body == "success":
            return ""
        data = xmltodict.parse(body)["xml"]
        if "Encrypt" in data:
            data = xmltodict.parse(self.crypto.decrypt_message(
                body, data["MsgSignature"], data["TimeStamp"], data["Nonce"]))["xml"]
        return data.get("Content") or ""
