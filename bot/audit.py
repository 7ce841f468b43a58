"""Writes the audit log (store.audit) where changes enter: one hook on the API's resources
and one on the console, so that no view has to remember it.

A request is audited when it may change something (not GET/HEAD/OPTIONS), it succeeded
(status below 400), and it has a company and someone acting (`g.company`, `g.user` or the
API key `g.api_key`). The summary is the request's JSON body or form, secrets redacted;
a view may add to it through `note(...)` (e.g. the id of what it created)."""
import logging

from flask import Blueprint, g, request

from store import audit

log = logging.getLogger(__name__)
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def note(**facts) -> None:
    """Add facts to this request's audit summary (never secrets)."""
    g.audit_note = {**getattr(g, "audit_note", {}), **facts}


def _summary() -> dict:
    data = request.get_json(silent=True) if request.is_json else None
    if data is None and request.form:
        data = {k: (v if len(vs) == 1 else vs) for k, vs in request.form.lists() for v in vs[:1]}
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        data = {"body": data}
    return {**data, **getattr(g, "audit_note", {})}


def _target() -> str:
    return ",".join(f"{k}:{v}" for k, v in (request.view_args or {}).items())[:200]


def _write(channel: str, response):
    if request.method not in CHANGING or response.status_code >= 400:
        return response
    company = getattr(g, "company", None)
    user, key = getattr(g, "user", None), getattr(g, "api_key", None)
    company_id = getattr(g, "audit_company_id", None) or (company.id if company else None)
    if company_id is None or (user is None and key is None and channel != "api"):
        return response
    try:
        audit.record(company_id, channel=channel, action=request.endpoint or request.path,
                     actor=user, api_key_id=key.id if key is not None else None,
                     target=_target(), summary=_summary(), client=request.remote_addr or "")
    except Exception:  # the change is made; a lost audit row is logged, never a failed answer
        log.exception("could not write the audit row of %s %s", request.method, request.path)
    return response


def install(blueprint: Blueprint, channel: str, skip: frozenset = frozenset()) -> None:
    """Audit the blueprint's successful changes (endpoints in `skip` change nothing)."""
    def after(response):
        if request.endpoint in skip:
            return response
        return _write(channel, response)
    blueprint.after_request(after)
