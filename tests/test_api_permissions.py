"""The permission matrix of /api/v1: every operation of the OpenAPI document, called by
every kind of caller — no key, a revoked key, another company's admin, and each key scope
(SPEC §11): the admin key without X-Twork-User (400), the erp key, the read key alone and
acting for a member, and the admin key acting for a member, a department admin and a
company admin.

Callers run in the order of PRINCIPALS (refusals and reads first, then member, department
admin, company admin) against one world per route, so a caller's success never hides
another's expected answer. `other` is the admin of another company using its own key: it may
create in its own company, and gets 404 for every acme row (nothing leaks).

A row gives the answers of the admin key acting for each role, and `company_wide`: what a key
acting for no one gets where its scope allows the route (the read key on GETs, the erp key on
its routes). The scopes themselves are asserted against the document, so a route whose
declared access changes, or a new route without a row, fails here."""
from datetime import timedelta

import pytest

from store.db import utcnow
from tests.api_support import PLATFORM_KEY, PRINCIPALS, Api, api_for, build_world, due
from tests.erp_samples import scenario_body

PREFIX = "/api/v1"
ERP_ROUTES = {("GET", "/scenarios"), ("GET", "/scenarios/{scenario_id}"), ("GET", "/erp/kinds"),
              ("GET", "/erp/jobs/{job_id}")}
ADMIN_KEY_ONLY_READS = {("GET", "/company"), ("GET", "/api-keys"), ("GET", "/audit")}
KEYLESS = {("POST", "/companies"), ("POST", "/erp/events"), ("GET", "/erp/jobs/{job_id}")}


def E(other, company_wide, member, dept_admin, company_admin, nokey=401, revoked=401):
    return dict(nokey=nokey, revoked=revoked, other=other, company_wide=company_wide,
                member=member, dept_admin=dept_admin, company_admin=company_admin)


def scenario(w, who, name):
    """A scenario body with people of the caller's company."""
    body = scenario_body(w.acme, "inventory.low", name=f"{name}{who}")
    if who == "other":
        body.update(nodes=[{"handler_id": w.other_admin.id, "items": "办"}], watcher_ids=[],
                    editor_ids=[], escalate_to_ids=[], notify_on_finish_ids=[])
    return body


ADMIN_ONLY = E(200, 200, 403, 403, 200)          # company-level admin, any company
ADMIN_CREATE = E(201, 201, 403, 403, 201)
ADMIN_ON_ACME = E(404, 200, 403, 403, 200)        # admin-only, on an acme row
READ_ALL = E(200, 200, 200, 200, 200)
READ_ACME = E(404, 200, 200, 200, 200)            # company-level read of an acme row
USER_ALL = E(200, None, 200, 200, 200)            # needs X-Twork-User, anyone of a company
PROJECT_MANAGE = E(404, None, 403, 200, 200)
TASK_READ = E(404, None, 200, 200, 200)
HANDLER_ONLY = E(404, None, 200, 403, 403)         # workflow: only alice, the handler
ALICE_MESSAGE = E(404, None, 200, 404, 404)        # a message is its owner's alone


def node(w, who):
    return w.other_admin.id if who == "other" else w.ids["h1"]


def extension_path(action):
    """A pending extension alice (handler of node 1) asked for on the admin's task."""
    def path(w, who):
        if "extension" not in w.ids:
            from store import extensions
            w.ids["extension"] = extensions.request_extension(
                w.acme.alice, w.ids["task"], utcnow() + timedelta(days=10), "等供应商发货",
                utcnow()).id
        return f"/tasks/{w.ids['task']}/extensions/{w.ids['extension']}/{action}"
    return path


def late_task_path(w, who):
    """A task whose first node alice completed after its deadline."""
    if "task_late" not in w.ids:
        from store import tasks, workflow
        task = tasks.create_task(w.acme.admin, w.ids["project"], "逾期任务",
                                 due_at=utcnow() - timedelta(days=1),
                                 now=utcnow() - timedelta(days=2),
                                 nodes=[{"handler_id": w.ids["alice"], "items": "办"},
                                        {"handler_id": w.ids["h1"], "items": "办"}])
        workflow.complete(w.acme.alice, task.id, utcnow())
        w.ids["task_late"] = task.id
    return f"/tasks/{w.ids['task_late']}/late_reason"


