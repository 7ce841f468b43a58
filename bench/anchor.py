"""The anchor of the webhook benchmarks: the thinnest correct wechatpy + Flask webhook.

It checks the signature, decrypts in safe mode, parses the message and echoes its text
back (encrypted in safe mode): what any official-account server must do at the least.
Served exactly as Twork is (gunicorn, the Procfile's workers and threads):

    gunicorn --workers 2 --threads 4 "bench.anchor:create_app()"
"""
import os

from flask import Flask, request
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature


def webhook(answer):
    """The Flask app around `answer(msg, args, body) -> reply text`: verify, decrypt,
    parse, then render (and encrypt) the reply."""
    token, aes_key = os.environ["WECHAT_TOKEN"], os.environ.get("WECHAT_AES_KEY")
    crypto = WeChatCrypto(token, aes_key, os.environ["WECHAT_APPID"]) if aes_key else None
    app = Flask(__name__)

    @app.post("/wechat")
    def receive():
        args = request.args
        try:
            check_signature(token, args["signature"], args["timestamp"], args["nonce"])
            body = plain = request.get_data()
            if crypto is not None:
                plain = crypto.decrypt_message(body, args["msg_signature"], args["timestamp"],
                                               args["nonce"])
        except (KeyError, InvalidSignatureException):
            return "forbidden", 403
        msg = parse_message(plain)
        xml = create_reply(answer(msg, args, body), msg).render()
        if crypto is not None:
            xml = crypto.encrypt_message(xml, args["nonce"], args["timestamp"])
        return xml, 200, {"Content-Type": "application/xml; charset=utf-8"}

    return app


def create_app() -> Flask:
    return webhook(lambda msg, args, body: getattr(msg, "content", "success"))
