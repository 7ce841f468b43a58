"""API keys with a scope, and the ERP signing secret with its rotation (SPEC §7, §11).

Scopes: `admin` (everything a company admin may do, on behalf of a named user), `erp` (the
ERP integration: scenario reads, event kinds and batch results), `read` (GET only). Only
the SHA-256 digest of a key and a short prefix to recognise it are kept; the key is shown
once, when issued or rotated. Company admins manage keys.

The webhook secret signs ERP events and console single sign-on links. Rotating it keeps the
previous secret valid for an overlap window, so an ERP can switch without dropped events.
"""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from store.db import db, utcnow
from store.errors import Forbidden, Invalid, NotFound, Refused
from store.models import ApiKey, Company, User

SCOPES = ("admin", "erp", "read")
SCOPE_LABELS = {"admin": "管理（代表指定用户）", "erp": "ERP 集成", "read": "只读"}
PREFIX_LENGTH = 10
ADMINS_ONLY = "只有公司管理员可以管理接口密钥"
MAX_OVERLAP = timedelta(days=30)
DEFAULT_OVERLAP = timedelta(hours=24)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _admin_company(actor: User) -> int:
    if actor is None or not actor.active or not actor.is_company_admin:
        raise Forbidden(ADMINS_ONLY)
    return actor.company_id


def issue(company_id: int, name: str = "default", scope: str = "admin") -> tuple[ApiKey, str]:
    """A new key (no check of who asks: company setup and operator tools). Returns its row
    and the plain key, which is never stored."""
    name = (name or "").strip() or "default"
    if scope not in SCOPES:
        raise Invalid(f"未知的密钥权限：{scope}（可选 {'、'.join(SCOPES)}）")
    plain = "tw_" + secrets.token_urlsafe(32)
    row = ApiKey.create(company=company_id, name=name[:100], scope=scope,
                        prefix=plain[:PREFIX_LENGTH], key_hash=_digest(plain))
    return row, plain


def find_key(plain: str) -> ApiKey | None:
    """The live key with this value (its company loaded), or None."""
    if not plain:
        return None
    return (ApiKey.select(ApiKey, Company).join(Company)
            .where(ApiKey.key_hash == _digest(plain), ApiKey.revoked_at.is_null()).first())


def company_for_key(plain: str) -> Company | None:
    key = find_key(plain)
    return key.company if key else None


def create_key(actor: User, name: str, scope: str) -> tuple[ApiKey, str]:
    return issue(_admin_company(actor), name, scope)


def list_keys(actor: User, limit: int = 100, offset: int = 0) -> list[ApiKey]:
    company_id = _admin_company(actor)
    return list(ApiKey.scoped(company_id).order_by(ApiKey.id).limit(limit).offset(offset))


def count_keys(actor: User) -> int:
    return ApiKey.scoped(_admin_company(actor)).count()


def get_key(actor: User, key_id: int) -> ApiKey:
    key = ApiKey.scoped(_admin_company(actor)).where(ApiKey.id == key_id).first()
    if key is None:
        raise NotFound("API 密钥不存在")
    return key


def revoke_key(actor: User, key_id: int, now: datetime) -> ApiKey:
    """Revoke a key: it stops working at once (revoking a revoked key changes nothing)."""
    key = get_key(actor, key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        key.save()
    return key


def rotate_key(actor: User, key_id: int, now: datetime) -> tuple[ApiKey, str]:
    """Replace a key by a new one of the same name and scope; the old one stops working."""
    key = get_key(actor, key_id)
    if key.revoked_at is not None:
        raise Refused("已吊销的密钥不能轮换，请新建一个", code="revoked")
    with db.atomic():
        key.revoked_at = now
        key.save()
        row, plain = issue(key.company_id, key.name, key.scope)
    return row, plain


# --- the ERP signing secret --------------------------------------------------------------

def signing_secrets(company: Company, now: datetime | None = None) -> list[str]:
    """The secrets that sign for the company now: the current one, and the previous one
    while its overlap window lasts."""
    found = [company.webhook_secret]
    until = company.previous_secret_until
    if company.previous_webhook_secret and until and (now or utcnow()) < until:
        found.append(company.previous_webhook_secret)
    return found


def signed_by(company: Company, message: bytes, given_hex: str, now: datetime) -> bool:
    """Whether `given_hex` is the HMAC-SHA256 of `message` with a secret that signs for the
    company now (every candidate is compared, in constant time)."""
    given = given_hex.strip().lower().encode()
    matches = [hmac.compare_digest(hmac.new(secret.encode(), message, hashlib.sha256)
                                   .hexdigest().encode(), given)
               for secret in signing_secrets(company, now)]
    return any(matches)


def rotate_webhook_secret(actor: User, now: datetime,
                          overlap: timedelta = DEFAULT_OVERLAP) -> Company:
    """A new webhook secret; the old one keeps signing for `overlap` (at most 30 days)."""
    company_id = _admin_company(actor)
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise Invalid("旧密钥的过渡期应在 0 到 30 天之间")
    with db.atomic():
        company = Company.get_by_id(company_id)
        company.previous_webhook_secret = company.webhook_secret
        company.previous_secret_until = now + overlap
        company.webhook_secret = secrets.token_hex(32)
        company.save()
    return company
