"""待办 / 已办 / 我创建的, 详情, the workflow actions and 评论, by chat transcript."""
from datetime import timedelta

from handlers import texts
from handlers.replies import MAX_REPLY_BYTES, size
from menus.keys import MenuKey
from store import directory, projects, tasks
from store.models import TaskNode
from store.taskstate import add_log
from tests.chat_fixtures import T0, chat, clock, world  # noqa: F401
from tests.factories import make_outsider, make_task, make_user


def node_states(task_id):
    return [n.state for n in TaskNode.select().where(TaskNode.task == task_id).order_by(TaskNode.seq)]


# --- lists ---------------------------------------------------------------------------------

def test_member_sees_todo_overdue_first_numbered(chat, world):
    new = make_task(world, assignee=world.h1, title="新任务", due=T0 + timedelta(days=1))
    late = make_task(world, assignee=world.h1, title="过期任务", now=T0 - timedelta(days=3),
                     due=T0 - timedelta(days=1))
    reply = chat(world.h1).say("待办")
    lines = reply.splitlines()
    assert lines[0] == texts.TODO_HEADER.format(total=2, overdue=texts.TODO_OVERDUE.format(n=1))
    assert lines[1] == f"1. #{late.number} 过期任务 · 11-30 10:00 {texts.OVERDUE}"
    assert lines[2] == f"2. #{new.number} 新任务 · 12-02 10:00"
    assert lines[-1] == texts.TODO_FOOTER


def test_todo_click_and_english_alias_answer_the_same(chat, world):
    make_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    assert h1.say("todo") == h1.say("待办") == h1.click(MenuKey.TODO)


def test_empty_todo_hints_how_to_create(chat, world):
    assert chat(world.h1).say("待办") == texts.TODO_EMPTY


def test_long_todo_fits_wechat_limit_and_says_how_many_more(chat, world):
    for i in range(60):
        make_task(world, assignee=world.h1, title=f"核对第{i}批采购单的到货数量与质检结果并回复供应商")
    h1 = chat(world.h1)
    reply = h1.say("待办")
    assert size(reply) <= MAX_REPLY_BYTES
    shown = sum(1 for line in reply.splitlines() if line[:1].isdigit())
    assert 10 < shown < 60
    assert texts.MORE.format(n=60 - shown) in reply
    # a position the user never saw is not guessed
    assert h1.say(f"详情 {shown + 1}") == texts.REF_STALE.format(n=shown + 1)
    assert h1.say(f"详情 {shown}").startswith("#")


def test_done_and_created_lists(chat, world):
    task = make_task(world, assignee=world.h1, title="已办的")
    h1, alice = chat(world.h1), chat(world.alice)
    assert h1.say("已办") == texts.DONE_EMPTY
    h1.say("完成 #%d" % task.number)
    assert f"#{task.number} 已办的 · 已完成" in h1.say("done")
    assert f"#{task.number} 已办的 · 已完成" in alice.say("我创建的")
    assert chat(world.h2).say("created") == texts.CREATED_EMPTY


# --- 详情 ------------------------------------------------------------------------------------

def test_handler_opens_details_which_starts_the_node(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2], priority="high")
    h1 = chat(world.h1)
    h1.say("待办")
    reply = h1.say("详情 1")
    assert reply.startswith(f"#{task.number} 核对PO123到货")
    for piece in ("项目：运营项目", "截止：12-02 10:00", "优先级：高", "状态：进行中",
                  "▶1. 张一 · 处理中 · 第1步", "2. 王二 · 未开始 · 第2步", "张一开始处理",
                  f"完成 #{task.number}", f"转办 #{task.number} @某人"):
        assert piece in reply, piece
    assert f"回退 #{task.number}" not in reply
    assert node_states(task.id) == ["started", "pending"]


def test_watcher_views_details_without_starting_anything(chat, world):
    task = make_task(world, nodes=[world.h1], watchers=[world.watcher])
    reply = chat(world.watcher).say(f"task #{task.number}")
    assert texts.DETAIL_NO_ACTIONS.format(ref=f"#{task.number}") in reply
    assert node_states(task.id) == ["active"]


def test_erp_repeat_in_the_log_is_worded(chat, world):
    task = make_task(world, assignee=world.h1)
    add_log(task, None, "erp_repeat", T0, event_id="evt-2", occurrences=2, changes={})
    reply = chat(world.h1).say(f"详情 #{task.number}")
    assert "系统：ERP再次推送（第2次）" in reply and "erp_repeat" not in reply


