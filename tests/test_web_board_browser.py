"""The task boards in a real browser (Chromium via Playwright): filter a board, create a
workflow task from a template, take the workflow actions from the board's drawer as the
right person (the row refreshes without a reload) and see the refusal as the wrong one."""
from datetime import datetime, timedelta

from playwright.sync_api import expect

from store import erp, projects as project_store, scenarios
from store.db import utcnow
from store.models import Task, TaskNode
from tests.browser_support import WIDE, browser, choose, follow, live, page, shoot, sign_in  # noqa: F401
from tests.erp_samples import event, scenario_body
from tests.factories import SH, drive, make_task
from tests.web_support import world  # noqa: F401

T = datetime(2026, 12, 2, 9, 0, tzinfo=SH)  # an hour before the pinned clock


def task_at(world, **kw):
    kw.setdefault("now", T)
    kw.setdefault("due", T + timedelta(days=1))
    return make_task(world, **kw)


def row(page, task):
    return page.locator(f"#task-row-{task.id}")


def open_drawer(page, task):
    row(page, task).get_by_role("link", name=task.title).click()
    expect(page.locator("#drawer")).to_contain_text(f"#{task.number} {task.title}")


def act(page, label):
    """Press an action button in the drawer and wait for htmx to swap the answer in."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/do/" in r.url):
        page.locator("#drawer").get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def switch_to(page, live, account):
    page.context.clear_cookies()
    sign_in(page, live, account)


def test_filter_the_board(page, live, world):
    project_store.add_business_type(world.admin, world.project.id, "采购")
    urgent = task_at(world, assignee=world.h1, title="催货 PO9", priority="urgent", business_type="采购")
    calm = task_at(world, creator=world.h3, title="盘点仓库", priority="low", due=T + timedelta(days=6))
    sign_in(page, live, "admin")
    follow(page, page.get_by_role("navigation", name="主菜单").get_by_role("link", name="运营项目"))
    expect(page.locator("tr[data-task]")).to_have_count(2)
    with page.expect_response(lambda r: "priority=urgent" in r.url):
        page.get_by_label("优先级").select_option("urgent")
    expect(page.locator("tr[data-task]")).to_have_count(1)
    expect(row(page, urgent)).to_contain_text("张一")
    assert "priority=urgent" in page.url  # the filter is in the address, to share or reload
    follow(page, page.get_by_role("link", name="清除"))
    page.get_by_label("搜索").fill("盘点")
    with page.expect_response(lambda r: "q=" in r.url):
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("tr[data-task]")).to_have_count(1)
    expect(row(page, calm)).to_be_visible()
    follow(page, page.get_by_role("link", name="清除"))
    page.get_by_label("截止时间从").fill("2026-12-06")
    with page.expect_response(lambda r: "due_from=2026-12-06" in r.url):
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("tr[data-task]")).to_have_count(1)
    expect(row(page, calm)).to_be_visible()
    shoot(page, "board-filtered")


def test_create_a_workflow_task_from_a_template(page, live, world):
    project_store.create_template(world.admin, "采购付款", [
        {"handler_id": world.h1.id, "items": "核对到货"}, {"handler_id": world.h2.id, "items": "审批付款"}])
    sign_in(page, live, "alice")
    page.goto(live.url(f"/app/projects/{world.project.id}/board"))
    follow(page, page.get_by_role("link", name="新建任务"))
    page.get_by_label("标题").fill("付款 PO123")
    page.get_by_label("截止时间").fill("2026-12-06T18:00")
    choose(page, "工作流模板", str(project_store.list_templates(world.alice)[-1].id))
    expect(page.get_by_test_id("template-nodes")).to_contain_text("审批付款")
    expect(page.get_by_label("标题")).to_have_value("付款 PO123")  # kept across the swap
    page.get_by_label("关注人").select_option(label="关注者")
    shoot(page, "task-new-from-template")
    page.get_by_role("button", name="创建任务").click()
    expect(page.get_by_role("status")).to_contain_text("已创建任务 #")
    expect(page.locator("tr[data-node]")).to_have_count(2)
    task = Task.get(Task.title == "付款 PO123")
    assert [n.handler_id for n in TaskNode.select().where(TaskNode.task == task.id)
            .order_by(TaskNode.seq)] == [world.h1.id, world.h2.id]
    shoot(page, "task-created")


def test_workflow_actions_from_the_board(page, live, world):
    page.set_viewport_size(WIDE)
    flow = task_at(world, nodes=[world.h1, world.h2, world.h3], title="三步流程")
    board = live.url(f"/app/projects/{world.project.id}/board")

    sign_in(page, live, "h1")
    page.goto(board)
    page.evaluate("window.noReload = true")
    open_drawer(page, flow)
    act(page, "完成")
    expect(row(page, flow).locator(".handler")).to_have_text("王二")
    act(page, "催办")
    expect(page.locator("#drawer").get_by_role("status")).to_have_text("已催办")
    act(page, "撤回")
    expect(row(page, flow).locator(".handler")).to_have_text("张一")
    act(page, "完成")
    expect(row(page, flow).locator(".handler")).to_have_text("王二")
    assert page.evaluate("window.noReload") is True  # rows refreshed in place
    shoot(page, "board-drawer-after-complete")

    # The wrong person: h2 completes meanwhile, so h1's 撤回 in the open drawer is refused.
    drive(Task.get_by_id(flow.id), ["complete"], now=utcnow())
    act(page, "撤回")
    expect(row(page, flow).locator(".handler")).to_have_text("李三")  # the row caught up too
    expect(page.locator("#drawer").get_by_role("alert")).to_contain_text("只有刚完成上一节点的处理人可以撤回")
    expect(page.locator("#drawer").get_by_role("button", name="撤回", exact=True)).to_have_count(0)
    shoot(page, "board-refused")

    switch_to(page, live, "h3")
    page.goto(board)
    open_drawer(page, flow)
    act(page, "回退")  # without a reason
    expect(page.locator("#drawer [data-field=rollback]")).to_have_text("回退必须填写原因")
    page.get_by_label("回退原因").fill("数量不对")
    act(page, "回退")
    expect(row(page, flow).locator(".handler")).to_have_text("王二")
    expect(page.get_by_test_id("log")).to_contain_text("回退：数量不对")

    switch_to(page, live, "h2")
    page.goto(board)
    open_drawer(page, flow)
    page.get_by_label("转办给").select_option(label="爱丽丝（alice）")
    act(page, "转办")
    expect(row(page, flow).locator(".handler")).to_have_text("爱丽丝")
    expect(page.get_by_test_id("log")).to_contain_text("转办给爱丽丝")
    shoot(page, "board-transferred")
    act(page, "复制")
    expect(page.locator("tr[data-task]")).to_have_count(2)  # the copy's row is added in place
    expect(page.locator("#drawer").get_by_role("status")).to_contain_text("已复制，新任务 #2")


def test_erp_board_and_workbench(page, live, world):
    scenarios.create_scenario(world.admin, scenario_body(world, "inventory.low"), T)
    made = erp.ingest_events(world.company.id, [event("inventory.low")], T)[0]
    erp.ingest_events(world.company.id, [event("inventory.low")], T)
    task = Task.get_by_id(made["task_id"])
    sign_in(page, live, "admin")
    follow(page, page.get_by_role("navigation", name="主菜单").get_by_role("link", name="ERP通知"))
    expect(row(page, task).locator(".occurrences")).to_have_text("2")
    expect(row(page, task)).to_contain_text("FBA库存低于10")
    open_drawer(page, task)
    expect(page.locator("#drawer")).to_contain_text("ERP单据")
    shoot(page, "erp-board")
    switch_to(page, live, "h1")
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
    expect(page.locator("tr[data-task]")).to_contain_text(task.title)
    shoot(page, "workbench")
