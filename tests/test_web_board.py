"""The task boards, the task drawer and 我的工作台 in the console (Flask client): what each
role sees (SPEC §2 visibility), the filters, creating tasks, each action through the same
store function as chat and the API, and the ERP通知 board."""
import re
from datetime import datetime, timedelta

import pytest

from handlers.texts import LOG_ACTION
from store import erp, extensions, projects as project_store, scenarios, workflow
from store.models import Comment, ExtensionRequest, Task, TaskEditor, TaskLog, TaskNode, TaskWatcher, Template
from tests.erp_samples import event, scenario_body
from tests.factories import SH, drive, make_outsider, make_task
from tests.web_support import Console, admin, as_user, text, world  # noqa: F401

T = datetime(2026, 12, 2, 9, 0, tzinfo=SH)  # an hour before the pinned clock (12-02 10:00)


def task_at(world, **kw):
    kw.setdefault("now", T)
    kw.setdefault("due", T + timedelta(days=1))
    return make_task(world, **kw)


def board(console, world, query=""):
    return text(console.get(f"/app/projects/{world.project.id}/board{query}"))


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="task-row-\d+" data-task="(\d+)"', html)]


def panel_actions(html: str) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', html))


# --- who sees what --------------------------------------------------------------------------

@pytest.fixture
def spread(world):
    """alice's task for h1, a workflow h1 → h2 watched by watcher, and h3's own task."""
    return {"for_h1": task_at(world, assignee=world.h1, title="给张一的任务"),
            "flow": task_at(world, nodes=[world.h1, world.h2], watchers=[world.watcher], title="两步流程"),
            "h3": task_at(world, creator=world.h3, title="李三自己的任务")}


@pytest.mark.parametrize("account, sees", [
    ("admin", {"for_h1", "flow", "h3"}), ("dadmin", {"for_h1", "flow", "h3"}),
    ("alice", {"for_h1", "flow"}), ("h1", {"for_h1", "flow"}), ("h2", set()),
    ("watcher", {"flow"}), ("h3", {"h3"}), ("stranger", set())])
def test_board_shows_exactly_the_tasks_the_person_may_see(app, world, spread, account, sees):
    console = as_user(app, getattr(world, account))
    shown = set(numbers(board(console, world)))
    assert shown == {spread[k].number for k in sees}
    for key, task in spread.items():
        status = console.get(f"/app/tasks/{task.id}").status_code
        assert status == (200 if key in sees else 404), (account, key)


def test_a_task_the_person_may_not_see_is_404_for_every_route(app, world, spread):
    stranger = as_user(app, world.stranger)
    task = spread["flow"]
    assert stranger.get(f"/app/tasks/{task.id}/panel").status_code == 404
    before = Task.get_by_id(task.id).version
    for action in ("complete", "comment", "delete", "copy"):
        response = stranger.post(f"/app/tasks/{task.id}/do/{action}", {"body": "看看"})
        assert response.status_code == 404 and "任务不存在" in text(response)
    assert Task.get_by_id(task.id).version == before and not Comment.select().count()
    outsider = Console(app.test_client())
    make_outsider()
    assert outsider.sign_in("outsider", code="other").status_code == 303
    assert outsider.get(f"/app/tasks/{task.id}").status_code == 404
    assert outsider.get(f"/app/projects/{world.project.id}/board").status_code == 404


def test_the_handler_of_a_node_sees_the_board_of_a_project_they_are_not_in(app, world):
    project_store.remove_member(world.admin, world.project.id, world.h2.id)
    flow = task_at(world, nodes=[world.h1, world.h2])
    h2 = as_user(app, world.h2)
    assert numbers(board(h2, world)) == []  # not received yet: nothing to see
    drive(flow, ["complete"], now=T)
    assert numbers(board(h2, world)) == [flow.number]
    assert "新建任务" not in board(h2, world) and "新建任务" in board(as_user(app, world.h1), world)
    assert "运营项目" in text(h2.get("/app/projects"))


