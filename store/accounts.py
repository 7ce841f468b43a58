"""Signing in to the web console (SPEC §10): the password check with a reason for each
refusal, the ERP's single sign-on link, changing one's own password, and the small account
actions the console needs beside store.users (reactivate, unbind by user).

A refusal is an `Invalid` whose `code` tells which one it was, so that the console shows
its own plain message and the throttle counts it, while nothing here knows about HTTP.
"""
import hashlib
import hmac
from datetime import datetime
from urllib.parse import parse_qsl

from werkzeug.security import check_password_hash

from store import apikeys, users as user_store
from store.db import db
from store.errors import Invalid
from store.models import Company, User, WeChatBinding

UNKNOWN_COMPANY = "客户代码不存在，请核对后重试"
BAD_PASSWORD = "账号或密码错误"
NOT_AUTHORISED = "该账号未获授权使用Twork，请联系公司管理员"
DEACTIVATED = "该账号已停用，请联系公司管理员"
SSO_WINDOW = 300  # seconds either side of the link's ts
SSO_BAD = "登录链接无效：签名不正确"
SSO_EXPIRED = "登录链接已过期，请从ERP重新打开"
SSO_MALFORMED = "登录链接不完整"


def sign_in(company_code: str, account: str, password: str) -> User:
    """The user these credentials name, or Invalid saying what is wrong (code: the case)."""
    company_code, account = (company_code or "").strip(), (account or "").strip()
    if not company_code or not account or not password:
        raise Invalid("请填写客户代码、账号和密码", code="fields")
    if "\x00" in company_code + account:
        raise Invalid(BAD_PASSWORD, code="bad_password")
    company = Company.select().where(Company.code == company_code).first()
    if company is None:
        raise Invalid(UNKNOWN_COMPANY, code="unknown_company")
    user = User.scoped(company.id).where(User.account == account).first()
    if user is None or not check_password_hash(user.password_hash, password):
        raise Invalid(BAD_PASSWORD, code="bad_password")
    return _usable(user)


def _usable(user: User) -> User:
    if not user.active:
        raise Invalid(DEACTIVATED, code="deactivated")
    if not user.authorized:
        raise Invalid(NOT_AUTHORISED, code="not_authorised")
    return user


def session_stamp(user: User) -> str:
    """A short fingerprint of the user's password hash: a session made before the password
    changed no longer matches, so changing it signs every other browser out."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def signed_in_user(user_id, stamp: str) -> User | None:
    """The user a console session names, while still active, authorised and unchanged."""
    if not isinstance(user_id, int):
        return None
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.active or not user.authorized:
        return None
    return user if hmac.compare_digest(session_stamp(user), stamp or "") else None


# --- ERP single sign-on ------------------------------------------------------------------

def sso_user(raw_query: str, now: datetime) -> tuple[User, str]:
    """Check an SSO query `company=CODE&account=ACC&ts=UNIX&sig=HEX` (SPEC §10): `sig` is
    HMAC-SHA256 with the company's webhook secret over the query before `&sig=`, exactly as
    sent. Returns the user and the signature (the caller makes each link usable once)."""
    signed, sep, sig = raw_query.rpartition("&sig=")
    if not sep or not sig or "&" in sig:
        raise Invalid(SSO_MALFORMED, code="sso_malformed")
    args = dict(parse_qsl(signed, keep_blank_values=True))
    if set(args) != {"company", "account", "ts"} or not args["ts"].isdigit():
        raise Invalid(SSO_MALFORMED, code="sso_malformed")
    company = Company.select().where(Company.code == args["company"]).first()
    if not company or not apikeys.signed_by(company, signed.encode(), sig, now):
        raise Invalid(SSO_BAD, code="sso_bad_signature")
    if abs(now.timestamp() - int(args["ts"])) > SSO_WINDOW:
        raise Invalid(SSO_EXPIRED, code="sso_expired")
    user = User.scoped(company.id).where(User.account == args["account"]).first()
    if user is None:
        raise Invalid(BAD_PASSWORD, code="bad_password")
    return _usable(user), sig.lower()


# --- one's own password, and the admin's small actions -----------------------------------

def change_password(user: User, current: str, new: str, repeat: str) -> User:
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid("当前密码不正确", detail={"field": "current"})
    if new != repeat:
        raise Invalid("两次输入的新密码不一致", detail={"field": "repeat"})
    try:
        return user_store.update_user(user, user.id, password=new)
    except Invalid as error:
        raise Invalid(error.message, detail={"field": "new"}) from None


def reactivate_user(company_id: int, user_id: int) -> User:
    """Let a deactivated user back in (they bind WeChat again with a new code)."""
    user = user_store.get_user(company_id, user_id)
    User.update(active=True).where(User.id == user.id).execute()
    user.active = True
    return user


def unbind_user(company_id: int, user_id: int) -> bool:
    """Remove the user's WeChat binding (the admin's 解绑); False when there was none."""
    user = user_store.get_user(company_id, user_id)
    with db.atomic():
        return WeChatBinding.delete().where(WeChatBinding.user == user.id).execute() > 0
