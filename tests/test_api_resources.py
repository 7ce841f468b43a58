"""Happy paths of every /api/v1 resource, and the error format."""
import pytest

from store import announcements, apikeys, users as user_store
from store.db import utcnow
from store.errors import Refused
from store.models import Message, Notification, User
from tests.api_support import PLATFORM_KEY, Api, due
from tests.factories import make_outsider, make_world


@pytest.fixture
def acme(app):
    with app.app_context():
        return make_world()


@pytest.fixture
def api(app, acme):
    """The PC console: acme's key, acting as its company admin."""
    return Api(app.test_client(), acme.api_key, acme.admin)


def test_platform_creates_a_company_whose_key_works(app):
    client = app.test_client()
    created = Api(client, PLATFORM_KEY).post("/companies", {"code": "ZJ01", "name": "浙江跨境",
                                                            "timezone": "Asia/Shanghai"})
    assert created.status_code == 201
    body = created.json
    assert set(body) >= {"id", "code", "api_key", "webhook_secret"} and body["code"] == "ZJ01"
    assert body["admin_account"] == "admin" and len(body["admin_password"]) >= 12
    # The key is an admin key: it acts for the first admin, named by X-Twork-User.
    unnamed = Api(client, body["api_key"]).get("/company")
    assert unnamed.status_code == 400 and "X-Twork-User" in unnamed.json["message"]
    company = Api(client, body["api_key"], body["admin_user_id"])
    profile = company.get("/company").json
    assert profile["webhook_secret"] == body["webhook_secret"] and profile["id"] == body["id"]
    with app.app_context():
        assert user_store.login("ZJ01", "admin", body["admin_password"]).role == "company_admin"
    duplicate = Api(client, PLATFORM_KEY).post("/companies", {"code": "ZJ01", "name": "again"})
    assert duplicate.status_code == 409 and duplicate.json["error"] == "conflict"
    assert "已存在" in duplicate.json["message"]
    chosen = Api(client, PLATFORM_KEY).post("/companies", {
        "code": "ZJ02", "name": "浙江二", "admin": {"account": "boss", "name": "老板",
                                                  "password": "secret-77"}}).json
    assert chosen["admin_account"] == "boss" and chosen["admin_password"] is None
    assert Api(client, PLATFORM_KEY).post("/companies", {"code": "X", "name": "x",
                                                         "timezone": "Mars/Base"}).status_code == 422


def test_api_keys_are_listed_without_secrets_rotated_and_revocable(api, app):
    issued = api.post("/api-keys", {"name": "报表", "scope": "read"})
    assert issued.status_code == 201 and issued.json["api_key"].startswith(issued.json["prefix"])
    assert issued.json["scope"] == "read"
    page = api.get("/api-keys").json
    listed = page["items"]
    assert all("api_key" not in k and "key_hash" not in k for k in listed)
    assert {(k["name"], k["scope"]) for k in listed} == {("default", "admin"), ("报表", "read")}
    assert page["total"] == 2
    reader = Api(app.test_client(), issued.json["api_key"])
    assert reader.get("/departments").status_code == 200
    rotated = api.post(f"/api-keys/{issued.json['id']}/rotate")
    assert rotated.status_code == 201 and rotated.json["scope"] == "read"
    assert reader.get("/departments").status_code == 401
    reader = Api(app.test_client(), rotated.json["api_key"])
    assert reader.get("/departments").status_code == 200
    revoked = api.delete(f"/api-keys/{rotated.json['id']}")
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    answer = reader.get("/departments")
    assert answer.status_code == 401 and answer.json["error"] == "unauthorized"
    assert api.post("/api-keys", {"name": "x", "scope": "root"}).status_code == 422


def test_departments(api):
    created = api.post("/departments", {"name": "采购部"})
    assert created.status_code == 201 and created.json["name"] == "采购部"
    dept_id = created.json["id"]
    duplicate = api.post("/departments", {"name": "采购部"})
    assert duplicate.status_code == 409 and duplicate.json["error"] == "conflict"
    assert api.patch(f"/departments/{dept_id}", {"name": "采购一部"}).json["name"] == "采购一部"
    listed = api.get("/departments?limit=1").json
    assert listed["total"] == 2 and listed["next_offset"] == 1
    names = [d["name"] for d in api.get("/departments").json["items"]]
    assert names == ["运营部", "采购一部"]
    assert api.get("/departments/99999").status_code == 404