# --- filters, sort, paging ---------------------------------------------------------------

def test_filters_sort_and_paging(admin, world):
    project_store.add_business_type(world.admin, world.project.id, "采购")
    urgent = task_at(world, assignee=world.h1, title="催货 PO9", priority="urgent",
                     business_type="采购", due=T + timedelta(days=3))
    low = task_at(world, creator=world.h3, title="盘点仓库", priority="low", due=T + timedelta(days=6))
    done = task_at(world, assignee=world.h2, title="已完成的事")
    drive(done, ["complete"], now=T)
    assert numbers(board(admin, world, "?status=done")) == [done.number]
    assert numbers(board(admin, world, "?priority=urgent")) == [urgent.number]
    assert numbers(board(admin, world, "?business_type=采购")) == [urgent.number]
    assert numbers(board(admin, world, f"?handler={world.h1.id}")) == [urgent.number]
    assert numbers(board(admin, world, f"?handler={world.h2.id}")) == []  # done: no handler now
    assert numbers(board(admin, world, f"?creator={world.h3.id}")) == [low.number]
    assert numbers(board(admin, world, "?due_from=2026-12-05&due_to=2026-12-07")) == [urgent.number]
    assert numbers(board(admin, world, "?q=PO9")) == [urgent.number]
    assert numbers(board(admin, world, f"?q=%23{low.number}")) == [low.number]
    assert numbers(board(admin, world, "?sort=priority")) == [urgent.number, done.number, low.number]
    assert numbers(board(admin, world, "?sort=-due&status=in_progress")) == [low.number, urgent.number]
    for n in range(20):
        task_at(world, assignee=world.h1, title=f"批量{n}")
    first, second = numbers(board(admin, world)), numbers(board(admin, world, "?page=2"))
    assert len(first) == 20 and len(second) == 3 and not set(first) & set(second)
    assert "下一页" in board(admin, world) and 'page=2' in board(admin, world)


def test_the_filter_form_through_htmx_returns_only_the_table(admin, world):
    task_at(world, assignee=world.h1, priority="high")
    response = admin.get(f"/app/projects/{world.project.id}/board?priority=high",
                         headers={"HX-Request": "true"})
    html = text(response)
    assert html.lstrip().startswith('<div id="board-table">') and "<nav" not in html


# --- 我的工作台 -------------------------------------------------------------------------------

def test_workbench_counts_each_list_and_the_unread_badge(app, world):
    late = task_at(world, assignee=world.h1, title="过期的", now=T - timedelta(days=2),
                   due=T - timedelta(days=1))
    new = task_at(world, assignee=world.h1, title="新的")
    finished = task_at(world, nodes=[world.h1, world.h2], title="做完一步的")
    drive(finished, ["complete"], now=T)
    mine = task_at(world, creator=world.h1, assignee=world.alice, title="我派的")
    watched = task_at(world, assignee=world.h2, watchers=[world.h1], title="关注的")
    h1 = as_user(app, world.h1)
    html = text(h1.get("/app/"))
    counts = dict(re.findall(r'data-view="(\w+)".*?<b class="count">(\d+)</b>', html))
    assert counts == {"overdue": "1", "new": "1", "done": "1", "created": "1", "watched": "1"}
    assert re.findall(r'<tr data-task="(\d+)">', html) == [str(late.number)]  # overdue first
    for view, task in (("new", new), ("done", finished), ("created", mine), ("watched", watched)):
        listed = re.findall(r'<tr data-task="(\d+)">', text(h1.get(f"/app/?view={view}")))
        assert listed == [str(task.number)], view
    unread = re.search(r'data-testid="unread"[^>]*>未读消息 (\d+)<', html).group(1)
    from store import messages
    assert int(unread) == messages.count_unread(world.h1) > 0


# --- creating tasks ------------------------------------------------------------------------

def _new(console, world, data, htmx=False):
    return console.post(f"/app/projects/{world.project.id}/tasks/new", data, htmx=htmx)