def leave_days(days):
    return (utcnow() + timedelta(days=days)).date().isoformat()


def leave_path(suffix=""):
    """A leave of alice (stand-in h3), made once per world."""
    def path(w, who):
        if "leave" not in w.ids:
            from store import leaves
            w.ids["leave"] = leaves.create_leave(
                w.acme.alice, utcnow().date() + timedelta(days=20),
                utcnow().date() + timedelta(days=21), w.ids["h3"], utcnow()).id
        return f"/leaves/{w.ids['leave']}{suffix}"
    return path


# (method, path as documented, path called, body, expected); path/body may be f(world, who)
ROUTES = [
    ("POST", "/companies", "/companies", lambda w, who: {"code": f"c{who}", "name": "x"},
     E(401, 401, 401, 401, 401)),
    ("GET", "/company", "/company", None, ADMIN_ONLY),
    ("GET", "/api-keys", "/api-keys", None, ADMIN_ONLY),
    ("POST", "/api-keys", "/api-keys", {"name": "erp"}, ADMIN_CREATE),
    ("POST", "/api-keys/{key_id}/rotate", "/api-keys/{spare_key}/rotate", None,
     E(404, None, 403, 403, 201)),
    ("DELETE", "/api-keys/{key_id}", "/api-keys/{spare_key}", None, ADMIN_ON_ACME),
    ("POST", "/company/webhook-secret/rotate", "/company/webhook-secret/rotate",
     {"overlap_hours": 2}, ADMIN_ONLY),
    ("GET", "/audit", "/audit", None, ADMIN_ONLY),
    ("POST", "/departments", "/departments", lambda w, who: {"name": f"部门{who}"}, ADMIN_CREATE),
    ("GET", "/departments", "/departments", None, READ_ALL),
    ("GET", "/departments/{department_id}", "/departments/{dept}", None, READ_ACME),
    ("PATCH", "/departments/{department_id}", "/departments/{dept}",
     lambda w, who: {"name": f"运营{who}"}, ADMIN_ON_ACME),
    ("POST", "/users", "/users",
     lambda w, who: {"account": f"u{who}", "name": "新人", "password": "secret-1"}, ADMIN_CREATE),
    ("POST", "/users/import", "/users/import",
     lambda w, who: {"csv": f"account,name,password\nimp{who},导入,secret-1\n"}, ADMIN_CREATE),
    ("GET", "/users", "/users", None, READ_ALL),
    ("GET", "/users/{user_id}", "/users/{alice}", None, READ_ACME),
    ("PATCH", "/users/{user_id}", "/users/{h3}", {"name": "李三三"}, ADMIN_ON_ACME),
    ("POST", "/users/{user_id}/deactivate", "/users/{h3}/deactivate", None, ADMIN_ON_ACME),
    ("POST", "/users/{user_id}/authorize", "/users/{h3}/authorize", None, ADMIN_ON_ACME),
    ("POST", "/projects", "/projects", lambda w, who: {"name": f"新项目{who}"},  # names are unique
     E(201, None, 403, 201, 201)),
    ("GET", "/projects", "/projects", None, USER_ALL),
    ("GET", "/projects/{project_id}", "/projects/{project}", None, TASK_READ),
    ("PATCH", "/projects/{project_id}", "/projects/{project}", {"name": "改名"}, PROJECT_MANAGE),
    ("POST", "/projects/{project_id}/members", "/projects/{project}/members",
     lambda w, who: {"user_ids": [w.ids["h3"]]}, PROJECT_MANAGE),
    ("DELETE", "/projects/{project_id}/members/{user_id}", "/projects/{project}/members/{h3}",
     None, PROJECT_MANAGE),
    ("POST", "/projects/{project_id}/business-types", "/projects/{project}/business-types",
     lambda w, who: {"name": f"类型{who}"}, PROJECT_MANAGE),
    ("DELETE", "/projects/{project_id}/business-types/{name}",
     "/projects/{project}/business-types/采购", None, PROJECT_MANAGE),
    ("POST", "/projects/{project_id}/archive", "/projects/{project}/archive", None, PROJECT_MANAGE),
    ("POST", "/projects/{project_id}/restore", "/projects/{project}/restore", None, PROJECT_MANAGE),
    ("POST", "/templates", "/templates",
     lambda w, who: {"name": "模板", "nodes": [{"handler_id": node(w, who), "items": "办"}]},
     E(201, 201, 403, 403, 201)),
    ("GET", "/templates", "/templates", None, READ_ALL),
    ("GET", "/templates/{template_id}", "/templates/{template}", None, READ_ACME),
    ("PATCH", "/templates/{template_id}", "/templates/{template}", {"name": "新名"},
     ADMIN_ON_ACME),
    ("POST", "/tasks", "/tasks",
     lambda w, who: {"project_id": w.ids["project"], "title": "新任务", "due_at": due()},
     E(404, None, 201, 201, 201)),
    ("GET", "/tasks", "/tasks?view=todo", None, USER_ALL),
    ("GET", "/tasks/{task_id}", "/tasks/{task}", None, TASK_READ),
    ("PATCH", "/tasks/{task_id}", "/tasks/{task}", {"title": "改标题"}, E(404, None, 403, 403, 200)),
    ("DELETE", "/tasks/{task_id}", lambda w, who: f"/tasks/{w.ids['task_del_' + who]}", None,
     E(404, None, 403, 200, 200)),
    ("POST", "/tasks/{task_id}/copy", "/tasks/{task}/copy", {}, E(404, None, 201, 201, 201)),
    ("POST", "/tasks/{task_id}/move", "/tasks/{task}/move",
     lambda w, who: {"project_id": w.ids["project2"]}, E(404, None, 403, 200, 200)),
    ("POST", "/tasks/{task_id}/archive", "/tasks/{task_done}/archive", None,
     E(404, None, 403, 200, 200)),
    ("GET", "/tasks/{task_id}/comments", "/tasks/{task}/comments", None, TASK_READ),
    ("POST", "/tasks/{task_id}/comments", "/tasks/{task}/comments", {"body": "看一下"},
     E(404, None, 201, 201, 201)),
    ("GET", "/tasks/{task_id}/log", "/tasks/{task}/log", None, TASK_READ),
    ("POST", "/tasks/{task_id}/start", "/tasks/{task}/start", None, HANDLER_ONLY),
    ("POST", "/tasks/{task_id}/complete", "/tasks/{task}/complete", None, HANDLER_ONLY),
    ("POST", "/tasks/{task_id}/transfer", "/tasks/{task}/transfer",
     lambda w, who: {"to_user_id": w.ids["h2"]}, HANDLER_ONLY),
    ("POST", "/tasks/{task_id}/rollback", "/tasks/{task_rollback}/rollback",
     {"reason": "数量不对"}, HANDLER_ONLY),
    ("POST", "/tasks/{task_id}/withdraw", "/tasks/{task_withdraw}/withdraw", None, HANDLER_ONLY),
    ("POST", "/tasks/{task_id}/urge", "/tasks/{task_urge}/urge", None, HANDLER_ONLY),
    ("GET", "/tasks/{task_id}/extensions", "/tasks/{task}/extensions", None, TASK_READ),
    ("POST", "/tasks/{task_id}/extensions", "/tasks/{task}/extensions",
     lambda w, who: {"due_at": due(10), "reason": "等供应商发货"}, E(404, None, 201, 403, 403)),
    ("POST", "/tasks/{task_id}/extensions/{extension_id}/approve", extension_path("approve"),
     None, E(404, None, 403, 403, 200)),
    ("POST", "/tasks/{task_id}/extensions/{extension_id}/refuse", extension_path("refuse"),
     {"reason": "不能再晚"}, E(404, None, 403, 403, 200)),
    ("POST", "/tasks/{task_id}/late_reason", late_task_path, {"reason": "supplier", "seq": 1},
     E(404, None, 200, 403, 403)),
    ("GET", "/messages", "/messages", None, USER_ALL),
    ("GET", "/messages/{message_id}", "/messages/{message}", None, ALICE_MESSAGE),
    ("POST", "/messages/{message_id}/read", "/messages/{message}/read", None, ALICE_MESSAGE),
    ("POST", "/messages/read", "/messages/read", {"all": True}, USER_ALL),
    ("POST", "/messages/{message_id}/pending", "/messages/{message}/pending", {},
     ALICE_MESSAGE),
    ("DELETE", "/messages/{message_id}/pending", "/messages/{message}/pending", None,
     ALICE_MESSAGE),
    ("GET", "/stats", "/stats?period=month", None, E(200, 200, 403, 200, 200)),
    ("GET", "/announcements", "/announcements", None, READ_ALL),
    ("POST", "/announcements", "/announcements", {"title": "系统升级"}, ADMIN_CREATE),
    ("POST", "/feedback", "/feedback", {"body": "希望支持导出"}, E(201, None, 201, 201, 201)),
    ("GET", "/feedback", "/feedback", None, ADMIN_ONLY),
    ("GET", "/feedback/{feedback_id}", "/feedback/{feedback_member}", None, ADMIN_ON_ACME),
    ("POST", "/feedback/{feedback_id}/reply", lambda w, who: f"/feedback/{w.ids['feedback_' + who]}/reply",
     {"reply": "已安排"}, ADMIN_ON_ACME),
    ("POST", "/feedback/{feedback_id}/close", "/feedback/{feedback_member}/close", None,
     ADMIN_ON_ACME),
    ("POST", "/leaves", "/leaves",
     lambda w, who: {"starts_on": leave_days(10), "ends_on": leave_days(11),
                     "delegate_id": w.ids["h3"]}, E(422, None, 201, 201, 201)),
    ("GET", "/leaves", "/leaves", None, USER_ALL),
    ("GET", "/leaves/{leave_id}", leave_path(), None, E(404, None, 200, 404, 200)),
    # alice cancels her own leave; the company admin, who may too, then finds it cancelled.
    ("POST", "/leaves/{leave_id}/cancel", leave_path("/cancel"), None,
     E(404, None, 200, 404, 409)),
    ("POST", "/scenarios", "/scenarios", lambda w, who: scenario(w, who, "新场景"), ADMIN_CREATE),
    ("GET", "/scenarios", "/scenarios", None, ADMIN_ONLY),
    ("GET", "/scenarios/{scenario_id}", "/scenarios/{scenario}", None, ADMIN_ON_ACME),
    ("PATCH", "/scenarios/{scenario_id}", "/scenarios/{scenario}", {"name": "改名场景"},
     ADMIN_ON_ACME),
    ("POST", "/scenarios/{scenario_id}/disable", "/scenarios/{scenario}/disable", None,
     ADMIN_ON_ACME),
    ("POST", "/scenarios/{scenario_id}/enable", "/scenarios/{scenario}/enable", None,
     ADMIN_ON_ACME),
    ("GET", "/erp/kinds", "/erp/kinds", None, READ_ALL),
    ("POST", "/erp/archive_finished", "/erp/archive_finished", {}, ADMIN_ONLY),
    # signed with the company's webhook secret, not a key: no caller here signs
    ("POST", "/erp/events", "/erp/events", {"events": []}, E(401, 401, 401, 401, 401)),
    # results of a batch: any live key of the company (none of these batches exists)
    ("GET", "/erp/jobs/{job_id}", "/erp/jobs/erp-0000", None, E(404, 404, 404, 404, 404)),
]


