"""部门, 项目管理, 工作流模板 and 公司资料 in the console: each change through the store, each
refusal next to its control with what was typed kept, each role limited as in the API."""
from datetime import timedelta

import pytest

from store import projects as project_store, tasks, workflow
from store.models import Company, Department, Project, Task, TaskNode, Template
from store.reminders import digest_time, quiet_hours
from tests.factories import NOW, make_task
from tests.web_support import admin, as_user, text, world  # noqa: F401


# --- departments -------------------------------------------------------------------------

def test_departments_create_rename_and_refuse_duplicates(admin, world):
    assert admin.post("/app/settings/departments", {"name": "采购部"}).status_code == 303
    dup = admin.post("/app/settings/departments", {"name": "采购部"})
    assert dup.status_code == 422 and "部门 采购部 已存在" in text(dup) and 'value="采购部"' in text(dup)
    buying = Department.get(Department.name == "采购部")
    assert admin.post(f"/app/settings/departments/{buying.id}", {"name": "采购一部"}).status_code == 303
    clash = admin.post(f"/app/settings/departments/{buying.id}", {"name": "运营部"})
    assert clash.status_code == 422 and "部门 运营部 已存在" in text(clash)
    assert Department.get_by_id(buying.id).name == "采购一部"


# --- projects ----------------------------------------------------------------------------

def test_company_admin_creates_a_project_with_members_and_types(admin, world):
    response = admin.post("/app/settings/projects", {"name": "物流项目", "department_id": world.dept.id,
                                                     "member_ids": [world.h1.id, world.h2.id],
                                                     "business_types": "发货，清关"})
    assert response.status_code == 303
    project = Project.get(Project.name == "物流项目")
    names = {u.account for u in project_store.project_members(world.admin, project.id)}
    assert names == {"admin", "h1", "h2"}
    assert project_store.business_types(project.id) == ["发货", "清关"]


def test_duplicate_project_name_is_refused_with_the_form_kept(admin, world):
    response = admin.post("/app/settings/projects", {"name": "运营项目", "business_types": "甲"})
    assert response.status_code == 422 and "已存在" in text(response)
    assert 'value="运营项目"' in text(response) and 'value="甲"' in text(response)


def test_dept_admin_sees_and_manages_only_their_departments_projects(app, world):
    other = project_store.create_project(world.admin, "总部项目")
    dadmin = as_user(app, world.dadmin)
    listing = text(dadmin.get("/app/settings/projects"))
    assert "运营项目" in listing and "总部项目" not in listing
    assert dadmin.get(f"/app/settings/projects/{other.id}").status_code == 404
    refused = dadmin.post(f"/app/settings/projects/{other.id}/rename", {"name": "改"})
    assert refused.status_code == 404 and Project.get_by_id(other.id).name == "总部项目"
    assert dadmin.post(f"/app/settings/projects/{world.project.id}/rename",
                       {"name": "运营二组"}).status_code == 303
    assert Project.get_by_id(world.project.id).name == "运营二组"


def test_project_members_types_archive_and_restore(admin, world):
    base = f"/app/settings/projects/{world.project.id}"
    admin.post(f"{base}/remove_member", {"user_id": world.h3.id})
    assert world.h3.id not in {u.id for u in project_store.project_members(world.admin, world.project.id)}
    admin.post(f"{base}/add_members", {"user_ids": [world.h3.id]})
    assert world.h3.id in {u.id for u in project_store.project_members(world.admin, world.project.id)}
    admin.post(f"{base}/add_type", {"business_type": "售后"})
    dup = admin.post(f"{base}/add_type", {"business_type": "售后"})
    assert dup.status_code == 422 and 'data-field="add_type">业务类型 售后 已存在' in text(dup)
    admin.post(f"{base}/remove_type", {"business_type": "售后"})
    assert project_store.business_types(world.project.id) == []
    admin.post(f"{base}/archive")
    assert Project.get_by_id(world.project.id).archived
    assert "运营项目" in text(admin.get("/app/settings/projects?archived=1"))
    admin.post(f"{base}/restore")
    assert not Project.get_by_id(world.project.id).archived


def test_erp_project_cannot_be_archived_and_says_so(admin, world):
    erp = project_store.erp_project(world.company.id)
    response = admin.post(f"/app/settings/projects/{erp.id}/archive")
    assert response.status_code == 409 and "ERP通知项目不能归档" in text(response)
    assert not Project.get_by_id(erp.id).archived


def test_archive_finished_tasks(admin, world):
    done = make_task(world, assignee=world.h1)
    workflow.complete(world.h1, done.id, NOW)
    still_open = make_task(world, assignee=world.h2)
    response = admin.post(f"/app/settings/projects/{world.project.id}/archive_finished")
    assert response.status_code == 303 and "1" in response.headers["Location"]
    assert Task.get_by_id(done.id).archived_at is not None
    assert Task.get_by_id(still_open.id).archived_at is None


def test_member_cannot_reach_project_management(app, world):
    assert as_user(app, world.alice).post(f"/app/settings/projects/{world.project.id}/archive").status_code == 403
    assert not Project.get_by_id(world.project.id).archived


# --- workflow templates ------------------------------------------------------------------

