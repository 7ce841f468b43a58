"""A workflow run through the API (SPEC §3): a three-node task, complete, transfer,
rollback with and without a reason, withdraw, urge twice; every answer checked."""
import pytest

from store.models import Notification
from tests.api_support import Api, due
from tests.factories import make_world


@pytest.fixture
def acme(app):
    with app.app_context():
        return make_world()


@pytest.fixture
def api(app, acme):
    return Api(app.test_client(), acme.api_key, acme.admin)


def state(task: dict) -> list[tuple]:
    return [(n["seq"], n["handler_id"], n["state"]) for n in task["nodes"]]


def test_three_node_workflow_through_the_api(api, acme):
    alice, h1, h2, h3 = acme.alice, acme.h1, acme.h2, acme.h3
    created = api.post("/tasks", {
        "project_id": acme.project.id, "title": "采购单PO123金额超标", "due_at": due(3),
        "priority": "high", "watcher_ids": [acme.watcher.id],
        "nodes": [{"handler_id": h1.id, "items": "核实金额"}, {"handler_id": h2.id, "items": "审批"},
                  {"handler_id": h3.id, "items": "付款"}]})
    assert created.status_code == 201
    task = created.json
    tid = task["id"]
    assert task["number"] >= 1 and task["status"] == "in_progress" and task["current_seq"] == 1
    assert state(task) == [(1, h1.id, "active"), (2, h2.id, "pending"), (3, h3.id, "pending")]
    assert [n["items"] for n in task["nodes"]] == ["核实金额", "审批", "付款"]
    assert task["due_at"].endswith("+08:00") and task["log"][0]["action"] == "create"

    # Nobody but the handler acts, admins included; the refusal names the rule.
    refused = api.post(f"/tasks/{tid}/complete")
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert "张一" in refused.json["message"]

    first_rollback = api.as_(h1).post(f"/tasks/{tid}/rollback", {"reason": "不对"})
    assert first_rollback.status_code == 409 and "第一个节点" in first_rollback.json["message"]

    done1 = api.as_(h1).post(f"/tasks/{tid}/complete")
    assert done1.status_code == 200
    assert state(done1.json)[:2] == [(1, h1.id, "done"), (2, h2.id, "active")]
    assert done1.json["current_seq"] == 2

    # h1 may now withdraw or urge, not transfer.
    assert api.as_(h1).post(f"/tasks/{tid}/transfer", {"to_user_id": h3.id}).status_code == 403
    urged = api.as_(h1).post(f"/tasks/{tid}/urge")
    assert urged.status_code == 200 and urged.json["log"][-1]["action"] == "urge"
    again = api.as_(h1).post(f"/tasks/{tid}/urge")
    assert again.status_code == 409 and again.json["error"] == "refused"
    assert "催办" in again.json["message"]
    assert again.json["detail"]["next_allowed_at"][11:16] in again.json["message"]

    withdrawn = api.as_(h1).post(f"/tasks/{tid}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json["current_seq"] == 1
    assert state(withdrawn.json)[:2] == [(1, h1.id, "started"), (2, h2.id, "pending")]

    api.as_(h1).post(f"/tasks/{tid}/complete")
    started = api.as_(h2).post(f"/tasks/{tid}/start")
    assert started.status_code == 200 and state(started.json)[1] == (2, h2.id, "started")
    late_withdraw = api.as_(h1).post(f"/tasks/{tid}/withdraw")
    assert late_withdraw.status_code == 409 and "已开始" in late_withdraw.json["message"]

    transferred = api.as_(h2).post(f"/tasks/{tid}/transfer", {"to_user_id": alice.id})
    assert transferred.status_code == 200
    node2 = transferred.json["nodes"][1]
    assert (node2["handler_id"], node2["original_handler_id"], node2["state"]) == (alice.id, h2.id, "active")
    assert transferred.json["log"][-1]["detail"]["to"] == alice.id

    no_reason = api.as_(alice).post(f"/tasks/{tid}/rollback", {})
    assert no_reason.status_code == 409 and "原因" in no_reason.json["message"]
    blank = api.as_(alice).post(f"/tasks/{tid}/rollback", {"reason": "  "})
    assert blank.status_code == 409
    rolled = api.as_(alice).post(f"/tasks/{tid}/rollback", {"reason": "金额需要重新核实"})
    assert rolled.status_code == 200 and rolled.json["current_seq"] == 1
    assert rolled.json["log"][-1]["detail"]["reason"] == "金额需要重新核实"

    for handler in (h1, alice, h3):
        answer = api.as_(handler).post(f"/tasks/{tid}/complete")
        assert answer.status_code == 200, answer.json
    final = api.as_(h3).get(f"/tasks/{tid}").json
    assert final["status"] == "done" and final["current_seq"] is None
    assert [n["state"] for n in final["nodes"]] == ["done"] * 3
    assert api.as_(h3).post(f"/tasks/{tid}/complete").status_code == 409
    with api.client.application.app_context():
        kinds = {n.kind for n in Notification.select()}
    assert {"task_received", "task_urged", "task_transferred", "task_rolled_back",
            "task_withdrawn", "task_completed"} <= kinds


def test_simple_task_refuses_rollback_urge_withdraw(api, acme):
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "简单任务",
                               "due_at": due(), "assignee_id": acme.alice.id}).json
    assert task["simple"] is True and len(task["nodes"]) == 1
    for action, body in (("rollback", {"reason": "x"}), ("urge", None), ("withdraw", None)):
        answer = api.as_(acme.alice).post(f"/tasks/{task['id']}/{action}", body)
        assert answer.status_code == 409 and "简易任务" in answer.json["message"], action


