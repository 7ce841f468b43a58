"""接口密钥 and 操作日志 in the console: admins create, rotate and revoke keys (a new key is
shown once and works at once), and read the audit log filtered by who, what and when."""
import re

from store import apikeys
from store.models import ApiKey
from tests.api_support import Api
from tests.web_support import admin, as_user, text, world  # noqa: F401


def _shown_key(response) -> str:
    return re.search(r"<code>(tw_[^<]+)</code>", text(response))[1]


def test_admin_creates_rotates_and_revokes_a_key(app, admin, world):
    page = admin.get("/app/settings/keys")
    assert page.status_code == 200 and "接口密钥" in text(page) and "default" in text(page)
    created = admin.post("/app/settings/keys", {"name": "ERP 对接", "scope": "erp"})
    assert created.status_code == 200 and "只显示这一次" in text(created)
    plain = _shown_key(created)
    key = apikeys.find_key(plain)
    assert (key.name, key.scope) == ("ERP 对接", "erp")
    assert Api(app.test_client(), plain).get("/erp/kinds").status_code == 200
    assert plain not in text(admin.get("/app/settings/keys"))  # listed by prefix only
    rotated = admin.post(f"/app/settings/keys/{key.id}/rotate")
    new_plain = _shown_key(rotated)
    assert apikeys.find_key(plain) is None and apikeys.find_key(new_plain).scope == "erp"
    new_id = apikeys.find_key(new_plain).id
    revoked = admin.post(f"/app/settings/keys/{new_id}/revoke")
    assert revoked.status_code == 303 and ApiKey.get_by_id(new_id).revoked_at is not None
    bad = admin.post("/app/settings/keys", {"name": "x", "scope": "root"})
    assert bad.status_code == 422 and "未知的密钥权限" in text(bad)


def test_only_company_admins_see_keys_and_the_log(app, world):
    member = as_user(app, world.dadmin)
    assert member.get("/app/settings/keys").status_code == 403
    assert member.get("/app/settings/audit").status_code == 403
    assert member.post("/app/settings/keys", {"name": "x", "scope": "read"}).status_code == 403
    assert ApiKey.select().count() == 1


def test_the_audit_log_page_lists_and_filters_changes(app, admin, world):
    admin.post("/app/settings/departments", {"name": "采购部"})
    Api(app.test_client(), world.api_key, world.admin).post("/departments", {"name": "物流部"})
    page = text(admin.get("/app/settings/audit"))
    assert "web.departments" in page and "departments.create_department" in page
    assert "控制台" in page and "接口" in page and "共 2 条" in page
    only_api = text(admin.get("/app/settings/audit?action=departments."))
    assert "物流部" in only_api and "采购部" not in only_api
    nothing = text(admin.get("/app/settings/audit?since=2030-01-01"))
    assert "没有记录" in nothing
    nav = text(admin.get("/app/"))
    assert 'href="/app/settings/keys"' in nav and 'href="/app/settings/audit"' in nav


def test_announcements_and_profile_edits_are_audited_from_the_console(admin, world):
    admin.post("/app/announcements/new", {"kind": "system", "title": "盘点通知", "action": "publish"})
    admin.post("/app/profile", {"name": "管理员甲", "gender": "female"})
    page = text(admin.get("/app/settings/audit"))
    assert "web.announcements_new" in page and "盘点通知" in page
    assert "web.profile" in page and "管理员甲" in page


def test_admin_rotates_the_webhook_secret_with_an_overlap(admin, world):
    from store.models import Company
    old = world.company.webhook_secret
    rotated = admin.post("/app/settings/keys/webhook-secret", {"overlap_hours": "6"})
    assert rotated.status_code == 303 and "done=" in rotated.headers["Location"]
    company = Company.get_by_id(world.company.id)
    assert company.webhook_secret != old and company.previous_webhook_secret == old
    assert (company.previous_secret_until - company.created_at).total_seconds() > 5 * 3600
    refused = admin.post("/app/settings/keys/webhook-secret", {"overlap_hours": "9999"})
    assert refused.status_code == 422 and "过渡期" in text(refused)