def nodes_form(name, *nodes, action="save"):
    return {"name": name, "action": action, "node_handler_id": [str(n[0]) for n in nodes],
            "node_items": [n[1] for n in nodes], "node_days": [str(n[2]) for n in nodes]}


def test_template_editor_adds_moves_and_removes_nodes_on_the_server(admin, world):
    form = nodes_form("采购审批", (world.h1.id, "核对", ""), (world.h2.id, "审批", "2"))
    added = text(admin.post("/app/settings/workflows/new", {**form, "action": "add:nodes"}, htmx=True))
    assert added.count('name="node_items"') == 3 and "<html" not in added
    moved = text(admin.post("/app/settings/workflows/new", {**form, "action": "down:nodes:0"}, htmx=True))
    assert moved.index('value="审批"') < moved.index('value="核对"')
    removed = text(admin.post("/app/settings/workflows/new", {**form, "action": "remove:nodes:0"}, htmx=True))
    assert 'value="核对"' not in removed and 'value="审批"' in removed


def test_saving_a_template_and_editing_it_leaves_running_tasks_alone(admin, world):
    saved = admin.post("/app/settings/workflows/new",
                       nodes_form("采购审批", (world.h1.id, "核对", ""), (world.h2.id, "审批", "2")), htmx=True)
    assert saved.status_code == 204 and saved.headers["HX-Redirect"].startswith("/app/settings/workflows")
    template = Template.get(Template.name == "采购审批")
    assert [(n["handler_id"], n["days"]) for n in template.nodes] == [(world.h1.id, None), (world.h2.id, 2)]
    task = tasks.create_task(world.alice, world.project.id, "按模板", due_at=NOW + timedelta(days=3),
                             now=NOW, template_id=template.id)
    page = text(admin.get(f"/app/settings/workflows/{template.id}"))
    assert "进行中的任务不会改变" in page
    admin.post(f"/app/settings/workflows/{template.id}",
               nodes_form("采购审批", (world.h3.id, "只剩一步", "")))
    assert [n["handler_id"] for n in Template.get_by_id(template.id).nodes] == [world.h3.id]
    assert [n.handler_id for n in TaskNode.select().where(TaskNode.task == task.id)
            .order_by(TaskNode.seq)] == [world.h1.id, world.h2.id]


def test_template_refusals_show_next_to_the_editor(admin, world):
    missing = admin.post("/app/settings/workflows/new", nodes_form("坏模板", ("", "没人", "")), htmx=True)
    assert missing.status_code == 422 and "第1个节点缺少处理人" in text(missing)
    assert 'value="坏模板"' in text(missing)
    builtin = Template.get(Template.builtin == "simple")
    page = text(admin.get(f"/app/settings/workflows/{builtin.id}"))
    assert "不能修改" in page and 'name="node_items"' not in page
    refused = admin.post(f"/app/settings/workflows/{builtin.id}", nodes_form("改", (world.h1.id, "x", "")))
    assert refused.status_code == 409 and Template.get_by_id(builtin.id).nodes == []


def test_dept_admin_cannot_edit_templates(app, world):
    response = as_user(app, world.dadmin).post("/app/settings/workflows/new",
                                               nodes_form("x", (world.h1.id, "a", "")))
    assert response.status_code == 403 and not Template.select().where(Template.name == "x").exists()


# --- company profile ---------------------------------------------------------------------

PROFILE = {"name": "阿克米", "timezone": "Asia/Shanghai", "reminder_hours": "48, 4",
           "quiet_on": "1", "quiet_start": "21:30", "quiet_end": "07:30", "digest_at": "08:45"}


def test_company_profile_saves_the_reminder_settings_the_scans_read(admin, world):
    response = admin.post("/app/settings/company", PROFILE)
    assert response.status_code == 200 and "已保存" in text(response)
    company = Company.get_by_id(world.company.id)
    assert company.name == "阿克米" and company.settings["reminder_hours"] == [48, 4]
    assert [t.strftime("%H:%M") for t in quiet_hours(company)] == ["21:30", "07:30"]
    assert digest_time(company).strftime("%H:%M") == "08:45"
    admin.post("/app/settings/company", {**PROFILE, "quiet_on": ""})
    assert quiet_hours(Company.get_by_id(world.company.id)) is None


@pytest.mark.parametrize("field, value, message", [
    ("timezone", "Mars/Base", "未知时区"), ("reminder_hours", "soon", "整数小时"),
    ("digest_at", "9点", "HH:MM"), ("name", " ", "公司名称不能为空")])
def test_company_profile_refusals_keep_the_form(admin, world, field, value, message):
    response = admin.post("/app/settings/company", {**PROFILE, field: value})
    assert response.status_code == 422 and message in text(response)
    assert f'value="{value}"' in text(response) or field == "name"
    assert Company.get_by_id(world.company.id).name == "acme公司"


def test_webhook_secret_is_revealed_only_on_demand(admin, world):
    secret = Company.get_by_id(world.company.id).webhook_secret
    assert secret not in text(admin.get("/app/settings/company"))
    shown = admin.post("/app/settings/company/secret", htmx=True)
    assert secret in text(shown) and "<html" not in text(shown)


def test_dept_admin_cannot_see_the_webhook_secret(app, world):
    response = as_user(app, world.dadmin).post("/app/settings/company/secret")
    assert response.status_code == 403
    assert Company.get_by_id(world.company.id).webhook_secret not in text(response)