def _template(name):
    return Template.get(Template.name == name)


def test_create_a_simple_task_with_watchers_and_editors(app, world):
    alice = as_user(app, world.alice)
    form = text(alice.get(f"/app/projects/{world.project.id}/tasks/new"))
    assert "负责人" in form and "关注人" in form
    response = _new(alice, world, {"title": "核对发票", "due": "2026-12-05T18:00", "priority": "high",
                                   "template_id": _template("简易任务").id, "assignee_id": world.h1.id,
                                   "watcher_ids": [world.watcher.id], "editor_ids": [world.h2.id]})
    assert response.status_code == 303
    task = Task.get(Task.title == "核对发票")
    assert task.simple and task.priority == "high" and task.creator_id == world.alice.id
    assert task.due_at == datetime(2026, 12, 5, 18, 0, tzinfo=SH)
    assert [w.user_id for w in TaskWatcher.select().where(TaskWatcher.task == task.id)] == [world.watcher.id]
    assert [e.user_id for e in TaskEditor.select().where(TaskEditor.task == task.id)] == [world.h2.id]
    assert TaskNode.get(TaskNode.task == task.id).handler_id == world.h1.id


def test_create_a_workflow_task_from_a_template(app, world, admin):
    template = project_store.create_template(world.admin, "采购付款", [
        {"handler_id": world.h1.id, "items": "核对"}, {"handler_id": world.h2.id, "items": "付款"}])
    alice = as_user(app, world.alice)
    chosen = text(_new(alice, world, {"title": "付款", "template_id": template.id, "action": "refresh"},
                       htmx=True))
    assert 'data-testid="template-nodes"' in chosen and "付款" in chosen and 'value="付款"' in chosen
    response = _new(alice, world, {"title": "付款PO1", "due": "2026-12-06T12:00",
                                   "template_id": template.id})
    assert response.status_code == 303
    task = Task.get(Task.title == "付款PO1")
    nodes = list(TaskNode.select().where(TaskNode.task == task.id).order_by(TaskNode.seq))
    assert not task.simple and [(n.handler_id, n.items) for n in nodes] == [
        (world.h1.id, "核对"), (world.h2.id, "付款")]


def test_create_a_workflow_task_with_typed_nodes_using_the_node_editor(app, world):
    alice = as_user(app, world.alice)
    empty = _template("工作流空模板").id
    base = {"title": "跨部门", "due": "2026-12-06T12:00", "template_id": empty}
    editor = text(_new(alice, world, {**base, "action": "refresh"}, htmx=True))
    assert "第1个节点的处理人" in editor
    two = text(_new(alice, world, {**base, "node_handler_id": [world.h2.id], "node_items": ["甲"],
                                   "node_days": [""], "action": "add:nodes"}, htmx=True))
    assert "第2个节点的处理人" in two
    response = _new(alice, world, {**base, "node_handler_id": [world.h2.id, world.h3.id],
                                   "node_items": ["甲", "乙"], "node_days": ["", "2"]})
    assert response.status_code == 303
    task = Task.get(Task.title == "跨部门")
    assert [(n.handler_id, n.days) for n in TaskNode.select().where(TaskNode.task == task.id)
            .order_by(TaskNode.seq)] == [(world.h2.id, None), (world.h3.id, 2)]


def test_a_refused_creation_says_why_and_keeps_what_was_typed(app, world):
    alice = as_user(app, world.alice)
    response = _new(alice, world, {"title": "没有截止", "due": "", "template_id": _template("简易任务").id,
                                   "assignee_id": world.h1.id, "description": "说明文字"})
    assert response.status_code == 422 and "请填写截止时间" in text(response)
    assert 'value="没有截止"' in text(response) and "说明文字" in text(response)
    assert not Task.select().where(Task.title == "没有截止").exists()
    project = project_store.create_project(world.admin, "别的项目")
    assert alice.get(f"/app/projects/{project.id}/tasks/new").status_code == 404


