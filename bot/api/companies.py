"""Companies (platform key), the company's own profile ("My ERP") and its API keys."""
from flask import g

from bot.api.core import (COMPANY, PLATFORM, ApiModel, OutModel, Page, Str, iso, now, page_of,
                          paginate, route, slice_fetch)
from store import directory, users as user_store

ADMIN = ("company_admin",)


class CompanyIn(ApiModel):
    code: Str(64)
    name: Str(200)
    timezone: Str(64) = "Asia/Shanghai"


class CompanyCreated(OutModel):
    id: int
    code: str
    name: str
    timezone: str
    api_key: str
    webhook_secret: str


class CompanyOut(OutModel):
    id: int
    code: str
    name: str
    timezone: str
    webhook_secret: str
    erp_events_path: str


class KeyIn(ApiModel):
    name: Str(100) = "default"


class KeyOut(OutModel):
    id: int
    name: str
    prefix: str
    created_at: str
    revoked_at: str | None


class KeyCreated(KeyOut):
    api_key: str


def key_out(key) -> dict:
    return {"id": key.id, "name": key.name, "prefix": key.prefix,
            "created_at": iso(key.created_at), "revoked_at": iso(key.revoked_at)}


@route("POST", "/companies", auth=PLATFORM, body=CompanyIn, response=CompanyCreated,
       status=201, tag="companies")
def create_company(body: CompanyIn):
    """Create a company (tenant): its first API key and ERP webhook secret are returned once"""
    company, key = user_store.create_company(body.code, body.name, body.timezone)
    return {"id": company.id, "code": company.code, "name": company.name,
            "timezone": company.timezone, "api_key": key, "webhook_secret": company.webhook_secret}


@route("GET", "/company", auth=COMPANY, roles=ADMIN, response=CompanyOut, tag="companies")
def my_company():
    """The company of the key: its profile and what the ERP needs to sign events"""
    company = g.company
    return {"id": company.id, "code": company.code, "name": company.name,
            "timezone": company.timezone, "webhook_secret": company.webhook_secret,
            "erp_events_path": "/api/v1/erp/events"}


@route("GET", "/api-keys", auth=COMPANY, roles=ADMIN, query=Page, response=page_of(KeyOut),
       tag="companies")
def list_keys(query: Page):
    """The company's API keys (never the keys themselves: only a prefix to recognise them)"""
    return paginate(slice_fetch(directory.list_api_keys(g.company.id)), query, key_out)


@route("POST", "/api-keys", auth=COMPANY, roles=ADMIN, body=KeyIn, response=KeyCreated,
       status=201, tag="companies")
def create_key(body: KeyIn):
    """Issue another API key (shown once)"""
    row, plain = directory.issue_api_key(g.company.id, body.name)
    return {**key_out(row), "api_key": plain}


@route("DELETE", "/api-keys/<id:key_id>", auth=COMPANY, roles=ADMIN, response=KeyOut,
       tag="companies")
def revoke_key(key_id: int):
    """Revoke an API key: it stops working at once"""
    if directory.get_api_key(g.company.id, key_id).revoked_at is None:
        user_store.revoke_api_key(g.company.id, key_id, now())
    return key_out(directory.get_api_key(g.company.id, key_id))
