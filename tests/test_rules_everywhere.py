"""Each rule is decided once, in store/, and refused the same way through every door:
chat (the real webhook), the API (a company key and X-Twork-User) and the task page."""
from datetime import timedelta
from html import escape

import pytest

from store import directory, imports, projects, tasks, users, workflow
from store.errors import Forbidden, Invalid, Refused
from store.models import Department, Task, TaskNode, User
from tests.api_support import Api
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.factories import make_task, make_user, snapshot
from tests.test_pages import bound, csrf, text


@pytest.fixture
def client(app):
    return app.test_client()


def api(client, world, user=None) -> Api:
    return Api(client, world.api_key, user)


def shown(response, message: str) -> bool:
    """The page shows `message` (each of its lines, HTML-escaped) next to the control."""
    body = text(response)
    return all(escape(line) in body for line in message.splitlines())


# --- the assignee of a new task is a member of its project -----------------------------------

def test_assignee_outside_the_project_is_refused_alike_in_chat_and_api(chat, world, client):
    outsider = make_user(world.company.id, "zhao6", name="赵六")
    refusal = projects.NOT_MEMBER.format(name="赵六", project="运营项目")
    before = Task.select().count()

    assert chat(world.alice).say("新建 核对到货 @赵六 明天") == refusal
    answer = api(client, world, world.alice).post("/tasks", {
        "project_id": world.project.id, "title": "核对到货", "assignee_id": outsider.id,
        "due_at": (T0 + timedelta(days=1)).isoformat()})
    assert answer.status_code == 422 and answer.json["message"] == refusal

    assert Task.select().count() == before
    projects.add_members(world.admin, world.project.id, [outsider.id])
    made = api(client, world, world.alice).post("/tasks", {
        "project_id": world.project.id, "title": "核对到货", "assignee_id": outsider.id,
        "due_at": (T0 + timedelta(days=1)).isoformat()})
    assert made.status_code == 201 and made.json["nodes"][0]["handler_id"] == outsider.id


def test_copying_a_simple_task_to_a_project_its_assignee_is_not_in_is_refused(world):
    task = make_task(world, assignee=world.h1, now=T0, due=T0 + timedelta(days=2))
    other = projects.create_project(world.admin, "采购项目", member_ids=[world.alice.id])
    with pytest.raises(Invalid) as refused:
        tasks.copy_task(world.alice, task.id, now=T0, project_id=other.id)
    assert refused.value.message == projects.NOT_MEMBER.format(name="张一", project="采购项目")


def test_creator_may_assign_themself_and_workflow_nodes_may_cross_projects(world):
    # The company admin manages the project without being a member; nodes are exempt.
    mine = tasks.create_task(world.admin, world.project.id, "自己办", due_at=T0 + timedelta(days=1),
                             now=T0)
    assert TaskNode.get(TaskNode.task == mine.id).handler_id == world.admin.id
    flow = tasks.create_task(world.alice, world.project.id, "跨部门", due_at=T0 + timedelta(days=1),
                             now=T0, nodes=[{"handler_id": world.h1.id, "items": "办"},
                                            {"handler_id": world.dadmin.id, "items": "审"}])
    assert [n.handler_id for n in TaskNode.select().where(TaskNode.task == flow.id)
            .order_by(TaskNode.seq)] == [world.h1.id, world.dadmin.id]


# --- user and department administration: company admins ------------------------------------

def test_members_and_department_admins_cannot_administer_users_in_store(world):
    for actor in (world.alice, world.dadmin):
        calls = [
            lambda: users.create_user(actor, "new1", "新人", "secret-123"),
            lambda: users.update_user(actor, world.h3.id, name="改名"),
            lambda: users.deactivate_user(actor, world.h3.id),
            lambda: users.authorize_user(actor, world.h3.id, T0),
            lambda: directory.create_department(actor, "采购部"),
            lambda: directory.rename_department(actor, world.dept.id, "改名部"),
            lambda: imports.import_users(actor, "account,name,password\nnew2,新人二,secret-123"),
        ]
        for call in calls:
            with pytest.raises(Forbidden) as refused:
                call()
            assert refused.value.message == users.ADMINS_ONLY
    assert User.get_by_id(world.h3.id).name == "李三" and User.get_by_id(world.h3.id).active
    assert not User.select().where(User.account.in_(["new1", "new2"])).exists()
    assert Department.select().count() == 1


def test_user_administration_is_refused_alike_through_the_api(world, client):
    member = api(client, world, world.alice)
    for method, path, body in (
            ("POST", "/users", {"account": "new1", "name": "新人", "password": "secret-123"}),
            ("PATCH", f"/users/{world.h3.id}", {"name": "改名"}),
            ("PATCH", f"/users/{world.alice.id}", {"role": "company_admin"}),
            ("POST", f"/users/{world.h3.id}/deactivate", None),
            ("POST", f"/users/{world.h3.id}/authorize", None),
            ("POST", "/users/import", {"csv": "account,name,password\nnew2,新人二,secret-123"}),
            ("POST", "/departments", {"name": "采购部"}),
            ("PATCH", f"/departments/{world.dept.id}", {"name": "改名部"})):
        answer = member.call(method, path, body)
        assert (answer.status_code, answer.json["message"]) == (403, users.ADMINS_ONLY), path
    assert User.get_by_id(world.alice.id).role == "member"
    assert api(client, world, world.admin).post("/departments", {"name": "采购部"}).status_code == 201
    unnamed = api(client, world).patch(f"/users/{world.h3.id}", {"name": "李三三"})
    assert unnamed.status_code == 400 and unnamed.json["error"] == "user_required"
    assert User.get_by_id(world.h3.id).name != "李三三"  # an admin key alone changes nothing
    assert api(client, world, world.admin).patch(f"/users/{world.h3.id}",
                                                 {"name": "李三三"}).status_code == 200
    moved = api(client, world, world.admin).patch(f"/users/{world.h3.id}",
                                                  {"department_id": world.dept.id})
    assert moved.status_code == 200 and moved.json["department_id"] == world.dept.id