# --- the drawer and its actions ------------------------------------------------------------

def test_the_panel_offers_exactly_the_actions_allowed_now(app, world):
    flow = task_at(world, nodes=[world.h1, world.h2, world.h3])
    h1, h2, alice = as_user(app, world.h1), as_user(app, world.h2), as_user(app, world.alice)
    assert panel_actions(text(h1.get(f"/app/tasks/{flow.id}/panel"))) == {
        "complete", "transfer", "comment", "extend", "copy"}
    assert panel_actions(text(alice.get(f"/app/tasks/{flow.id}/panel"))) == {
        "comment", "edit", "delete", "copy"}  # no other project to move it to
    project_store.create_project(world.admin, "物流项目", member_ids=[world.alice.id])
    assert "move" in panel_actions(text(alice.get(f"/app/tasks/{flow.id}/panel")))
    drive(flow, ["complete"], now=T)
    assert panel_actions(text(h1.get(f"/app/tasks/{flow.id}/panel"))) == {
        "withdraw", "urge", "comment", "copy"}
    assert panel_actions(text(h2.get(f"/app/tasks/{flow.id}/panel"))) == {
        "complete", "transfer", "rollback", "comment", "extend", "copy"}
    # opening the panel started h2's node: withdraw is no longer offered to h1
    assert "withdraw" not in panel_actions(text(h1.get(f"/app/tasks/{flow.id}/panel")))


def test_complete_through_htmx_swaps_the_panel_and_refreshes_the_row(app, world):
    flow = task_at(world, nodes=[world.h1, world.h2])
    h1 = as_user(app, world.h1)
    response = h1.post(f"/app/tasks/{flow.id}/do/complete", htmx=True)
    html = text(response)
    assert response.status_code == 200 and "已完成" in html
    row = re.search(rf'<tr id="task-row-{flow.id}"[^>]*hx-swap-oob="true">(.*?)</tr>', html, re.S)
    assert row and "王二" in row.group(1)  # the new current handler
    assert Task.get_by_id(flow.id).current_seq == 2


def test_the_wrong_person_is_refused_next_to_the_form(app, world):
    flow = task_at(world, nodes=[world.h1, world.h2], watchers=[world.watcher])
    watcher = as_user(app, world.watcher)
    before = Task.get_by_id(flow.id).version
    response = watcher.post(f"/app/tasks/{flow.id}/do/complete")
    assert response.status_code == 403
    assert 'data-field="complete">完成：只有当前节点的处理人（张一）可以完成' in text(response)
    swapped = watcher.post(f"/app/tasks/{flow.id}/do/complete", htmx=True)
    assert swapped.status_code == 200 and "只有当前节点的处理人（张一）可以完成" in text(swapped)
    assert Task.get_by_id(flow.id).version == before


def test_rollback_needs_a_reason_and_transfer_picks_a_member(app, world):
    flow = task_at(world, nodes=[world.h1, world.h2])
    drive(flow, ["complete"], now=T)
    h2 = as_user(app, world.h2)
    refused = h2.post(f"/app/tasks/{flow.id}/do/rollback", {"reason": "  "})
    assert refused.status_code == 409 and "回退必须填写原因" in text(refused)
    assert h2.post(f"/app/tasks/{flow.id}/do/rollback", {"reason": "数量不对"}).status_code == 303
    assert Task.get_by_id(flow.id).current_seq == 1
    h1 = as_user(app, world.h1)
    picker = text(h1.get(f"/app/tasks/{flow.id}"))
    assert f'<option value="{world.h3.id}"' in picker and f'<option value="{world.h1.id}"' not in picker
    assert h1.post(f"/app/tasks/{flow.id}/do/transfer", {"to_id": world.h3.id}).status_code == 303
    node = TaskNode.get(TaskNode.task == flow.id, TaskNode.seq == 1)
    assert node.handler_id == world.h3.id and node.original_handler_id == world.h1.id
    log = text(h1.get(f"/app/tasks/{flow.id}"))
    assert LOG_ACTION["transfer"].format(to_name="李三") in log
    assert LOG_ACTION["rollback"].format(reason="数量不对") in log


