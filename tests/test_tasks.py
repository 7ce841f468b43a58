"""Tasks (SPEC §2, §4): creation rules, visibility, lists and to-dos, copy/move/edit/delete,
comments and the details page."""
from datetime import timedelta

import pytest

from store import directory, projects, tasks, workflow
from store.errors import Forbidden, Invalid, NotFound, Refused
from store.models import Notification, Task, TaskLog, TaskNode, TaskReceipt, Template
from tests.factories import NOW, drive, make_outsider, make_task, make_user, make_world


def _ids(rows):
    return sorted(t.id for t in rows)


def test_simple_task_defaults_to_the_creator_and_numbers_are_per_company(any_db):
    w = make_world()
    outsider = make_outsider()
    mine = make_task(w)
    assert (mine.number, mine.simple, mine.current_seq) == (1, True, 1)
    assert TaskNode.get(TaskNode.task == mine.id).handler_id == w.alice.id
    assert not Notification.select().exists()  # nobody to tell: I gave it to myself
    other_project = projects.create_project(outsider, "外部")
    theirs = tasks.create_task(outsider, other_project.id, "x", due_at=NOW + timedelta(hours=1),
                               now=NOW)
    assert theirs.number == 1 and make_task(w, assignee=w.h1).number == 2
    note = Notification.get(Notification.user == w.h1.id)
    assert note.kind == "task_received" and note.message.title.startswith("新任务")
    assert TaskReceipt.select().where(TaskReceipt.user == w.h1.id).count() == 1


def test_create_is_refused_for_past_deadline_archived_project_bad_type_or_non_member(any_db):
    w = make_world()
    outsider = make_outsider()
    projects.add_business_type(w.admin, w.project.id, "采购")
    with pytest.raises(Invalid, match="截止时间已过"):
        make_task(w, due=NOW - timedelta(minutes=1))
    with pytest.raises(Invalid, match="业务类型"):
        make_task(w, business_type="财务")
    assert make_task(w, business_type="采购").business_type == "采购"
    with pytest.raises(NotFound):
        make_task(w, creator=outsider)  # another company's project does not exist for them
    lone = projects.create_project(w.admin, "管理层")
    with pytest.raises(Forbidden):
        tasks.create_task(w.alice, lone.id, "x", due_at=NOW + timedelta(days=1), now=NOW)
    with pytest.raises(Invalid):
        make_task(w, nodes=[w.h1], assignee=w.h2)
    projects.archive_project(w.admin, w.project.id)
    with pytest.raises(Refused, match="归档"):
        make_task(w)


def test_template_nodes_are_copied_at_creation(any_db):
    w = make_world()
    template = projects.create_template(w.admin, "审批", [{"handler_id": w.h1.id, "items": "核实"},
                                                       {"handler_id": w.h2.id, "items": "审批"}])
    task = tasks.create_task(w.alice, w.project.id, "采购审批", due_at=NOW + timedelta(days=1),
                             now=NOW, template_id=template.id)
    projects.update_template(w.admin, template.id, nodes=[{"handler_id": w.h3.id}])
    assert [(n.handler_id, n.items) for n in TaskNode.select().where(TaskNode.task == task.id)
            .order_by(TaskNode.seq)] == [(w.h1.id, "核实"), (w.h2.id, "审批")]
    assert not task.simple
    empty = Template.get(Template.builtin == "empty")
    with pytest.raises(Invalid, match="节点"):
        tasks.create_task(w.alice, w.project.id, "x", due_at=NOW + timedelta(days=1), now=NOW,
                          template_id=empty.id)


def test_erp_creation_without_actor_names_the_company(any_db):
    w = make_world()
    erp = projects.erp_project(w.company.id)
    task = tasks.create_task(None, erp.id, "采购单PO123金额6000超标", company_id=w.company.id,
                             due_at=NOW + timedelta(days=2), now=NOW, priority="high",
                             nodes=[{"handler_id": w.h1.id, "items": "核实金额"}], source="erp",
                             erp_kind="purchase_order.amount", erp_doc_key="PO123",
                             erp_data={"po_no": "PO123", "amount": 6000})
    assert task.creator_id is None and task.source == "erp"
    assert Notification.get(Notification.user == w.h1.id).data["from"] == "ERP"
    assert TaskLog.get(TaskLog.task == task.id).actor_id is None
    with pytest.raises(Invalid):
        tasks.create_task(None, erp.id, "x", due_at=NOW + timedelta(days=1), now=NOW,
                          nodes=[{"handler_id": w.h1.id}])
    detail = tasks.task_detail(w.admin, task.id)
    assert detail["erp_data"]["po_no"] == "PO123" and detail["creator"] is None