def _access(document) -> dict:
    return {(method.upper(), path[len(PREFIX):]): operation["x-twork-access"]
            for path, item in document["paths"].items() for method, operation in item.items()}


def test_matrix_covers_every_documented_operation(app):
    documented = _access(app.test_client().get(f"{PREFIX}/openapi.json").json)
    assert set(documented) == {(method, rule) for method, rule, *_ in ROUTES}


def test_documented_scopes_are_the_rules(app):
    documented = _access(app.test_client().get(f"{PREFIX}/openapi.json").json)
    for (method, rule), access in documented.items():
        if (method, rule) in KEYLESS - ERP_ROUTES:
            assert access["scopes"] == [], rule
            continue
        expected = ["admin"]
        if method == "GET" and (method, rule) not in ADMIN_KEY_ONLY_READS:
            expected.append("read")
        if (method, rule) in ERP_ROUTES:
            expected.append("erp")
        if rule == "/erp/jobs/{job_id}":
            assert access["auth"] == "public", rule  # polled with any key or a signature
            continue
        assert access["scopes"] == expected, (method, rule)


def expected_answers(row: dict, access: dict, method: str, rule: str) -> dict:
    """What every principal gets, from the row and the route's documented access."""
    answers = {k: v for k, v in row.items() if k != "company_wide"}
    scopes, keyless = access["scopes"], (method, rule) in KEYLESS
    answers["key_only"] = row["company_wide"] if keyless else 400

    def scoped(scope, acting_for_no_one=True, as_member=None):
        if keyless:
            return row["company_wide"]
        if scope not in scopes:
            return 403
        if not acting_for_no_one:
            return as_member
        return 400 if access["auth"] == "user" else row["company_wide"]
    answers["erp"] = scoped("erp")
    answers["read"] = scoped("read")
    answers["read_member"] = scoped("read", acting_for_no_one=False, as_member=row["member"])
    return answers