def test_everyone_edits_their_own_profile_in_chat_and_api(chat, world, client):
    assert chat(world.alice).say("订阅摘要")  # the chat's self-service edit
    assert User.get_by_id(world.alice.id).digest_opt_in
    own = api(client, world, world.alice).patch(f"/users/{world.alice.id}", {"name": "爱丽丝丝"})
    assert own.status_code == 200 and own.json["name"] == "爱丽丝丝"


# --- one name resolver ---------------------------------------------------------------------

def test_a_name_nobody_has_is_refused_alike_in_chat_and_on_the_page(chat, world, client,
                                                                    wechat_mock):
    task = make_task(world, nodes=[world.h1, world.h2], now=T0, due=T0 + timedelta(days=2))
    refusal = directory.NAME_UNKNOWN.format(name="无名氏")
    assert chat(world.h1).say(f"转办 #{task.number} @无名氏") == refusal
    page = bound(client, wechat_mock, world.h1, f"/m/tasks/{task.id}")
    answer = client.post(f"/m/tasks/{task.id}/transfer",
                         data={"csrf_token": csrf(page), "to": "@无名氏"})
    assert answer.status_code == 422 and shown(answer, refusal)


def test_an_ambiguous_name_lists_the_same_candidates_in_chat_and_on_the_page(
        chat, world, client, wechat_mock):
    buyers = Department.create(company=world.company.id, name="采购部")
    make_user(world.company.id, "wang5a", name="王五", department_id=world.dept.id)
    make_user(world.company.id, "wang5b", name="王五", department_id=buyers.id)
    task = make_task(world, nodes=[world.h1, world.h2], now=T0, due=T0 + timedelta(days=2))

    said = chat(world.h1).say(f"转办 #{task.number} @王五")
    assert said.splitlines() == [directory.NAME_AMBIGUOUS.format(name="王五"),
                                 "@wang5a 王五（运营部）", "@wang5b 王五（采购部）"]
    page = bound(client, wechat_mock, world.h1, f"/m/tasks/{task.id}")  # starts node 1
    before = snapshot(task.id)
    answer = client.post(f"/m/tasks/{task.id}/transfer", data={"csrf_token": csrf(page), "to": "王五"})
    assert answer.status_code == 422 and shown(answer, said)
    assert snapshot(task.id) == before

    picked = client.post(f"/m/tasks/{task.id}/transfer", data={"csrf_token": csrf(page), "to": "wang5b"})
    assert picked.status_code == 303
    assert User.get_by_id(TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 1).handler_id
                          ).account == "wang5b"


def test_resolver_prefers_account_then_exact_name_and_skips_inactive_users(world):
    make_user(world.company.id, "zhang3", name="张一丰")
    assert directory.resolve_user(world.alice, "@h1") == world.h1
    assert directory.resolve_user(world.alice, "＠张一") == world.h1  # exact name beats 张一丰
    users.deactivate_user(world.admin, world.h2.id)
    with pytest.raises(Invalid) as refused:
        directory.resolve_user(world.alice, "王二")
    assert refused.value.message == directory.NAME_UNKNOWN.format(name="王二")
    with pytest.raises(Invalid) as refused:
        directory.resolve_user(world.alice, "张一丰", world.project)
    assert refused.value.message == projects.NOT_MEMBER.format(name="张一丰", project="运营项目")


# --- the urge cool-down says when, from the store's refusal --------------------------------

def test_urge_cool_down_is_refused_alike_in_chat_api_and_page(chat, world, client, wechat_mock):
    task = make_task(world, nodes=[world.h1, world.h2], now=T0, due=T0 + timedelta(days=2))
    h1 = chat(world.h1)
    h1.say(f"完成 #{task.number}")
    h1.say(f"催办 #{task.number}")
    urged_at = TaskNode.get(TaskNode.task == task.id, TaskNode.seq == 2).last_urged_at

    with pytest.raises(Refused) as refused:
        workflow.urge(world.h1, task.id, urged_at + timedelta(minutes=5))
    assert refused.value.retry_at == urged_at + workflow.URGE_INTERVAL
    refusal = refused.value.message
    assert "11:00" in refusal

    assert h1.say(f"催办 #{task.number}") == refusal
    answer = api(client, world, world.h1).post(f"/tasks/{task.id}/urge")
    assert (answer.status_code, answer.json["message"]) == (409, refusal)
    assert answer.json["detail"]["next_allowed_at"] == \
        (urged_at + workflow.URGE_INTERVAL).astimezone(world.company.zone).isoformat()
    page = bound(client, wechat_mock, world.h1, f"/m/tasks/{task.id}")
    again = client.post(f"/m/tasks/{task.id}/urge", data={"csrf_token": csrf(page)})
    assert again.status_code == 409 and shown(again, refusal)
