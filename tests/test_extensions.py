"""Deadline extensions (SPEC §9): the store rules on both databases, the chat transcripts
(延期 / 同意延期 / 拒绝延期), the API, and the on-time rate using the approved deadline."""
from datetime import date, timedelta

import pytest

from handlers import texts
from store import extensions, stats, tasks, workflow
from store.errors import Forbidden, Invalid, Refused
from store.models import ExtensionRequest, Message, Notification, Task, TaskLog
from tests.api_support import Api
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.factories import NOW, SH, make_task, make_world


def notices(user, kind):
    return list(Notification.select().where(Notification.user == user.id, Notification.kind == kind))


def log_actions(task_id):
    return [r.action for r in TaskLog.select().where(TaskLog.task == task_id).order_by(TaskLog.id)]


@pytest.fixture
def w(any_db):
    return make_world()


# --- store rules (SQLite and PostgreSQL) -----------------------------------------------------

def test_handler_requests_creator_approves_and_the_original_is_kept(w):
    task = make_task(w, nodes=[w.h1, w.h2], due=NOW + timedelta(days=2))
    old_due, version = task.due_at, task.version
    new_due = NOW + timedelta(days=5)
    ext = extensions.request_extension(w.h1, task.id, new_due, "  等供应商发货 ", NOW)
    assert (ext.status, ext.old_due_at, ext.new_due_at, ext.reason) == (
        "pending", old_due, new_due, "等供应商发货")
    assert Task.get_by_id(task.id).due_at == old_due  # nothing moves before the decision
    [notice] = notices(w.alice, "extension_requested")
    assert "同意延期 #%d" % task.number in Message.get_by_id(notice.message_id).body

    later = NOW + timedelta(hours=1)
    extensions.approve_extension(w.alice, task.id, later)
    task = Task.get_by_id(task.id)
    assert (task.due_at, task.original_due_at) == (new_due, old_due)
    assert task.version == version + 2  # the request and the approval each claim the task
    ext = ExtensionRequest.get_by_id(ext.id)
    assert (ext.status, ext.decided_by_id, ext.decided_at) == ("approved", w.alice.id, later)
    assert log_actions(task.id)[-2:] == ["extension_request", "extension_approve"]
    assert len(notices(w.h1, "extension_approved")) == 1
    detail = tasks.task_detail(w.h1, task.id)
    assert detail["due_at"] == new_due.isoformat() and detail["original_due_at"] == old_due.isoformat()


def test_refusal_keeps_the_deadline_and_tells_the_reason(w):
    task = make_task(w, nodes=[w.h1], due=NOW + timedelta(days=2))
    ext = extensions.request_extension(w.h1, task.id, NOW + timedelta(days=4), "缺货", NOW)
    extensions.refuse_extension(w.alice, task.id, NOW, "客户等不了")
    ext = ExtensionRequest.get_by_id(ext.id)
    assert (ext.status, ext.decision_note) == ("refused", "客户等不了")
    assert Task.get_by_id(task.id).due_at == task.due_at
    [notice] = notices(w.h1, "extension_refused")
    assert "客户等不了" in Message.get_by_id(notice.message_id).body
    # decided once: neither approve nor refuse again; a new request may follow
    with pytest.raises(Refused):
        extensions.approve_extension(w.alice, task.id, NOW, ext.id)
    with pytest.raises(Refused, match="没有待审批"):
        extensions.refuse_extension(w.alice, task.id, NOW)
    again = extensions.request_extension(w.h1, task.id, NOW + timedelta(days=3), "再等一天", NOW)
    assert again.status == "pending"


def test_who_asks_what_and_how_often(w):
    task = make_task(w, nodes=[w.h1, w.h2], due=NOW + timedelta(days=2), watchers=[w.watcher])
    later = NOW + timedelta(days=5)
    with pytest.raises(Forbidden, match="张一"):
        extensions.request_extension(w.watcher, task.id, later, "原因", NOW)  # sees, not handles
    with pytest.raises(Forbidden):
        extensions.request_extension(w.admin, task.id, later, "原因", NOW)
    with pytest.raises(Invalid, match="原因"):
        extensions.request_extension(w.h1, task.id, later, "  ", NOW)
    with pytest.raises(Invalid, match="已经过去"):
        extensions.request_extension(w.h1, task.id, NOW - timedelta(minutes=1), "原因", NOW)
    with pytest.raises(Invalid, match="晚于当前截止时间"):
        extensions.request_extension(w.h1, task.id, task.due_at, "原因", NOW)
    extensions.request_extension(w.h1, task.id, later, "原因", NOW)
    with pytest.raises(Refused, match="待审批"):
        extensions.request_extension(w.h1, task.id, later + timedelta(days=1), "原因", NOW)
    with pytest.raises(Forbidden, match="爱丽丝"):
        extensions.approve_extension(w.h1, task.id, NOW)  # the requester is not the creator
    with pytest.raises(Forbidden):
        extensions.approve_extension(w.admin, task.id, NOW)  # nor is an admin
    assert ExtensionRequest.select().count() == 1