def test_transfer_needs_a_valid_target(api, acme):
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "转办", "due_at": due(),
                               "assignee_id": acme.alice.id}).json
    alice = api.as_(acme.alice)
    assert alice.post(f"/tasks/{task['id']}/transfer", {}).status_code == 422
    assert alice.post(f"/tasks/{task['id']}/transfer", {"to_user_id": acme.alice.id}).status_code == 409
    unknown = alice.post(f"/tasks/{task['id']}/transfer", {"to_user_id": 99999})
    assert unknown.status_code == 422 and unknown.json["error"] == "invalid"


def test_task_lists_views_filters_and_pages(api, acme):
    for i in range(3):
        api.post("/tasks", {"project_id": acme.project.id, "title": f"待办{i}", "due_at": due(i + 1),
                            "assignee_id": acme.alice.id, "priority": "urgent" if i else "low"})
    alice = api.as_(acme.alice)
    todo = alice.get("/tasks?view=todo&limit=2").json
    assert [t["title"] for t in todo["items"]] == ["待办0", "待办1"] and todo["next_offset"] == 2
    rest = alice.get("/tasks?view=todo&limit=2&offset=2").json
    assert [t["title"] for t in rest["items"]] == ["待办2"] and rest["next_offset"] is None
    urgent = alice.get("/tasks?view=todo&priority=urgent").json["items"]
    assert {t["title"] for t in urgent} == {"待办1", "待办2"}
    assert alice.get("/tasks?view=created").json["items"] == []
    assert len(api.get("/tasks?view=created&q=待办").json["items"]) == 3
    assert alice.get("/tasks?view=nope").status_code == 422
    assert alice.get("/tasks?limit=101").status_code == 422
    assert alice.get("/tasks?bogus=1").json["message"].startswith("不允许的字段")


def test_action_with_an_unknown_field_or_bad_json_changes_nothing(api, acme):
    task = api.post("/tasks", {"project_id": acme.project.id, "title": "x", "due_at": due(2),
                               "assignee_id": acme.h1.id}).json
    extra = api.as_(acme.h1).post(f"/tasks/{task['id']}/complete", {"comment": "办好了"})
    assert extra.status_code == 422 and "comment" in extra.json["message"]
    garbage = api.as_(acme.h1).post(f"/tasks/{task['id']}/complete", data="{oops",
                                    content_type="application/json")
    assert garbage.status_code == 400 and garbage.json["error"] == "bad_json"
    assert api.get(f"/tasks/{task['id']}").json["status"] == "in_progress"
    assert api.as_(acme.h1).post(f"/tasks/{task['id']}/complete", {}).status_code == 200


def test_a_route_without_parameters_refuses_a_stray_body(api, acme):
    project = acme.project.id
    refused = api.post(f"/projects/{project}/archive", {"reason": "年底"})
    assert refused.status_code == 422 and refused.json["error"] == "unexpected_body"
    assert api.get(f"/projects/{project}").json["archived"] is False
    assert api.post(f"/projects/{project}/archive", {}).status_code == 200
    assert api.get(f"/projects/{project}").json["archived"] is True
