"""Companies (platform key), the company's own profile ("My ERP"), its API keys and the
rotation of its ERP webhook secret."""
import secrets
from datetime import timedelta
from typing import Literal

from flask import g
from pydantic import BaseModel, Field

from bot.api.core import (COMPANY, PLATFORM, ApiModel, OutModel, Page, PathId, Resource, Str,
                          access, actor, iso, now, page_of, paginate, require_user)
from bot.audit import note
from store import apikeys, users as user_store

bp = Resource("companies", __name__)
ADMIN = ("company_admin",)
Scope = Literal["admin", "erp", "read"]


class KeyIdPath(BaseModel):
    key_id: PathId


class AdminIn(ApiModel):
    account: Str(64) = "admin"
    name: Str(64) = "管理员"
    password: str | None = Field(None, min_length=6, max_length=128,
                                 description="default: a random one, returned once")


class CompanyIn(ApiModel):
    code: Str(64)
    name: Str(200)
    timezone: Str(64) = "Asia/Shanghai"
    admin: AdminIn = Field(default_factory=AdminIn, description="the company's first admin user")


class CompanyCreated(OutModel):
    id: int
    code: str
    name: str
    timezone: str
    api_key: str = Field(description="an admin key: send X-Twork-User with it")
    webhook_secret: str
    admin_user_id: int
    admin_account: str
    admin_password: str | None = Field(None, description="only when it was generated")


class CompanyOut(OutModel):
    id: int
    code: str
    name: str
    timezone: str
    webhook_secret: str
    erp_events_path: str
    previous_secret_valid_until: str | None = None


class SecretRotationIn(ApiModel):
    overlap_hours: int = Field(24, ge=0, le=720,
                               description="how long the previous secret keeps signing")


class KeyIn(ApiModel):
    name: Str(100) = "default"
    scope: Scope = "admin"


class KeyOut(OutModel):
    id: int
    name: str
    scope: Scope
    prefix: str
    created_at: str
    revoked_at: str | None


class KeyCreated(KeyOut):
    api_key: str


def key_out(key) -> dict:
    return {"id": key.id, "name": key.name, "scope": key.scope, "prefix": key.prefix,
            "created_at": iso(key.created_at), "revoked_at": iso(key.revoked_at)}


def company_out(company) -> dict:
    until = company.previous_secret_until
    return {"id": company.id, "code": company.code, "name": company.name,
            "timezone": company.timezone, "webhook_secret": company.webhook_secret,
            "erp_events_path": "/api/v1/erp/events",
            "previous_secret_valid_until": iso(until) if until and until > now() else None}


@bp.post("/companies", responses={201: CompanyCreated})
@access(PLATFORM)
def create_company(body: CompanyIn):
    """Create a company (tenant) and its first admin; its admin API key, ERP webhook secret
    (and a generated admin password) are returned once"""
    password = body.admin.password or secrets.token_urlsafe(12)
    company, key = user_store.create_company(
        body.code, body.name, body.timezone,
        admin={"account": body.admin.account, "name": body.admin.name, "password": password})
    admin = user_store.get_user_by_account(company.id, body.admin.account)
    g.audit_company_id = company.id
    note(company_id=company.id, admin_user_id=admin.id)
    g.company = company
    return {"id": company.id, "code": company.code, "name": company.name,
            "timezone": company.timezone, "api_key": key, "webhook_secret": company.webhook_secret,
            "admin_user_id": admin.id, "admin_account": admin.account,
            "admin_password": None if body.admin.password else password}, 201


@bp.get("/company", responses={200: CompanyOut})
@access(COMPANY, roles=ADMIN, admin_scope_only=True)
def my_company():
    """The company of the key: its profile and what the ERP needs to sign events"""
    return company_out(g.company)


@bp.post("/company/webhook-secret/rotate", responses={200: CompanyOut})
@access(COMPANY, roles=ADMIN)
def rotate_webhook_secret(body: SecretRotationIn):
    """A new ERP webhook secret; the previous one keeps signing for `overlap_hours`"""
    company = apikeys.rotate_webhook_secret(require_user(), now(),
                                            timedelta(hours=body.overlap_hours))
    return company_out(company)


@bp.get("/api-keys", responses={200: page_of(KeyOut)})
@access(COMPANY, roles=ADMIN, admin_scope_only=True)
def list_keys(query: Page):
    """The company's API keys (never the keys themselves: only a prefix to recognise them)"""
    me = actor()
    return paginate(lambda limit, offset: apikeys.list_keys(me, limit, offset), query, key_out,
                    total=apikeys.count_keys(me))


@bp.post("/api-keys", responses={201: KeyCreated})
@access(COMPANY, roles=ADMIN)
def create_key(body: KeyIn):
    """Issue an API key of a scope (admin | erp | read), shown once"""
    row, plain = apikeys.create_key(require_user(), body.name, body.scope)
    note(key_id=row.id, prefix=row.prefix)
    return {**key_out(row), "api_key": plain}, 201


@bp.post("/api-keys/<id:key_id>/rotate", responses={201: KeyCreated})
@access(COMPANY, roles=ADMIN)
def rotate_key(path: KeyIdPath):
    """Replace a key by a new one (same name and scope, shown once); the old one stops working"""
    row, plain = apikeys.rotate_key(require_user(), path.key_id, now())
    note(new_key_id=row.id, prefix=row.prefix)
    return {**key_out(row), "api_key": plain}, 201


@bp.delete("/api-keys/<id:key_id>", responses={200: KeyOut})
@access(COMPANY, roles=ADMIN)
def revoke_key(path: KeyIdPath):
    """Revoke an API key: it stops working at once"""
    return key_out(apikeys.revoke_key(require_user(), path.key_id, now()))