def test_users_create_edit_authorize_bind_deactivate(api, acme):
    created = api.post("/users", {"account": "wang5", "name": "王五", "password": "secret-9",
                                  "role": "member", "department_id": acme.dept.id,
                                  "gender": "男"})
    assert created.status_code == 201
    user = created.json
    assert user["account"] == "wang5" and user["authorized"] is False and "password" not in user
    assert "password_hash" not in user
    duplicate = api.post("/users", {"account": "wang5", "name": "x", "password": "secret-9"})
    assert duplicate.status_code == 409 and duplicate.json["error"] == "conflict"
    assert api.post("/users", {"account": "x", "name": "x", "password": "123"}).status_code == 422
    patched = api.patch(f"/users/{user['id']}", {"name": "王小五", "role": "dept_admin"}).json
    assert (patched["name"], patched["role"]) == ("王小五", "dept_admin")
    code = api.post(f"/users/{user['id']}/authorize")
    assert code.status_code == 200
    assert len(code.json["binding_code"]) == 8 and code.json["expires_at"].endswith("+08:00")
    with api.client.application.app_context():
        bound = user_store.bind_wechat("openid-wang5", code.json["binding_code"], utcnow())
    assert bound.id == user["id"]
    assert api.get(f"/users/{user['id']}").json["wechat_bound"] is True
    found = api.get("/users?q=王小&role=dept_admin").json
    assert [u["id"] for u in found["items"]] == [user["id"]] and found["total"] == 1
    gone = api.post(f"/users/{user['id']}/deactivate").json
    assert gone["active"] is False and gone["wechat_bound"] is False
    assert [u["id"] for u in api.get("/users?active=false").json["items"]] == [user["id"]]


def test_users_import_from_csv_all_or_nothing(api, acme):
    good = "账号,姓名,密码,角色,部门\nzhao,赵一,secret-1,普通成员,运营部\nqian,钱二,secret-2,dept_admin,运营部\n"
    imported = api.post("/users/import", {"csv": good})
    assert imported.status_code == 201 and imported.json["created"] == 2
    assert {u["account"] for u in imported.json["users"]} == {"zhao", "qian"}
    bad = "account,name,password,department\nsun,孙三,secret-3,\nzhao,重复,secret-4,\nli,李四,12,无此部门\n"
    refused = api.post("/users/import", {"csv": bad})
    assert refused.status_code == 422
    assert [row["line"] for row in refused.json["detail"]] == [3, 4]
    with api.client.application.app_context():
        assert not User.select().where(User.account == "sun").exists()
    assert api.post("/users/import", {"csv": "foo,bar\n1,2\n"}).status_code == 422


def test_projects_members_business_types_archive_restore(api, acme):
    created = api.post("/projects", {"name": "亚马逊店铺", "department_id": acme.dept.id,
                                     "member_ids": [acme.alice.id], "business_types": ["发货"]})
    assert created.status_code == 201
    project = created.json
    pid = project["id"]
    assert {m["id"] for m in project["members"]} == {acme.admin.id, acme.alice.id}
    assert project["business_types"] == ["发货"]
    assert api.post(f"/projects/{pid}/members", {"user_ids": [acme.h1.id]}).status_code == 200
    after = api.delete(f"/projects/{pid}/members/{acme.alice.id}").json
    assert {m["id"] for m in after["members"]} == {acme.admin.id, acme.h1.id}
    assert api.post(f"/projects/{pid}/business-types", {"name": "采购"}).json["business_types"] == ["发货", "采购"]
    assert api.delete(f"/projects/{pid}/business-types/发货").json["business_types"] == ["采购"]
    nul = api.delete(f"/projects/{pid}/business-types/%00x")
    assert nul.status_code == 422 and nul.json["error"] == "invalid"
    assert api.patch(f"/projects/{pid}", {"name": "亚马逊美国站"}).json["name"] == "亚马逊美国站"
    assert api.post(f"/projects/{pid}/archive").json["archived"] is True
    assert pid not in [p["id"] for p in api.get("/projects").json["items"]]
    assert pid in [p["id"] for p in api.get("/projects?include_archived=true").json["items"]]
    assert api.post("/tasks", {"project_id": pid, "title": "x", "due_at": due()}).status_code == 409
    assert api.post(f"/projects/{pid}/restore").json["archived"] is False
    erp = [p for p in api.get("/projects").json["items"] if p["kind"] == "erp"]
    refused = api.post(f"/projects/{erp[0]['id']}/archive")
    assert refused.status_code == 409 and refused.json["error"] == "refused"