def test_member_sees_only_created_received_watched_tasks(any_db):
    w = make_world()
    outsider = make_outsider()
    created = make_task(w, creator=w.h2, assignee=w.h2)
    received = make_task(w, nodes=[w.h2, w.h3])
    watched = make_task(w, assignee=w.h1, watchers=[w.h2])
    later_node = make_task(w, nodes=[w.h1, w.h2])  # h2's node is not reached yet
    unrelated = make_task(w, assignee=w.h1)
    assert _ids(tasks.visible_tasks(w.h2)) == _ids([created, received, watched])
    for hidden in (later_node, unrelated):
        with pytest.raises(NotFound, match="任务不存在"):
            tasks.get_task(w.h2, hidden.id)
    drive(later_node, ["complete"])
    assert tasks.get_task(w.h2, later_node.id).id == later_node.id
    assert len(tasks.visible_tasks(w.admin)) == 5
    assert len(tasks.visible_tasks(w.dadmin)) == 5  # the project is in their department
    with pytest.raises(NotFound):
        tasks.get_task(outsider, created.id)
    assert tasks.get_task(w.h2, number=created.number).id == created.id
    with pytest.raises(NotFound):
        tasks.get_task(w.h2, "abc")
    # Each kind of viewer, by id and by number: admins, department admins, the deactivated.
    for viewer in (w.admin, w.dadmin):
        assert tasks.get_task(viewer, unrelated.id).project.name == w.project.name
        assert tasks.get_task(viewer, number=unrelated.number).company.id == w.company.id
    w.h2.active = False
    with pytest.raises(NotFound):
        tasks.get_task(w.h2, created.id)


def test_dept_admin_of_another_department_sees_nothing_extra(any_db):
    w = make_world()
    other = directory.create_department(w.admin, "采购部")
    boss = make_user(w.company.id, "boss2", "dept_admin", other.id)
    task = make_task(w, assignee=w.h1)
    assert list(tasks.visible_tasks(boss)) == []
    with pytest.raises(NotFound):
        tasks.get_task(boss, task.id)
    with pytest.raises(NotFound):
        tasks.get_task(boss, number=task.number)


def test_todo_splits_overdue_and_new_by_deadline(any_db):
    w = make_world()
    late = make_task(w, assignee=w.h1, due=NOW + timedelta(hours=1))
    soon = make_task(w, assignee=w.h1, due=NOW + timedelta(hours=5))
    later = make_task(w, nodes=[w.h1, w.h2], due=NOW + timedelta(hours=3))
    theirs = make_task(w, assignee=w.h2)
    overdue, new = tasks.list_todo(w.h1, NOW + timedelta(hours=2)).split
    assert [t.id for t in overdue] == [late.id]
    assert [t.id for t in new] == [later.id, soon.id]
    drive(later, ["complete"])
    assert [t.id for t in tasks.list_done(w.h1)] == [later.id]
    assert later.id not in _ids(tasks.list_todo(w.h1, NOW).split[1])
    assert _ids(tasks.list_todo(w.h2, NOW).split[1]) == [later.id, theirs.id]
    assert len(tasks.list_created(w.alice)) == 4


def test_filters_and_views(any_db):
    w = make_world()
    projects.add_business_type(w.admin, w.project.id, "采购")
    a = make_task(w, assignee=w.h1, priority="urgent", business_type="采购", title="采购单PO9")
    b = make_task(w, assignee=w.h1, due=NOW + timedelta(days=5), watchers=[w.h2])
    assert _ids(tasks.list_tasks(w.alice, priority="urgent")) == [a.id]
    assert _ids(tasks.list_tasks(w.alice, business_type="采购")) == [a.id]
    assert _ids(tasks.list_tasks(w.alice, text="PO9")) == [a.id]
    assert _ids(tasks.list_tasks(w.alice, text=f"#{b.number}")) == [b.id]
    assert _ids(tasks.list_tasks(w.alice, due_from=NOW + timedelta(days=3))) == [b.id]
    assert _ids(tasks.list_tasks(w.h2, "watched")) == [b.id]
    assert _ids(tasks.list_tasks(w.h1, "todo")) == [a.id, b.id]
    assert tasks.list_tasks(w.alice, status="done") == []
    assert len(tasks.list_tasks(w.alice, limit=1)) == 1
    with pytest.raises(Invalid):
        tasks.list_tasks(w.alice, "everything")


def test_edit_by_creator_and_editors_only_and_logged(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2], editors=[w.h3])
    with pytest.raises(Forbidden):
        tasks.edit_task(w.h1, task.id, now=NOW, title="改")
    with pytest.raises(Forbidden):
        tasks.edit_task(w.admin, task.id, now=NOW, title="改")
    tasks.edit_task(w.h3, task.id, now=NOW, title="新标题", priority="high",
                    due_at=NOW + timedelta(days=9), watcher_ids=[w.watcher.id])
    row = Task.get_by_id(task.id)
    assert (row.title, row.priority, row.original_due_at) == ("新标题", "high", NOW + timedelta(days=2))
    log = TaskLog.get(TaskLog.action == "edit")
    assert log.detail["changes"]["title"] == ["核对PO123到货", "新标题"]
    assert log.detail["changes"]["watcher_ids"] == [[], [w.watcher.id]]
    with pytest.raises(Invalid, match="截止时间已过"):
        tasks.edit_task(w.alice, task.id, now=NOW, due_at=NOW - timedelta(days=1))
    with pytest.raises(Invalid):
        tasks.edit_task(w.alice, task.id, now=NOW, status="done")