def test_erp_cleared_task_details_carry_the_mark_and_the_log_line(chat, world):
    from store import erp, scenarios
    from store.models import Task
    from tests.erp_samples import event, scenario_body
    scenarios.create_scenario(world.admin, scenario_body(world, "inventory.low"), T0)
    [made] = erp.ingest_events(world.company.id, [event("inventory.low")], T0)
    gone = {"sku": "LED-STRIP-5M", "warehouse": "FBA-US-ONT8", "cleared": True}
    assert erp.ingest_events(world.company.id, [event("inventory.low", gone)], T0)[0]["status"] == "cleared"
    task = Task.get_by_id(made["task_id"])
    reply = chat(world.h1).say(f"详情 #{task.number}")
    assert reply.splitlines()[0] == f"#{task.number} {task.title}{texts.DETAIL_ERP_CLEARED}"
    assert "系统：ERP报告情况已解除" in reply and "erp_cleared" not in reply


def test_overdue_task_details_carry_the_mark(chat, world):
    task = make_task(world, assignee=world.h1, now=T0 - timedelta(days=3), due=T0 - timedelta(hours=1))
    assert f"截止：12-01 09:00 {texts.OVERDUE}" in chat(world.h1).say(f"详情 #{task.number}")


def test_details_without_reference_show_usage(chat, world):
    assert chat(world.h1).say("详情") == texts.REF_USAGE.format(command="详情")
    assert chat(world.h1).say("详情 abc") == texts.REF_USAGE.format(command="详情")


def test_glued_reference_works(chat, world):
    task = make_task(world, assignee=world.h1)
    assert chat(world.h1).say(f"详情#{task.number}").startswith(f"#{task.number}")


# --- references never reach what the user may not see --------------------------------------

def test_another_company_task_number_is_not_found(chat, world):
    outsider = make_outsider()
    project = projects.create_project(outsider, "外部项目")
    for i in range(3):
        tasks.create_task(outsider, project.id, f"机密{i}", due_at=T0 + timedelta(days=1), now=T0)
    make_task(world, assignee=world.h1)  # acme has only #1
    admin = chat(world.admin)
    assert admin.say("详情 #3") == tasks.NO_TASK
    assert admin.say("完成 #3") == tasks.NO_TASK
    # the other company's admin sees their own #1, never acme's
    assert "机密0" in chat(outsider).say("详情 #1")


def test_invisible_task_of_same_company_is_not_found(chat, world):
    task = make_task(world, assignee=world.h1)
    assert chat(world.stranger).say(f"详情 #{task.number}") == tasks.NO_TASK


def test_positions_are_per_user_and_stale_ones_are_refused(chat, world):
    make_task(world, assignee=world.h1)
    h1, stranger = chat(world.h1), chat(world.stranger)
    h1.say("待办")
    assert stranger.say("详情 1") == texts.REF_STALE.format(n=1)  # h1's list is h1's
    assert h1.say("详情 2") == texts.REF_STALE.format(n=2)
    assert h1.say("详情 0") == texts.REF_STALE.format(n=0)
    h1.say("项目")  # a project list replaces the task list
    assert h1.say("完成 1") == texts.REF_STALE.format(n=1)


def test_position_of_a_task_deleted_since_is_not_found(chat, world):
    task = make_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    h1.say("待办")
    tasks.delete_task(world.alice, task.id, T0)
    assert h1.say("详情 1") == tasks.NO_TASK


# --- workflow actions ----------------------------------------------------------------------

def test_handler_completes_and_the_next_handler_gets_it(chat, world, wechat_mock):
    task = make_task(world, nodes=[world.h1, world.h2])
    h1 = chat(world.h1)
    h1.say("待办")
    assert h1.say("完成1") == texts.COMPLETED.format(
        number=task.number, title=task.title, next=texts.COMPLETED_NEXT.format(name="王二"))
    assert node_states(task.id) == ["done", "active"]
    assert f"#{task.number}" in chat(world.h2).say("待办")
    assert wechat_mock.calls_to("message/template/send") == []  # never inside the webhook


def test_last_completion_finishes_the_task(chat, world):
    task = make_task(world, assignee=world.h1)
    reply = chat(world.h1).say(f"complete #{task.number}")
    assert texts.COMPLETED_ALL in reply


def test_someone_else_cannot_complete(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2], watchers=[world.h2])
    assert chat(world.h2).say(f"完成 #{task.number}") == "只有当前节点的处理人（张一）可以完成"
    assert node_states(task.id) == ["active", "pending"]


