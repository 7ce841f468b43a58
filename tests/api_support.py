"""Helpers of the /api/v1 tests: a JSON client carrying a key and an acting user, and a
world (company "acme" from tests.factories, plus another company, a revoked key, an erp and
a read key, tasks in every workflow state the permission matrix needs).

    api = Api(app.test_client(), world.api_key, user=world.admin)
    api.post("/tasks", {...}).json
    api.as_(world.alice).post(f"/tasks/{tid}/complete")
"""
from dataclasses import dataclass, field
from datetime import timedelta

from store import apikeys, messages as message_store, projects, scenarios, users, workflow
from store.db import utcnow
from store.models import Message, User
from tests.factories import make_user, make_world

PLATFORM_KEY = "platform-key-for-tests"


class Api:
    def __init__(self, client, key: str | None, user=None):
        self.client, self.key, self.user = client, key, user

    def as_(self, user) -> "Api":
        return Api(self.client, self.key, user)

    def headers(self) -> dict:
        headers = {}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        if self.user is not None:
            headers["X-Twork-User"] = str(getattr(self.user, "id", self.user))
        return headers

    def call(self, method: str, path: str, body=None, **kw):
        if body is not None:
            kw["json"] = body
        return self.client.open("/api/v1" + path, method=method, headers=self.headers(), **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def due(days: int = 7) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


@dataclass
class ApiWorld:
    """Everything the route tests point at, by name (`ids["task"]` ...)."""
    acme: object
    other_key: str
    other_admin: User
    revoked_key: str
    erp_key: str
    read_key: str
    ids: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.acme.api_key


def _workflow_task(world, creator, handlers, title):
    from store import tasks
    nodes = [{"handler_id": u.id, "items": f"第{i}步"} for i, u in enumerate(handlers, 1)]
    return tasks.create_task(creator, world.project.id, title, due_at=utcnow() + timedelta(days=7),
                             now=utcnow(), nodes=nodes)


def build_world() -> ApiWorld:
    """acme (admin, dadmin, alice, h1..h3 ...) and "other"; call inside an app's database."""
    acme = make_world()
    other, other_key = users.create_company("other", "其他公司")
    other_admin = make_user(other.id, "oadmin", "company_admin", name="别家管理员")
    old, revoked = apikeys.issue(acme.company.id, "old")
    apikeys.revoke_key(acme.admin, old.id, utcnow())
    spare, _plain = apikeys.issue(acme.company.id, "spare")
    _erp, erp_key = apikeys.issue(acme.company.id, "erp", "erp")
    _read, read_key = apikeys.issue(acme.company.id, "read", "read")
    admin, alice, h1, h2 = acme.admin, acme.alice, acme.h1, acme.h2
    now = utcnow()
    ids = {"dept": acme.dept.id, "project": acme.project.id, "spare_key": spare.id,
           "alice": alice.id, "h1": h1.id, "h2": h2.id, "h3": acme.h3.id}
    ids["project2"] = projects.create_project(admin, "项目二", acme.dept.id, [alice.id]).id
    ids["template"] = projects.create_template(admin, "两步审批", [{"handler_id": h1.id,
                                                                  "items": "审核"}]).id
    ids["task"] = _workflow_task(acme, admin, [alice, h1, h2], "三步任务").id
    rollback = _workflow_task(acme, admin, [h1, alice, h2], "回退任务")
    workflow.complete(h1, rollback.id, now)
    ids["task_rollback"] = rollback.id
    for name, handlers in (("task_withdraw", [alice, h1]), ("task_urge", [alice, h1, h2]),
                           ("task_done", [alice])):
        task = _workflow_task(acme, admin, handlers, name)
        workflow.complete(alice, task.id, now)
        ids[name] = task.id
    for who in PRINCIPALS:
        ids[f"task_del_{who}"] = _workflow_task(acme, admin, [alice], f"删除{who}").id
        ids[f"feedback_{who}"] = message_store.create_feedback(alice, f"反馈{who}", now=now).id
    from tests.erp_samples import scenario_body
    ids["scenario"] = scenarios.create_scenario(admin, scenario_body(acme, "purchase_order.amount"),
                                                now).id
    ids["message"] = (Message.select().where(Message.user == alice.id)
                      .order_by(Message.id).first().id)
    return ApiWorld(acme=acme, other_key=other_key, other_admin=other_admin,
                    revoked_key=revoked, erp_key=erp_key, read_key=read_key, ids=ids)


# Who calls: (key, acting user) for each principal of the permission matrix: refusals first,
# then the erp and read keys (which change nothing they may not), then the admin key acting
# for a member, a department admin and a company admin.
PRINCIPALS = ("nokey", "revoked", "other", "key_only", "erp", "read", "read_member", "member",
              "dept_admin", "company_admin")


def api_for(client, world: ApiWorld, who: str) -> Api:
    acme = world.acme
    return {
        "nokey": lambda: Api(client, None, acme.admin),
        "revoked": lambda: Api(client, world.revoked_key, acme.admin),
        "other": lambda: Api(client, world.other_key, world.other_admin),
        "key_only": lambda: Api(client, world.key),
        "erp": lambda: Api(client, world.erp_key),
        "read": lambda: Api(client, world.read_key),
        "read_member": lambda: Api(client, world.read_key, acme.alice),
        "member": lambda: Api(client, world.key, acme.alice),
        "dept_admin": lambda: Api(client, world.key, acme.dadmin),
        "company_admin": lambda: Api(client, world.key, acme.admin),
    }[who]()