def test_delete_by_creator_or_admin_soft_and_logged(any_db):
    w = make_world()
    task = make_task(w, assignee=w.h1)
    with pytest.raises(Forbidden):
        tasks.delete_task(w.h1, task.id, NOW)
    tasks.delete_task(w.dadmin, task.id, NOW)
    assert Task.get_by_id(task.id).deleted_at == NOW
    assert TaskLog.get(TaskLog.action == "delete").actor_id == w.dadmin.id
    for who in (w.alice, w.h1, w.admin):
        with pytest.raises(NotFound):
            tasks.get_task(who, task.id)
    assert tasks.list_todo(w.h1, NOW).split == ([], [])


def test_copy_and_move(any_db):
    w = make_world()
    other = projects.create_project(w.admin, "第二项目", member_ids=[w.alice.id])
    closed = projects.create_project(w.admin, "无关项目")
    task = make_task(w, nodes=[w.h1, w.h2], watchers=[w.watcher])
    workflow.transfer(w.h1, task.id, w.h3.id, NOW)
    copy = tasks.copy_task(w.alice, task.id, now=NOW)
    assert copy.number == 2 and copy.title == task.title
    assert [n.handler_id for n in TaskNode.select().where(TaskNode.task == copy.id)
            .order_by(TaskNode.seq)] == [w.h1.id, w.h2.id]  # the planned handlers
    with pytest.raises(NotFound):
        tasks.copy_task(w.stranger, task.id, now=NOW)
    with pytest.raises(Forbidden):
        tasks.move_task(w.h3, task.id, other.id)  # handler, not creator/editor/admin
    with pytest.raises(Forbidden):
        tasks.move_task(w.alice, task.id, closed.id)  # alice is not a member there
    tasks.move_task(w.alice, task.id, other.id, NOW)
    assert Task.get_by_id(task.id).project_id == other.id
    assert TaskLog.get(TaskLog.action == "move").detail["to"]["name"] == "第二项目"
    assert tasks.get_task(w.h3, task.id)  # still visible to its handler


def test_comment_notifies_creator_and_current_handler(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2])
    with pytest.raises(NotFound):
        tasks.add_comment(w.stranger, task.id, "hi", NOW)
    with pytest.raises(Invalid):
        tasks.add_comment(w.alice, task.id, "  ", NOW)
    tasks.add_comment(w.alice, task.id, "进度如何？", NOW)
    note = Notification.get(Notification.kind == "comment")
    assert note.user_id == w.h1.id and note.message.body == "进度如何？"
    tasks.add_comment(w.h1, task.id, "快好了", NOW)
    assert Notification.select().where(Notification.kind == "comment",
                                       Notification.user == w.alice.id).count() == 1


def test_task_detail_is_json_ready(any_db):
    w = make_world()
    task = make_task(w, nodes=[w.h1, w.h2], watchers=[w.watcher], editors=[w.h3])
    workflow.complete(w.h1, task.id, NOW)
    tasks.add_comment(w.alice, task.id, "好", NOW)
    detail = tasks.task_detail(w.alice, task.id)
    assert detail["due_at"] == "2026-12-02T10:00:00+08:00"
    assert detail["project"] == {"id": w.project.id, "name": "运营项目"}
    assert [(n["seq"], n["handler_name"], n["state"]) for n in detail["nodes"]] == \
        [(1, "张一", "done"), (2, "王二", "active")]
    assert detail["current_seq"] == 2 and detail["status"] == "in_progress"
    assert [c["body"] for c in detail["comments"]] == ["好"]
    assert [e["action"] for e in detail["log"]] == ["create", "complete", "comment"]
    assert detail["watchers"] == [{"id": w.watcher.id, "name": "关注者"}]
    assert detail["allowed_actions"] == ["comment", "edit", "delete"]
    assert "complete" in tasks.task_detail(w.h2, task.id)["allowed_actions"]
    assert [e["action"] for e in tasks.task_log(w.h1, task.id)][-1] == "comment"


def test_archive_finished_tasks_only(any_db):
    w = make_world()
    task = make_task(w, assignee=w.h1)
    with pytest.raises(Refused):
        tasks.archive_task(w.admin, task.id, NOW)
    drive(task, ["complete"])
    with pytest.raises(Forbidden):
        tasks.archive_task(w.alice, task.id, NOW)
    tasks.archive_task(w.admin, task.id, NOW)
    assert tasks.list_tasks(w.alice) == [] and len(tasks.list_created(w.alice)) == 1