def test_done_task_cannot_be_extended(w):
    task = make_task(w, nodes=[w.h1])
    workflow.complete(w.h1, task.id, NOW)
    with pytest.raises(Refused, match="已完成"):
        extensions.request_extension(w.h1, task.id, NOW + timedelta(days=9), "原因", NOW)


def test_creator_handling_their_own_task_is_approved_at_once(w):
    task = make_task(w, creator=w.alice)  # simple task, alice handles it
    new_due = NOW + timedelta(days=6)
    ext = extensions.request_extension(w.alice, task.id, new_due, "自己排期", NOW)
    assert (ext.status, ext.decided_by_id) == ("approved", w.alice.id)
    assert Task.get_by_id(task.id).due_at == new_due
    assert Notification.select().where(Notification.kind.startswith("extension")).count() == 0


def test_erp_task_is_decided_by_the_project_managers(w):
    task = tasks.create_task(None, w.project.id, "ERP缺货", due_at=NOW + timedelta(days=1),
                             now=NOW, company_id=w.company.id,
                             nodes=[{"handler_id": w.h1.id, "items": "补货"}], source="erp")
    extensions.request_extension(w.h1, task.id, NOW + timedelta(days=3), "等到货", NOW)
    assert {n.user_id for n in Notification.select().where(
        Notification.kind == "extension_requested")} == {w.admin.id, w.dadmin.id}
    with pytest.raises(Forbidden, match="项目管理员"):
        extensions.approve_extension(w.h1, task.id, NOW)
    extensions.approve_extension(w.dadmin, task.id, NOW)
    assert Task.get_by_id(task.id).due_at == NOW + timedelta(days=3)


def test_approval_is_refused_when_the_deadline_moved_past_the_request(w):
    task = make_task(w, nodes=[w.h1], due=NOW + timedelta(days=2))
    extensions.request_extension(w.h1, task.id, NOW + timedelta(days=4), "原因", NOW)
    tasks.edit_task(w.alice, task.id, now=NOW, due_at=NOW + timedelta(days=7))
    with pytest.raises(Refused, match="无需同意"):
        extensions.approve_extension(w.alice, task.id, NOW)
    assert Task.get_by_id(task.id).due_at == NOW + timedelta(days=7)


def test_on_time_rate_uses_the_approved_deadline(w):
    """Two tasks due 11-30 11:00, both completed 11-30 13:00; the first had its deadline
    extended to 15:00 (original kept), the second not: 2 completed, 1 on time."""
    due = NOW + timedelta(hours=1)
    extended = make_task(w, nodes=[w.h1], due=due, title="延期的")
    plain = make_task(w, nodes=[w.h1], due=due, title="没延期的")
    extensions.request_extension(w.h1, extended.id, NOW + timedelta(hours=5), "清关", NOW)
    extensions.approve_extension(w.alice, extended.id, NOW + timedelta(minutes=30))
    done_at = NOW + timedelta(hours=3)
    workflow.complete(w.h1, extended.id, done_at)
    workflow.complete(w.h1, plain.id, done_at)

    month = stats.month_stats(w.admin, date(2026, 11, 30), now=done_at)
    assert (month["completed"], month["on_time"], month["on_time_rate_display"]) == (2, 1, "50.0%")
    h1 = next(m for m in month["members"] if m["user_id"] == w.h1.id)
    assert (h1["done"], h1["on_time"]) == (2, 1)
    assert month["late_by_reason"]["unknown"] == 1  # the plain one only
    kept = Task.get_by_id(extended.id)
    assert (kept.original_due_at, kept.due_at) == (due, NOW + timedelta(hours=5))


# --- chat ------------------------------------------------------------------------------------

def test_chat_request_approve_and_details_show_both_deadlines(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])  # due 12-02 10:00
    h1, alice = chat(world.h1), chat(world.alice)
    h1.say("待办")
    reply = h1.say("延期 1 周五 等供应商发货")
    assert reply == texts.EXTENSION_REQUESTED.format(
        number=task.number, title="核对PO123到货", old="12-02 10:00", new="12-04 18:00",
        names="爱丽丝")
    assert h1.say("延期 1 下周一 再等等").startswith("已有一个待审批的延期申请")
    assert "只有任务创建人（爱丽丝）" in h1.say(f"同意延期 #{task.number}")
    assert alice.say(f"同意延期 #{task.number}") == texts.EXTENSION_APPROVED.format(
        number=task.number, title="核对PO123到货", new="12-04 18:00", old="12-02 10:00",
        name="张一")
    detail = h1.say(f"详情 #{task.number}")
    assert "截止：12-04 18:00" in detail
    assert texts.DETAIL_ORIGINAL_DUE.format(due="12-02 10:00") in detail
    assert "同意延期到12-04 18:00" in detail  # the log line
    assert alice.say(f"approve #{task.number}") == "该任务没有待审批的延期申请"


