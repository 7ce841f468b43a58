"""Writes the audit log (store.audit) where changes enter: one hook on the API's resources
and one on the console, so that no view has to remember it (operator commands in bot/cli.py
write their own row).

An API request is audited when it may change something (not GET/HEAD/OPTIONS), succeeded
(status below 400) and was made with a key (the platform's company creation names its
company through `g.audit_company_id`; signed ERP events are not audited). A console request is audited when it is a POST to the settings pages, the
announcements or one's own profile and password that succeeded: answered by a redirect without an error (plain forms), an
HX-Redirect (htmx), or a 200 from the pages that show their result in place (binding code,
company profile, the revealed webhook secret, a real import, the password, a new API key).
Re-renders of a form that save nothing (a trial run, adding a row, previews) are not changes.

The summary is the request's JSON body or form, secrets redacted (store.audit.redact); a
view may add to it through `note(...)` (e.g. the id of what it created)."""
import logging

from flask import Blueprint, g, request

from store import audit

log = logging.getLogger(__name__)
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def note(**facts) -> None:
    """Add facts to this request's audit summary (never secrets)."""
    g.audit_note = {**getattr(g, "audit_note", {}), **facts}


def _summary() -> dict:
    if request.endpoint in CONSOLE_NO_SUMMARY:
        return dict(getattr(g, "audit_note", {}))
    data = request.get_json(silent=True) if request.is_json else None
    if data is None and request.form:
        data = {k: (v if len(vs) == 1 else vs) for k, vs in request.form.lists() for v in vs[:1]}
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        data = {"body": data}
    data.pop("csrf_token", None)
    return {**data, **getattr(g, "audit_note", {})}


def _target() -> str:
    return ",".join(f"{k}:{v}" for k, v in (request.view_args or {}).items())[:200]


def _write(channel: str, response):
    if request.method not in CHANGING or response.status_code >= 400:
        return response
    company = getattr(g, "company", None)
    user, key = getattr(g, "user", None), getattr(g, "api_key", None)
    named = getattr(g, "audit_company_id", None)  # e.g. a company just created
    company_id = named or (company.id if company else None)
    if company_id is None or (user is None and key is None and named is None):
        return response  # signed ERP events: their outcome is in the event and task logs
    try:
        audit.record(company_id, channel=channel, action=request.endpoint or request.path,
                     actor=user, api_key_id=key.id if key is not None else None,
                     target=_target(), summary=_summary(), client=request.remote_addr or "")
    except Exception:  # the change is made; a lost audit row is logged, never a failed answer
        log.exception("could not write the audit row of %s %s", request.method, request.path)
    return response


CONSOLE_PATHS = ("/app/settings/", "/app/password", "/app/announcements", "/app/profile")
CONSOLE_SHOWS_RESULT = {"web.members_authorize", "web.company", "web.company_secret",
                        "web.members_import", "web.password", "web.keys", "web.keys_rotate"}
CONSOLE_NO_SUMMARY = {"web.password", "web.members_import"}  # passwords, or a CSV of them


def console_change(response) -> bool:
    if request.method != "POST" or not request.path.startswith(CONSOLE_PATHS):
        return False
    if request.endpoint == "web.members_import" and request.form.get("action") == "check":
        return False  # a dry run
    if 300 <= response.status_code < 400:
        return "error=" not in response.headers.get("Location", "")
    if "HX-Redirect" in response.headers:
        return True
    return response.status_code == 200 and request.endpoint in CONSOLE_SHOWS_RESULT


def install(blueprint: Blueprint, channel: str, changed=None) -> None:
    """Audit the blueprint's successful changes; `changed(response)` decides what is one
    (default: any request that may change something and succeeded)."""
    def after(response):
        if changed is not None and not changed(response):
            return response
        return _write(channel, response)
    blueprint.after_request(after)