def test_withdraw_and_urge_by_the_previous_handler(app, world):
    flow = task_at(world, nodes=[world.h1, world.h2])
    drive(flow, ["complete"], now=T)
    h1 = as_user(app, world.h1)
    assert h1.post(f"/app/tasks/{flow.id}/do/urge").status_code == 303
    again = h1.post(f"/app/tasks/{flow.id}/do/urge")
    assert again.status_code == 409 and "1小时内已催办过" in text(again)
    assert h1.post(f"/app/tasks/{flow.id}/do/withdraw").status_code == 303
    assert Task.get_by_id(flow.id).current_seq == 1


def test_extension_request_approve_and_refuse(app, world):
    task = task_at(world, assignee=world.h1)
    h1, alice = as_user(app, world.h1), as_user(app, world.alice)
    bad = h1.post(f"/app/tasks/{task.id}/do/extend", {"new_due": "2026-12-09T18:00", "reason": ""})
    assert bad.status_code == 422 and "申请延期必须填写原因" in text(bad) and 'value="2026-12-09T18:00"' in text(bad)
    assert h1.post(f"/app/tasks/{task.id}/do/extend",
                   {"new_due": "2026-12-09T18:00", "reason": "等供应商"}).status_code == 303
    assert {"approve", "refuse"} <= panel_actions(text(alice.get(f"/app/tasks/{task.id}")))
    assert "refuse" not in panel_actions(text(h1.get(f"/app/tasks/{task.id}")))
    assert alice.post(f"/app/tasks/{task.id}/do/approve").status_code == 303
    assert Task.get_by_id(task.id).due_at == datetime(2026, 12, 9, 18, 0, tzinfo=SH)
    h1.post(f"/app/tasks/{task.id}/do/extend", {"new_due": "2026-12-12T18:00", "reason": "还要等"})
    assert alice.post(f"/app/tasks/{task.id}/do/refuse", {"note": "不行"}).status_code == 303
    assert [e.status for e in ExtensionRequest.select().order_by(ExtensionRequest.id)] == ["approved", "refused"]


def test_comment_copy_move_edit_and_delete(app, world):
    other = project_store.create_project(world.admin, "物流项目", member_ids=[world.alice.id])
    task = task_at(world, assignee=world.h1, title="原任务")
    alice = as_user(app, world.alice)
    assert alice.post(f"/app/tasks/{task.id}/do/comment", {"body": "请尽快"}).status_code == 303
    assert Comment.get(Comment.task == task.id).body == "请尽快"
    copied = alice.post(f"/app/tasks/{task.id}/do/copy", htmx=True)
    assert "已复制，新任务 #" in text(copied)
    copy = Task.select().where(Task.title == "原任务").order_by(Task.id.desc()).first()
    assert re.search(rf'<tbody hx-swap-oob="afterbegin:#board-table tbody">\s*<tr id="task-row-{copy.id}"',
                     text(copied))
    assert Task.select().where(Task.title == "原任务").count() == 2
    edit = {"title": "改过的", "description": "", "priority": "urgent", "due": "2026-12-07T09:30",
            "business_type": "", "watcher_ids": [world.watcher.id]}
    assert alice.post(f"/app/tasks/{task.id}/do/edit", edit).status_code == 303
    changed = Task.get_by_id(task.id)
    assert (changed.title, changed.priority) == ("改过的", "urgent")
    assert changed.due_at == datetime(2026, 12, 7, 9, 30, tzinfo=SH)
    h1 = as_user(app, world.h1)
    refused = h1.post(f"/app/tasks/{task.id}/do/edit", edit)
    assert refused.status_code == 403 and "只有创建人和可修改者可以修改任务" in text(refused)
    moved = alice.post(f"/app/tasks/{task.id}/do/move", {"project_id": other.id}, htmx=True)
    assert f'<tr id="task-row-{task.id}" hx-swap-oob="delete">' in text(moved)
    assert Task.get_by_id(task.id).project_id == other.id
    gone = alice.post(f"/app/tasks/{task.id}/do/delete", htmx=True)
    assert "已删除" in text(gone) and Task.get_by_id(task.id).deleted_at is not None
    assert alice.get(f"/app/tasks/{task.id}").status_code == 404
    actions = [r.action for r in TaskLog.select().where(TaskLog.task == task.id).order_by(TaskLog.id)]
    assert actions[-4:] == ["comment", "edit", "move", "delete"]