def test_chat_refuse_with_reason_and_english_aliases(chat, world):
    task = make_task(world, nodes=[world.h1])
    h1, alice = chat(world.h1), chat(world.alice)
    assert h1.say(f"extend #{task.number} fri waiting for supplier").startswith("已申请")
    ext = ExtensionRequest.get(ExtensionRequest.task == task.id)
    assert ext.reason == "waiting for supplier"
    reply = alice.say(f"拒绝延期 #{task.number} 客户等不了")
    assert reply == texts.EXTENSION_REFUSED.format(name="张一", number=task.number,
                                                   title="核对PO123到货", due="12-02 10:00")
    assert ExtensionRequest.get_by_id(ext.id).decision_note == "客户等不了"
    assert h1.say(f"extend #{task.number} 12-03 one more day").startswith("已申请")
    assert alice.say(f"refuse #{task.number}").startswith("已拒绝张一的延期申请")


def test_chat_bad_requests_are_explained(chat, world):
    task = make_task(world, nodes=[world.h1])  # due 12-02 10:00; now 12-01 10:00
    h1 = chat(world.h1)
    h1.say("待办")
    assert h1.say("延期 1") == texts.EXTEND_USAGE
    assert h1.say("延期 1 周五") == texts.EXTEND_NO_REASON
    assert h1.say("延期 1 等等再说") == texts.EXTEND_NO_DEADLINE
    assert "已经过去" in h1.say("延期 1 今天 09:00 原因")
    assert "必须晚于当前截止时间 12-02 10:00" in h1.say("延期 1 明天 09:00 原因")
    assert h1.say("延期 5 周五 原因") == texts.REF_STALE.format(n=5)
    assert "只有当前节点的处理人（张一）" in chat(world.alice).say(f"延期 #{task.number} 周五 原因")
    assert ExtensionRequest.select().count() == 0


def test_chat_creator_on_own_task_extends_at_once(chat, world):
    task = make_task(world)  # alice's own simple task
    reply = chat(world.alice).say(f"延期 #{task.number} 周五 自己排期")
    assert reply == texts.EXTENSION_AUTO.format(number=task.number, title="核对PO123到货",
                                                old="12-02 10:00", new="12-04 18:00")


def test_stale_position_after_the_list_changed(chat, world):
    task = make_task(world, nodes=[world.h1])
    h1, alice = chat(world.h1), chat(world.alice)
    h1.say("待办")
    h1.say(f"延期 #{task.number} 周五 原因")
    alice.say("我创建的")
    assert alice.say("同意延期 1").startswith("已同意延期")
    assert alice.say("拒绝延期 2") == texts.REF_STALE.format(n=2)


# --- API -------------------------------------------------------------------------------------

@pytest.fixture
def acme(app):
    with app.app_context():
        return make_world()


def test_api_request_list_approve_refuse(app, acme):
    admin = Api(app.test_client(), acme.api_key, acme.admin)
    h1 = admin.as_(acme.h1)
    task = admin.post("/tasks", {"project_id": acme.project.id, "title": "API延期",
                                 "due_at": (NOW + timedelta(days=30)).isoformat(),
                                 "assignee_id": acme.h1.id}).json
    tid, due = task["id"], task["due_at"]
    assert task["original_due_at"] == due
    new_due = (NOW + timedelta(days=40)).astimezone(SH).isoformat()

    asked = h1.post(f"/tasks/{tid}/extensions", {"due_at": new_due, "reason": "等清关"})
    assert asked.status_code == 201, asked.json
    ext = asked.json
    assert (ext["status"], ext["requester_id"], ext["old_due_at"], ext["new_due_at"]) == (
        "pending", acme.h1.id, due, new_due)
    again = h1.post(f"/tasks/{tid}/extensions", {"due_at": new_due, "reason": "再等"})
    assert again.status_code == 409 and again.json["error"] == "refused"
    assert h1.post(f"/tasks/{tid}/extensions", {"due_at": new_due}).status_code == 422
    assert h1.post(f"/tasks/{tid}/extensions/{ext['id']}/approve").status_code == 403

    approved = admin.post(f"/tasks/{tid}/extensions/{ext['id']}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert approved.json["decided_by_id"] == acme.admin.id
    detail = admin.get(f"/tasks/{tid}").json
    assert (detail["due_at"], detail["original_due_at"]) == (new_due, due)
    assert admin.post(f"/tasks/{tid}/extensions/{ext['id']}/refuse", {}).status_code == 409

    later = (NOW + timedelta(days=50)).astimezone(SH).isoformat()
    second = h1.post(f"/tasks/{tid}/extensions", {"due_at": later, "reason": "又缺货"}).json
    refused = admin.post(f"/tasks/{tid}/extensions/{second['id']}/refuse", {"reason": "不行"})
    assert refused.status_code == 200
    assert (refused.json["status"], refused.json["decision_note"]) == ("refused", "不行")
    listed = h1.get(f"/tasks/{tid}/extensions").json
    assert [(e["id"], e["status"]) for e in listed["items"]] == [
        (ext["id"], "approved"), (second["id"], "refused")]
    assert admin.post(f"/tasks/{tid}/extensions/999999/approve").status_code == 404