def test_start(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    reply = chat(world.h1).say(f"开始 #{task.number}")
    assert reply == texts.STARTED.format(number=task.number, title=task.title, ref=f"#{task.number}")
    assert node_states(task.id) == ["started", "pending"]


def test_rollback_on_first_node_says_why(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    assert chat(world.h1).say(f"回退 #{task.number} 资料不全") == "第一个节点不能回退"
    assert chat(world.h1).say(f"回退 #{task.number}") == "第一个节点不能回退"


def test_rollback_needs_a_reason_then_goes_back(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    chat(world.h1).say(f"完成 #{task.number}")
    h2 = chat(world.h2)
    assert h2.say(f"回退 #{task.number}") == texts.ROLLBACK_USAGE
    assert h2.say(f"rollback #{task.number} 资料不全") == texts.ROLLED_BACK.format(
        number=task.number, title=task.title, name="张一")
    assert node_states(task.id) == ["active", "pending"]
    assert "回退：资料不全" in chat(world.h1).say(f"详情 #{task.number}")


def test_simple_task_refuses_rollback_urge_withdraw_with_the_rule(chat, world):
    task = make_task(world, assignee=world.h1)
    h1 = chat(world.h1)
    for verb in ("回退", "催办", "撤回"):
        assert h1.say(f"{verb} #{task.number} 原因") == f"简易任务只有一个节点，不能{verb}"


def test_transfer_by_mention(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    h1 = chat(world.h1)
    assert h1.say(f"转办 #{task.number} @李三") == texts.TRANSFERRED.format(
        number=task.number, title=task.title, name="李三")
    assert "▶1. 李三（转自张一）" in chat(world.h3).say(f"详情 #{task.number}")


def test_transfer_needs_a_known_single_person(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    other = directory.create_department(world.admin, "采购部")
    make_user(world.company.id, "wangwu1", department_id=world.dept.id, name="王五")
    make_user(world.company.id, "wangwu2", department_id=other.id, name="王五")
    h1 = chat(world.h1)
    ref = f"#{task.number}"
    assert h1.say(f"转办 {ref}") == texts.TRANSFER_USAGE
    assert h1.say(f"转办 {ref} @赵六") == directory.NAME_UNKNOWN.format(name="赵六")
    assert h1.say(f"转办 {ref} @张一") == "不能转办给自己"
    reply = h1.say(f"转办 {ref} @王五")
    assert reply.startswith(directory.NAME_AMBIGUOUS.format(name="王五"))
    assert "@wangwu1 王五（运营部）" in reply and "@wangwu2 王五（采购部）" in reply
    assert node_states(task.id) == ["active", "pending"]
    assert h1.say(f"转办 {ref} @wangwu2").endswith("已通知对方。")


def test_withdraw_until_the_next_handler_opens_it(chat, world):
    task = make_task(world, nodes=[world.h1, world.h2])
    h1 = chat(world.h1)
    ref = f"#{task.number}"
    assert h1.say(f"撤回 {ref}") == "你的节点尚未完成，可以转办或回退，不能撤回"
    h1.say(f"完成 {ref}")
    assert h1.say(f"withdraw {ref}") == texts.WITHDRAWN.format(number=task.number, title=task.title)
    h1.say(f"完成 {ref}")
    chat(world.h2).say(f"详情 {ref}")  # opening it starts node 2
    assert h1.say(f"撤回 {ref}") == "下一节点已开始处理，不能撤回"


def test_urge_once_an_hour(chat, world, clock):
    task = make_task(world, nodes=[world.h1, world.h2])
    h1 = chat(world.h1)
    ref = f"#{task.number}"
    h1.say(f"完成 {ref}")
    assert h1.say(f"催办 {ref}") == texts.URGED.format(number=task.number, title=task.title, name="王二")
    assert h1.say(f"urge {ref}").startswith("1小时内已催办过，可在 11:00")
    clock.shift(timedelta(hours=1, minutes=1))
    assert h1.say(f"催办 {ref}").startswith("已催办")


def test_comment(chat, world):
    task = make_task(world, nodes=[world.h1])
    alice = chat(world.alice)
    ref = f"#{task.number}"
    assert alice.say(f"评论 {ref}") == texts.COMMENT_USAGE
    assert alice.say(f"comment {ref} 供应商已回复") == texts.COMMENTED.format(
        number=task.number, title=task.title)
    assert "评论：供应商已回复" in alice.say(f"详情 {ref}")


def test_full_width_input_is_understood(chat, world):
    task = make_task(world, assignee=world.h1)
    assert chat(world.h1).say(f"详情　＃{chr(0xFF10 + task.number)}").startswith(f"#{task.number}")


def test_long_workflow_details_fit_wechat_limit(chat, world):
    long_items = "核对采购单金额、供应商资质、到货数量与质检报告并在系统中登记" * 2
    task = tasks.create_task(world.alice, world.project.id, "长" * 200, due_at=T0 + timedelta(days=2),
                             now=T0, nodes=[{"handler_id": world.h1.id, "items": long_items}] * 20)
    reply = chat(world.alice).say(f"详情 #{task.number}")
    assert size(reply) <= MAX_REPLY_BYTES
    assert "…还有" in reply and reply.endswith(texts.DETAIL_NO_ACTIONS.format(ref=f"#{task.number}"))