def test_log_labels_come_from_the_shared_label_table(app, world):
    flow = task_at(world, nodes=[world.h1, world.h2])
    drive(flow, ["complete"], now=T)
    html = text(as_user(app, world.alice).get(f"/app/tasks/{flow.id}"))
    assert "爱丽丝" + LOG_ACTION["create"] in html and "张一" + LOG_ACTION["complete"].format(seq=1) in html


# --- ERP通知 -------------------------------------------------------------------------------

@pytest.fixture
def erp_tasks(world):
    scenario = scenarios.create_scenario(world.admin, scenario_body(world, "inventory.low"), T)
    first = erp.ingest_events(world.company.id, [event("inventory.low")], T)[0]
    erp.ingest_events(world.company.id, [event("inventory.low", {
        **event("inventory.low")["data"], "available": 4})], T)
    other = erp.ingest_events(world.company.id, [event("inventory.low", {
        **event("inventory.low")["data"], "sku": "CABLE-1M"})], T)[0]
    return scenario, Task.get_by_id(first["task_id"]), Task.get_by_id(other["task_id"])


def test_erp_board_shows_scenario_occurrences_and_cleared(app, world, admin, erp_tasks):
    scenario, repeated, other = erp_tasks
    erp.ingest_events(world.company.id, [event("inventory.low", {
        "sku": "CABLE-1M", "warehouse": "FBA-US-ONT8", "cleared": True})], T)
    response = admin.get("/app/erp")
    assert response.status_code == 302
    html = text(admin.get(response.headers["Location"]))
    assert "ERP场景" in html and scenario.name in html
    row = re.search(rf'<tr id="task-row-{repeated.id}".*?</tr>', html, re.S).group(0)
    assert '<td class="occurrences">2</td>' in row and "情况已解除" not in row
    cleared = re.search(rf'<tr id="task-row-{other.id}".*?</tr>', html, re.S).group(0)
    assert 'data-testid="cleared"' in cleared
    low = scenarios.create_scenario(world.admin, scenario_body(world, "order.out_of_stock"), T)
    out = erp.ingest_events(world.company.id, [event("order.out_of_stock")], T)[0]
    by_scenario = text(admin.get(f"/app/projects/{repeated.project_id}/board?scenario={low.id}"))
    assert numbers(by_scenario) == [Task.get_by_id(out["task_id"]).number]
    assert f'<option value="{low.id}" selected>{low.name}</option>' in by_scenario
    detail = text(admin.get(f"/app/tasks/{repeated.id}"))
    assert "ERP单据" in detail and 'data-testid="occurrences">2<' in detail and "FBA-US-ONT8" in detail
    # h1 handles both and sees them; stranger sees none
    h1 = as_user(app, world.h1)
    erp_id = project_store.erp_project(world.company.id).id
    assert set(numbers(text(h1.get(f"/app/projects/{erp_id}/board")))) == {
        repeated.number, other.number, Task.get_by_id(out["task_id"]).number}
    assert numbers(text(as_user(app, world.stranger).get(f"/app/projects/{erp_id}/board"))) == []