def test_templates_are_copied_into_tasks(api, acme):
    builtins = [t["builtin"] for t in api.get("/templates").json["items"]]
    assert builtins == ["simple", "empty"]
    created = api.post("/templates", {"name": "采购审批", "nodes": [
        {"handler_id": acme.h1.id, "items": "核实", "days": 1}, {"handler_id": acme.h2.id, "items": "审批"}]})
    assert created.status_code == 201
    tpl = created.json
    assert [n["handler_id"] for n in tpl["nodes"]] == [acme.h1.id, acme.h2.id]
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "PO9", "due_at": due(),
                               "template_id": tpl["id"]}).json
    api.patch(f"/templates/{tpl['id']}", {"nodes": [{"handler_id": acme.h3.id, "items": "新"}]})
    assert api.get(f"/templates/{tpl['id']}").json["nodes"][0]["handler_id"] == acme.h3.id
    assert [n["handler_id"] for n in api.get(f"/tasks/{task['id']}").json["nodes"]] == [acme.h1.id, acme.h2.id]
    assert api.patch(f"/templates/{api.get('/templates').json['items'][0]['id']}",
                     {"name": "x"}).status_code == 409
    assert api.post("/templates", {"name": "空", "nodes": []}).status_code == 422
    assert api.as_(acme.alice).post("/templates", {"name": "x", "nodes": [
        {"handler_id": acme.h1.id}]}).status_code == 403


def test_task_edit_copy_move_comment_delete_archive(api, acme):
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "核对库存", "due_at": due(),
                               "assignee_id": acme.alice.id, "editor_ids": [acme.h1.id]}).json
    tid = task["id"]
    edited = api.as_(acme.h1).patch(f"/tasks/{tid}", {"title": "核对深圳仓库存", "priority": "high"})
    assert edited.status_code == 200 and edited.json["title"] == "核对深圳仓库存"
    assert edited.json["log"][-1]["action"] == "edit"
    assert api.patch(f"/tasks/{tid}", {"status": "done"}).status_code == 422
    copy = api.post(f"/tasks/{tid}/copy", {"title": "核对义乌仓库存"})
    assert copy.status_code == 201 and copy.json["id"] != tid and copy.json["number"] > task["number"]
    other = api.post("/projects", {"name": "第二项目", "member_ids": [acme.alice.id]}).json
    moved = api.post(f"/tasks/{tid}/move", {"project_id": other["id"]}).json
    assert moved["project"]["id"] == other["id"]
    comment = api.as_(acme.alice).post(f"/tasks/{tid}/comments", {"body": "已在处理"})
    assert comment.status_code == 201 and comment.json["body"] == "已在处理"
    comments = api.get(f"/tasks/{tid}/comments").json["items"]
    assert [c["body"] for c in comments] == ["已在处理"]
    log = api.get(f"/tasks/{tid}/log").json["items"]
    assert [e["action"] for e in log][:2] == ["create", "edit"]
    assert "comment" in [e["action"] for e in log]
    assert api.post(f"/tasks/{tid}/archive").status_code == 409  # not finished
    api.as_(acme.alice).post(f"/tasks/{tid}/complete")
    assert api.post(f"/tasks/{tid}/archive").json["archived"] is True
    deleted = api.delete(f"/tasks/{copy.json['id']}")
    assert deleted.status_code == 200 and deleted.json["deleted_at"]
    assert api.get(f"/tasks/{copy.json['id']}").status_code == 404


def test_other_company_rows_are_404(api, acme, app):
    with app.app_context():
        outsider = make_outsider()
        _row, other_key = apikeys.issue(outsider.company_id)
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "机密", "due_at": due(),
                               "assignee_id": acme.alice.id}).json
    theirs = Api(app.test_client(), other_key, outsider)
    for path in (f"/tasks/{task['id']}", f"/projects/{acme.project.id}", f"/users/{acme.alice.id}",
                 f"/departments/{acme.dept.id}"):
        answer = theirs.get(path)
        assert answer.status_code == 404 and answer.json["error"] == "not_found", path
    assert task["id"] not in [t["id"] for t in theirs.get("/tasks").json["items"]]
    assert acme.alice.id not in [u["id"] for u in theirs.get("/users").json["items"]]


def test_messages_read_and_pending(api, acme):
    api.post("/tasks", {"project_id": acme.project.id, "title": "消息测试", "due_at": due(),
                        "assignee_id": acme.alice.id})
    alice = api.as_(acme.alice)
    listing = alice.get("/messages").json
    assert listing["unread"] == 1 and listing["items"][0]["kind"] == "task_received"
    mid = listing["items"][0]["id"]
    assert alice.post(f"/messages/{mid}/read").json["read"] is True
    assert alice.post(f"/messages/{mid}/pending").json["pending"] is True
    assert [m["id"] for m in alice.get("/messages?pending=true").json["items"]] == [mid]
    assert alice.post(f"/messages/{mid}/pending", {"pending": False}).json["pending"] is False
    alice.post(f"/messages/{mid}/pending", {})
    assert alice.delete(f"/messages/{mid}/pending").json["pending"] is False
    assert alice.get("/messages?pending=true").json["items"] == []
    assert api.get(f"/messages/{mid}").status_code == 404  # the admin's inbox is not alice's
    assert alice.post("/messages/read", {"all": True}).json == {"updated": 0, "unread": 0}


