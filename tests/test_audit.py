"""The audit log (SPEC §11): one row for each change made through the API, the console or an
operator command — who (user and key), what, when, from where — never a secret; company
admins read it through GET /api/v1/audit, filtered and paged."""
import json
import re
import time

import pytest

from bot import cli
from bot.api.erp import signature
from store.models import AuditEntry
from tests.api_support import Api
from tests.erp_samples import event, scenario_body
from tests.factories import PASSWORD, make_world
from tests.web_support import as_user


@pytest.fixture
def world(app):
    with app.app_context():
        return make_world()


@pytest.fixture
def admin_api(app, world):
    return Api(app.test_client(), world.api_key, world.admin)


def rows(**where):
    query = AuditEntry.select().order_by(AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(query)


def test_api_changes_are_audited_with_user_key_and_address_never_secrets(admin_api, world):
    before = AuditEntry.select().count()
    created = admin_api.post("/users", {"account": "wang5", "name": "王五", "password": "secret-99"})
    assert created.status_code == 201
    [row] = rows(action="users.create_user")
    assert (row.actor_id, row.actor_name, row.channel) == (world.admin.id, "管理员", "api")
    assert row.api_key_id is not None and row.client == "127.0.0.1"
    assert row.summary["account"] == "wang5" and row.summary["password"] == "***"
    user_id = created.json["id"]
    admin_api.patch(f"/users/{user_id}", {"role": "dept_admin", "password": "other-pass-1"})
    admin_api.post(f"/users/{user_id}/authorize")
    code = admin_api.post("/api-keys", {"name": "ERP", "scope": "erp"}).json
    admin_api.post(f"/api-keys/{code['id']}/rotate")
    admin_api.post("/company/webhook-secret/rotate", {})
    admin_api.post("/departments", {"name": "采购部"})
    admin_api.post("/projects", {"name": "新项目"})
    admin_api.post("/announcements", {"title": "系统升级"})
    admin_api.post("/users/import", {"csv": "account,name,password\nimp1,导入,secret-1\n"})
    actions = [r.action for r in AuditEntry.select().where(AuditEntry.id > 0).order_by(AuditEntry.id)]
    assert actions[-10:] == [
        "users.create_user", "users.update_user", "users.authorize_user", "companies.create_key",
        "companies.rotate_key", "companies.rotate_webhook_secret", "departments.create_department",
        "projects.create_project", "announcements.create_announcement", "users.import_users"]
    assert AuditEntry.select().count() == before + 10
    stored = json.dumps([r.summary for r in rows()], ensure_ascii=False)
    for secret in ("secret-99", "other-pass-1", "secret-1", code["api_key"]):
        assert secret not in stored
    assert rows(action="users.update_user")[0].target == f"user_id:{user_id}"


def test_refused_and_read_only_requests_and_erp_events_write_nothing(app, admin_api, world):
    before = AuditEntry.select().count()
    admin_api.get("/users")
    admin_api.post("/departments", {"name": ""})  # 422
    admin_api.as_(world.alice).post("/departments", {"name": "采购部"})  # 403
    body = json.dumps(event("inventory.low")).encode()
    stamp = str(int(time.time()))
    pushed = app.test_client().post("/api/v1/erp/events", data=body, headers={
        "X-Twork-Company": "acme", "X-Twork-Timestamp": stamp, "Content-Type": "application/json",
        "X-Twork-Signature": signature(world.company.webhook_secret, stamp, body)})
    assert pushed.status_code == 200
    assert AuditEntry.select().count() == before


def test_templates_scenarios_and_archiving_are_audited(admin_api, world):
    template = admin_api.post("/templates", {"name": "审批", "nodes": [
        {"handler_id": world.h1.id, "items": "审"}]}).json
    admin_api.patch(f"/templates/{template['id']}", {"name": "两步审批"})
    scenario = admin_api.post("/scenarios", scenario_body(world, "inventory.low")).json
    admin_api.post(f"/scenarios/{scenario['id']}/disable")
    admin_api.post(f"/projects/{world.project.id}/archive")
    admin_api.post(f"/projects/{world.project.id}/restore")
    assert [r.action for r in rows()][-6:] == [
        "templates.create_template", "templates.update_template", "scenarios.create_scenario",
        "scenarios.disable_scenario", "projects.archive_project", "projects.restore_project"]
    assert rows(action="projects.restore_project")[0].target == f"project_id:{world.project.id}"


def test_task_actions_through_the_api_are_audited(admin_api, world):
    task = admin_api.post("/tasks", {"project_id": world.project.id, "title": "核对", "assignee_id":
                                     world.alice.id, "due_at": "2026-12-09T18:00:00+08:00"}).json
    admin_api.as_(world.alice).post(f"/tasks/{task['id']}/complete")
    [done] = rows(action="tasks.complete")
    assert done.actor_id == world.alice.id and done.target == f"task_id:{task['id']}"


def test_company_creation_is_audited_in_the_new_company(app):
    created = Api(app.test_client(), "platform-key-for-tests").post(
        "/companies", {"code": "NEW1", "name": "新公司"}).json
    [row] = rows(company=created["id"])
    assert row.action == "companies.create_company" and row.api_key_id is None
    assert row.summary["admin_user_id"] == created["admin_user_id"]


def test_console_changes_are_audited_and_form_rerenders_are_not(app, world):
    console = as_user(app, world.admin)
    token = console.token()
    before = AuditEntry.select().count()
    console.post("/app/settings/departments", {"name": "采购部"})
    console.post("/app/settings/departments", {"name": "采购部"})  # a duplicate: refused
    console.post(f"/app/settings/members/{world.h3.id}/authorize")
    console.post("/app/settings/scenarios/new", {"action": "trial"})
    console.post("/app/password", {"current": PASSWORD, "new": "brand-new-pw1",
                                   "repeat": "brand-new-pw1"})
    new = list(AuditEntry.select().where(AuditEntry.id > 0).order_by(AuditEntry.id))[before:]
    assert [(r.action, r.channel, r.actor_id) for r in new] == [
        ("web.departments", "console", world.admin.id),
        ("web.members_authorize", "console", world.admin.id),
        ("web.password", "console", world.admin.id)]
    stored = json.dumps([r.summary for r in new], ensure_ascii=False)
    assert "brand-new-pw1" not in stored and PASSWORD not in stored and token not in stored
    assert new[0].summary == {"name": "采购部"}


def test_operator_commands_are_audited(app, world, sqlite_db, capsys):
    cli.main(["authorize", "--company", "acme", "--account", "h1", "--database-url", sqlite_db])
    cli.main(["api-key", "--company", "acme", "--scope", "read", "--database-url", sqlite_db])
    printed = capsys.readouterr().out
    key = re.search(r"\(shown once\): (\S+)", printed)[1]
    [bind, issued] = rows(channel="operator")
    assert (bind.action, bind.target, bind.actor_id) == ("operator.authorize",
                                                         f"user_id:{world.h1.id}", None)
    assert bind.actor_name and "@" in bind.client
    assert issued.summary["scope"] == "read" and key not in json.dumps(issued.summary)
    cli.main(["audit", "--company", "acme", "--database-url", sqlite_db])
    listing = capsys.readouterr().out
    assert "operator.authorize" in listing and "operator.api_key" in listing


def test_admins_read_the_log_filtered_and_paged(app, admin_api, world):
    for name in ("甲部", "乙部", "丙部"):
        admin_api.post("/departments", {"name": name})
    admin_api.as_(world.dadmin).post("/projects", {"name": "部门项目", "department_id": world.dept.id})
    page = admin_api.get("/audit?limit=2").json
    assert page["total"] == 4 and len(page["items"]) == 2 and page["next_offset"] == 2
    following = admin_api.get(f"/audit?limit=2&cursor={page['next_cursor']}").json
    assert following == admin_api.get("/audit?limit=2&offset=2").json | {"next_cursor": None,
                                                                         "offset": 0}
    assert [i["summary"]["name"] for i in following["items"]] == ["乙部", "甲部"]
    newest = page["items"][0]
    assert newest["action"] == "projects.create_project"
    assert newest["actor"] == {"id": world.dadmin.id, "name": "部门管理员"}
    mine = admin_api.get(f"/audit?actor_id={world.admin.id}&action=departments.").json
    assert [i["summary"]["name"] for i in mine["items"]] == ["丙部", "乙部", "甲部"]
    later = admin_api.get("/audit", query_string={"since": newest["at"]}).json
    assert [i["id"] for i in later["items"]] == [newest["id"]]
    assert admin_api.as_(world.dadmin).get("/audit").status_code == 403
    with app.app_context():
        other = make_world(code="other")
    assert Api(app.test_client(), other.api_key, other.admin).get("/audit").json["total"] == 0