def test_archive_finished_one_and_all(app, world, admin, erp_tasks):
    _, first, second = erp_tasks
    erp_id = project_store.erp_project(world.company.id).id
    drive(first, ["complete", "complete"], now=T)
    drive(second, ["complete", "complete"], now=T)
    h1 = as_user(app, world.h1)
    assert "archive" not in panel_actions(text(h1.get(f"/app/tasks/{first.id}")))
    refused = h1.post(f"/app/projects/{erp_id}/archive_finished")
    assert refused.status_code == 403 and "只有管理员可以归档任务" in text(refused)
    assert "archive" in panel_actions(text(admin.get(f"/app/tasks/{first.id}")))
    one = admin.post(f"/app/tasks/{first.id}/do/archive", htmx=True)
    assert f'<tr id="task-row-{first.id}" hx-swap-oob="delete">' in text(one)
    assert Task.get_by_id(first.id).archived_at is not None and Task.get_by_id(second.id).archived_at is None
    everything = admin.post(f"/app/projects/{erp_id}/archive_finished")
    assert everything.status_code == 303
    assert "已归档 1 个" in text(admin.get(everything.headers["Location"]))
    assert Task.get_by_id(second.id).archived_at is not None
    assert numbers(text(admin.get(f"/app/projects/{erp_id}/board"))) == []
    assert set(numbers(text(admin.get(f"/app/projects/{erp_id}/board?archived=1")))) == {first.number, second.number}


def test_unknown_actions_and_signed_out_requests(app, world, admin):
    task = task_at(world, assignee=world.h1)
    assert admin.post(f"/app/tasks/{task.id}/do/explode").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/app/projects/{world.project.id}/board").status_code == 302
    htmx = anonymous.get(f"/app/tasks/{task.id}/panel", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/app/login"


def test_nav_lists_the_boards(app, world):
    html = text(as_user(app, world.h3).get("/app/"))
    assert "运营项目" in html and "ERP通知" in html and 'href="/app/projects"' in html


def test_an_erp_tasks_business_type_is_offered_and_kept_by_an_edit(app, world, admin, erp_tasks):
    _, task, _ = erp_tasks
    erp_id = project_store.erp_project(world.company.id).id
    assert "<option selected>仓储</option>" in text(admin.get(f"/app/projects/{erp_id}/board?business_type=仓储"))
    alice = as_user(app, world.alice)  # the scenario's editor
    page = text(alice.get(f"/app/tasks/{task.id}"))
    assert "<option selected>仓储</option>" in page
    edit = {"title": "改标题", "description": task.description, "priority": task.priority,
            "due": "2026-12-07T09:30", "business_type": "仓储"}
    assert alice.post(f"/app/tasks/{task.id}/do/edit", edit).status_code == 303
    assert Task.get_by_id(task.id).business_type == "仓储"


# --- the queries on both databases --------------------------------------------------------

def test_board_and_workbench_queries_on_sqlite_and_postgresql(any_db):
    from store import board as board_store
    from tests.factories import make_world
    w = make_world()
    late = task_at(w, assignee=w.h1, priority="low", now=T - timedelta(days=2), due=T - timedelta(days=1))
    urgent = task_at(w, assignee=w.h1, priority="urgent", due=T + timedelta(days=3))
    other = task_at(w, assignee=w.h2, priority="high", watchers=[w.h1], due=T + timedelta(days=2))
    f = board_store.BoardFilter
    everything = board_store.board_tasks(w.admin, w.project.id, f(), "priority")
    assert [t.id for t in everything] == [urgent.id, other.id, late.id]
    assert [t.id for t in board_store.board_tasks(w.admin, w.project.id, f(), "due")] == [late.id, other.id, urgent.id]
    assert [t.id for t in board_store.board_tasks(w.h1, w.project.id, f(handler_id=w.h1.id), "-created")] == [
        urgent.id, late.id]
    assert board_store.work_counts(w.h1, T + timedelta(hours=1)) == {
        "overdue": 1, "new": 1, "done": 0, "created": 0, "watched": 1}
    assert [p.name for p in board_store.board_projects(w.h1)] == ["运营项目", "ERP通知"]