@pytest.mark.parametrize("method,rule,path,body,row", ROUTES,
                         ids=[f"{m} {r}" for m, r, *_ in ROUTES])
def test_permission_matrix(app, method, rule, path, body, row):
    client = app.test_client()
    access = _access(client.get(f"{PREFIX}/openapi.json").json)[(method, rule)]
    with app.app_context():
        world = build_world()
    answers = {}
    for who in PRINCIPALS:
        url = path(world, who) if callable(path) else path.format(**world.ids)
        payload = body(world, who) if callable(body) else body
        response = api_for(client, world, who).call(method, url, payload)
        assert response.is_json, (who, response.data[:200])
        if response.status_code >= 400:
            assert set(response.json) >= {"error", "message", "detail"}
        if response.status_code == 403 and who in ("erp", "read", "read_member"):
            assert response.json["error"] in ("scope", "forbidden")
        answers[who] = response.status_code
    assert answers == expected_answers(row, access, method, rule)


def test_a_wrong_scope_names_the_scope_needed(app):
    client = app.test_client()
    with app.app_context():
        world = build_world()
    refused = Api(client, world.erp_key).post("/departments", {"name": "采购部"})
    assert refused.status_code == 403 and refused.json["error"] == "scope"
    assert "admin" in refused.json["message"] and refused.json["detail"]["key_scope"] == "erp"
    read = Api(client, world.read_key, world.acme.admin).post("/departments", {"name": "采购部"})
    assert read.status_code == 403 and read.json["detail"]["required_scopes"] == ["admin"]
    named = Api(client, world.key).get("/departments")
    assert named.status_code == 400 and "X-Twork-User" in named.json["message"]


def test_platform_key_only_creates_companies(app):
    client = app.test_client()
    platform = Api(client, PLATFORM_KEY)
    assert platform.post("/companies", {"code": "new", "name": "新公司"}).status_code == 201
    assert platform.get("/company").status_code == 401
    assert Api(client, "wrong").post("/companies", {"code": "x", "name": "x"}).status_code == 401


def test_acting_user_must_belong_to_the_key_company(app):
    client = app.test_client()
    with app.app_context():
        world = build_world()
    acme_user_with_other_key = Api(client, world.other_key, world.acme.alice)
    response = acme_user_with_other_key.get("/tasks")
    assert response.status_code == 401 and response.json["error"] == "unknown_user"
    by_account = Api(client, world.key, "alice").get("/messages")
    assert by_account.status_code == 200
    Api(client, world.key, world.acme.admin).post(f"/users/{world.ids['h3']}/deactivate")
    inactive = Api(client, world.key, world.acme.h3).get("/tasks")
    assert inactive.status_code == 403 and inactive.json["error"] == "user_inactive"
    missing = Api(client, world.key).get("/tasks")
    assert missing.status_code == 400 and missing.json["error"] == "user_required"