def test_stats_json_and_csv(api, acme):
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "统计", "due_at": due(),
                               "assignee_id": acme.alice.id}).json
    api.as_(acme.alice).post(f"/tasks/{task['id']}/complete")
    month = api.get("/stats?period=month").json
    assert month["period"] == "month" and month["completed"] == 1 and month["received"] == 1
    assert month["completion_rate_display"] == "100.0%"
    alice_row = next(m for m in month["members"] if m["user_id"] == acme.alice.id)
    assert alice_row["done"] == 1
    week = api.as_(acme.dadmin).get(f"/stats?period=week&department_id={acme.dept.id}").json
    assert week["period"] == "week" and week["scope"]["department_id"] == acme.dept.id
    csv = api.get("/stats?period=month&at=2026-01-15&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("成员ID") and "2026-01-01" in text
    assert api.as_(acme.alice).get("/stats").status_code == 403
    assert api.get("/stats?period=year").status_code == 422
    assert api.get("/stats?department_id=99999").status_code == 404


def test_announcements_push_to_bound_users(api, acme, app):
    with app.app_context():
        code, _ = user_store.authorize_user(acme.admin, acme.alice.id, utcnow())
        user_store.bind_wechat("openid-alice", code, utcnow())
    created = api.post("/announcements", {"kind": "feature", "title": "新功能：延期申请",
                                          "body": "现在可以申请延期", "push": True})
    assert created.status_code == 201 and created.json["pushed"] == 1
    quiet = api.post("/announcements", {"title": "仅公告"}).json
    assert quiet["pushed"] == 0 and quiet["kind"] == "system"
    titles = [a["title"] for a in api.as_(acme.alice).get("/announcements").json["items"]]
    assert titles == ["仅公告", "新功能：延期申请"]
    with app.app_context():
        notes = list(Notification.select().where(Notification.kind == "announcement"))
    assert [n.user_id for n in notes] == [acme.alice.id]
    with app.app_context():  # pushed once: the console's push button refuses it again
        with pytest.raises(Refused):
            announcements.push_announcement(acme.admin, created.json["id"])
    assert api.post("/announcements", {"kind": "ad", "title": "x"}).status_code == 422


def test_feedback_reply_reaches_the_user(api, acme, app):
    sent = api.as_(acme.alice).post("/feedback", {"body": "希望支持批量导出任务"})
    assert sent.status_code == 201 and sent.json["status"] == "open"
    fid = sent.json["id"]
    assert [f["id"] for f in api.get("/feedback?status=open").json["items"]] == [fid]
    replied = api.post(f"/feedback/{fid}/reply", {"reply": "下个版本支持"})
    assert replied.status_code == 200 and replied.json["status"] == "replied"
    again = api.post(f"/feedback/{fid}/reply", {"reply": "再说一次"})
    assert again.status_code == 409 and again.json["detail"] == {"status": "replied"}
    with app.app_context():
        message = Message.get(Message.user == acme.alice.id, Message.kind == "feedback_reply")
    assert message.body == "下个版本支持"
    assert api.post(f"/feedback/{fid}/close").json["status"] == "closed"


def test_errors_are_json(api):
    assert api.get("/no-such-thing").json["error"] == "not_found"
    wrong_method = api.call("PUT", "/departments")
    assert wrong_method.status_code == 405 and wrong_method.json["error"] == "method_not_allowed"
    assert api.get(f"/tasks/{2**40}").status_code == 404
    bad = api.post("/departments", data="{oops", content_type="application/json")
    assert bad.status_code == 400 and bad.json["error"] == "bad_json"
    nul = api.post("/departments", {"name": "a\x00b"})
    assert nul.status_code == 422
    unknown = api.post("/departments", {"name": "x", "color": "red"})
    assert unknown.status_code == 422 and "color" in unknown.json["message"]
    not_object = api.post("/departments", [1, 2])
    assert not_object.status_code == 422
    naive = api.post("/tasks", {"project_id": 1, "title": "x", "due_at": "2030-01-01T10:00:00"})
    assert naive.status_code == 422 and naive.json["detail"][0]["loc"] == ["due_at"]
