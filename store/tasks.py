"""Tasks (SPEC §2, §4): creation, lists and to-dos, copy/move/edit/delete, comments, the
log and the task's details. Workflow actions are in store.workflow.

Every lookup goes through store.visibility (`visible_tasks`, `get_task`), so a task the
actor may not see is indistinguishable from one that does not exist. A simple task goes
to a member of its project, whoever creates it (chat, API, a copy).
"""
from datetime import datetime

from store import leaves, projects as project_store, workflow
from store.db import atomic_write, utcnow
from store.erp_kinds import CLEARED_AT
from store.errors import Forbidden, Invalid, NotFound, Refused
from store.models import (PRIORITIES, Comment, Company, Project, Scenario, Task, TaskEditor,
                          TaskLog, TaskNode, TaskWatcher, Template, User)
from store.notices import tell
from store.taskstate import add_log, add_receipt, bump, load_flow, start_node
from store.taskviews import Todo, list_todo, names_of  # noqa: F401 (public here too)
from store.visibility import NO_TASK, get_task, visible_tasks  # noqa: F401 (public here too)

VIEWS = ("all", "todo", "done", "created", "watched")
EDITABLE = ("title", "description", "priority", "due_at", "business_type", "watcher_ids",
            "editor_ids")


def _may_edit(actor: User, task: Task) -> bool:
    return task.creator_id == actor.id or TaskEditor.select().where(
        TaskEditor.task == task.id, TaskEditor.user == actor.id).exists()


def _may_manage(actor: User, task: Task) -> bool:
    return project_store.can_manage(actor, Project.get_by_id(task.project_id))


def _may_use_project(actor: User, project: Project) -> bool:
    return project_store.can_manage(actor, project) or project_store.is_member(actor.id, project.id)


# --- creation ---------------------------------------------------------------------------

def _check_due(due_at: datetime | None, now: datetime) -> datetime:
    if due_at is None:
        raise Invalid("请填写截止时间")
    if due_at.tzinfo is None:
        raise Invalid("截止时间必须带时区")
    if due_at <= now:
        raise Invalid("截止时间已过")
    return due_at


def _check_business_type(project_id: int, business_type: str | None) -> str | None:
    business_type = (business_type or "").strip() or None
    allowed = project_store.business_types(project_id)
    if business_type and allowed and business_type not in allowed:
        raise Invalid(f"业务类型必须是：{'、'.join(allowed)}")
    return business_type


def _node_plan(company_id, actor, template_id, nodes, assignee_id) -> tuple[list[dict], bool]:
    """The nodes the new task copies, and whether it is a simple task."""
    if template_id is not None:
        template = Template.scoped(company_id).where(Template.id == template_id).first()
        if template is None:
            raise Invalid("模板不存在")
        if template.builtin == "empty" and not nodes:
            raise Invalid("工作流空模板需要填写节点")
        if template.builtin not in ("simple", "empty"):
            if nodes:
                raise Invalid("不能同时指定模板和节点")
            nodes = template.nodes
    if nodes:
        if assignee_id is not None:
            raise Invalid("工作流任务的处理人由节点决定")
        return project_store.validate_nodes(company_id, nodes), False
    handler_id = assignee_id if assignee_id is not None else (actor.id if actor else None)
    if handler_id is None:
        raise Invalid("请指定处理人")
    return project_store.validate_nodes(company_id, [{"handler_id": handler_id}]), True


def _check_assignee(project: Project, actor: User | None, handler_id: int) -> None:
    """A simple task goes to a member of its project (or to its creator, who may already
    use the project). Workflow nodes are exempt: templates are made for work that crosses
    departments, and receiving a node is what lets a handler see the task."""
    if actor is not None and handler_id == actor.id:
        return
    if not project_store.is_member(handler_id, project.id):
        raise project_store.not_member(User.get_by_id(handler_id).name, project)


def create_task(actor: User | None, project_id: int, title: str, *, due_at: datetime,
                now: datetime, company_id: int | None = None, description: str = "",
                priority: str = "normal", template_id: int | None = None, nodes=None,
                assignee_id: int | None = None, watcher_ids=(), editor_ids=(),
                business_type: str | None = None, source: str = "manual",
                scenario_id: int | None = None, erp_kind: str | None = None,
                erp_doc_key: str | None = None, erp_data: dict | None = None) -> Task:
    """Create a task; its first node becomes current and its handler is notified.

    `actor` is the creating user, who must be a member (or manager) of the project. The
    system (ERP scenarios) passes `actor=None` and names the company with `company_id`."""
    if actor is not None:
        if company_id not in (None, actor.company_id):
            raise Invalid("公司不匹配")
        company_id = actor.company_id
    elif company_id is None:
        raise Invalid("系统创建任务必须指定公司")
    project = Project.scoped(company_id).where(Project.id == project_id).first()
    if project is None:
        raise NotFound("项目不存在")
    if actor is not None and not _may_use_project(actor, project):
        raise Forbidden("只有项目成员可以在此项目中新建任务")
    if project.archived:
        raise Refused("项目已归档，不能新建任务")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise Invalid("任务标题不能为空，且不超过200字")
    if priority not in PRIORITIES:
        raise Invalid(f"优先级必须是 {'/'.join(PRIORITIES)} 之一")
    if source not in ("manual", "erp"):
        raise Invalid("来源必须是 manual 或 erp")
    _check_due(due_at, now)
    business_type = _check_business_type(project.id, business_type)
    plan, simple = _node_plan(company_id, actor, template_id, nodes, assignee_id)
    if simple:
        _check_assignee(project, actor, plan[0]["handler_id"])
    watchers = project_store.active_user_ids(company_id, watcher_ids)
    editors = project_store.active_user_ids(company_id, editor_ids)
    if scenario_id is not None and not Scenario.scoped(company_id).where(
            Scenario.id == scenario_id).exists():
        raise Invalid("场景不存在")
    with atomic_write():
        return _insert_task(company_id, project, actor, plan, simple, watchers, editors, now,
                            title=title, description=description or "", priority=priority,
                            business_type=business_type, due_at=due_at, original_due_at=due_at,
                            source=source, scenario=scenario_id, erp_kind=erp_kind,
                            erp_doc_key=erp_doc_key, erp_data=erp_data)


def _insert_task(company_id, project, actor, plan, simple, watchers, editors, now, **fields):
    # The UPDATE locks the company row, so concurrent creations get consecutive numbers.
    [number] = (Company.update(task_seq=Company.task_seq + 1).where(Company.id == company_id)
                .returning(Company.task_seq).tuples().execute())
    task = Task.create(company=company_id, project=project.id, number=number[0], simple=simple,
                       creator=actor.id if actor else None, current_seq=1, created_at=now,
                       **fields)
    nodes = list(TaskNode.insert_many([
        {"company": company_id, "task": task.id, "seq": seq, "handler": node["handler_id"],
         "items": node["items"], "days": node["days"],
         "state": "active" if seq == 1 else "pending", "activated_at": now if seq == 1 else None}
        for seq, node in enumerate(plan, 1)]).returning(TaskNode).execute())
    first = next(n for n in nodes if n.seq == 1)  # RETURNING promises no order
    for model, user_ids in ((TaskWatcher, watchers), (TaskEditor, editors)):
        if user_ids:
            model.insert_many([{"company": company_id, "task": task.id, "user": user_id}
                               for user_id in user_ids]).as_rowcount().execute()
    add_log(task, actor, "create", now, project=project.name, nodes=len(plan),
            handler=first.handler_id, source=fields["source"])
    leaves.route_node(task, first, now)  # its handler on leave: to the stand-in
    add_receipt(task, first, first.handler_id, now)
    if actor is None or first.handler_id != actor.id:
        sender = actor.name if actor else "ERP"
        tell(task, first.handler_id, "task_received", state="待处理", sender=sender,
             title=f"新任务：{task.title}", body=f"{sender}发给你的任务，请处理：{first.items or task.title}",
             note=first.items or "", now=now)
    return task


# --- lists ------------------------------------------------------------------------------

def list_tasks(actor: User, view: str | None = None, *, project_id: int | None = None,
               business_type: str | None = None, priority: str | None = None,
               status: str | None = None, due_from: datetime | None = None,
               due_to: datetime | None = None, text: str | None = None, limit: int = 50,
               offset: int = 0, include_archived: bool = False) -> list[Task]:
    """The actor's visible tasks in one view (all/todo/done/created/watched), filtered."""
    view = view or "all"
    if view not in VIEWS:
        raise Invalid(f"视图必须是 {'/'.join(VIEWS)} 之一")
    query = visible_tasks(actor)
    order = [Task.id.desc()]
    if view == "todo":
        query = (query.join(TaskNode, on=((TaskNode.task == Task.id)
                                          & (TaskNode.seq == Task.current_seq)))
                 .where(TaskNode.handler == actor.id, Task.status == "in_progress"))
        order = [Task.due_at, Task.id]
    elif view == "done":
        query = query.where(Task.id.in_(TaskNode.select(TaskNode.task).where(
            TaskNode.done_by == actor.id, TaskNode.state == "done")))
    elif view == "created":
        query = query.where(Task.creator == actor.id)
    elif view == "watched":
        query = query.where(Task.id.in_(TaskWatcher.select(TaskWatcher.task)
                                        .where(TaskWatcher.user == actor.id)))
    if not include_archived:
        query = query.where(Task.archived_at.is_null())
    for field, value in ((Task.project, project_id), (Task.business_type, business_type),
                         (Task.priority, priority), (Task.status, status)):
        if value is not None:
            query = query.where(field == value)
    if due_from is not None:
        query = query.where(Task.due_at >= due_from)
    if due_to is not None:
        query = query.where(Task.due_at <= due_to)
    text = (text or "").strip()
    if text:
        digits = text.lstrip("#＃")
        match = Task.title.contains(text) | Task.description.contains(text)
        query = query.where(match | (Task.number == int(digits)) if digits.isdigit() else match)
    return list(query.order_by(*order).limit(max(1, min(limit, 500))).offset(max(offset, 0)))


def list_done(actor: User, limit: int = 50) -> list[Task]:
    """Tasks where the actor completed a node."""
    return list_tasks(actor, "done", limit=limit, include_archived=True)


def list_created(actor: User, limit: int = 50) -> list[Task]:
    return list_tasks(actor, "created", limit=limit, include_archived=True)


def list_watched(actor: User, limit: int = 50) -> list[Task]:
    return list_tasks(actor, "watched", limit=limit)


# --- copy, move, edit, delete, archive --------------------------------------------------

def copy_task(actor: User, task_id: int, *, now: datetime, project_id: int | None = None,
              title: str | None = None, due_at: datetime | None = None) -> Task:
    """A new task like this one (same nodes as planned, watchers, editors), created by actor."""
    source = get_task(actor, task_id)
    flow = load_flow(source)
    # As planned: before any transfer, and the owner, not the stand-in, of a delegated node.
    plan = [{"handler_id": n.original_handler_id or n.delegated_from_id or n.handler_id,
             "items": n.items,
             "days": n.days} for n in flow.nodes]
    watchers = [w.user_id for w in TaskWatcher.select().where(TaskWatcher.task == source.id)]
    editors = [e.user_id for e in TaskEditor.select().where(TaskEditor.task == source.id)]
    target = project_id or source.project_id
    business_type = source.business_type
    if business_type and business_type not in project_store.business_types(target):
        business_type = None
    copy = create_task(actor, target, title or source.title, due_at=due_at or source.due_at,
                       now=now, description=source.description, priority=source.priority,
                       nodes=None if source.simple else plan,
                       assignee_id=plan[0]["handler_id"] if source.simple else None,
                       watcher_ids=watchers, editor_ids=editors, business_type=business_type)
    add_log(copy, actor, "copy", now, from_task=source.id, from_number=source.number)
    return copy


def move_task(actor: User, task_id: int, project_id: int, now: datetime | None = None) -> Task:
    """Move a task to another project the actor belongs to (creator, editors, admins)."""
    with atomic_write():
        task = get_task(actor, task_id)
        if not (_may_edit(actor, task) or _may_manage(actor, task)):
            raise Forbidden("只有创建人、可修改者或管理员可以移动任务")
        target = Project.scoped(actor.company_id).where(Project.id == project_id).first()
        if target is None or not _may_use_project(actor, target):
            raise Forbidden("只能把任务移动到你所在的项目")
        if target.archived:
            raise Refused("项目已归档，不能移入任务")
        if target.id == task.project_id:
            return task
        source = Project.get_by_id(task.project_id)
        business_type = task.business_type
        if business_type and business_type not in project_store.business_types(target.id):
            business_type = None
        bump(task, project=target.id, business_type=business_type)
        add_log(task, actor, "move", now or utcnow(),
                **{"from": {"id": source.id, "name": source.name}},
                to={"id": target.id, "name": target.name})
    return task


def edit_task(actor: User, task_id: int, *, now: datetime, **changes) -> Task:
    """Change a task's fields (creator and editors only); every change is logged old → new."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"不能修改的字段：{', '.join(sorted(unknown))}")
    with atomic_write():
        task = get_task(actor, task_id)
        if not _may_edit(actor, task):
            raise Forbidden("只有创建人和可修改者可以修改任务")
        fields, diff = {}, {}
        for name, value in changes.items():
            if name in ("watcher_ids", "editor_ids"):
                model = TaskWatcher if name == "watcher_ids" else TaskEditor
                old = sorted(r.user_id for r in model.select().where(model.task == task.id))
                new = sorted(project_store.active_user_ids(task.company_id, value))
                if old != new:
                    model.delete().where(model.task == task.id).execute()
                    for user_id in new:
                        model.create(company=task.company_id, task=task.id, user=user_id)
                    diff[name] = [old, new]
                continue
            if name == "title":
                value = (value or "").strip()
                if not value or len(value) > 200:
                    raise Invalid("任务标题不能为空，且不超过200字")
            elif name == "priority" and value not in PRIORITIES:
                raise Invalid(f"优先级必须是 {'/'.join(PRIORITIES)} 之一")
            elif name == "due_at":
                _check_due(value, now)
            elif name == "business_type":
                value = _check_business_type(task.project_id, value)
            elif name == "description":
                value = value or ""
            if getattr(task, name) != value:
                fields[name] = value
                diff[name] = [getattr(task, name), value]
        if not diff:
            return task
        bump(task, **fields)
        add_log(task, actor, "edit", now, changes=diff)
    return task


def delete_task(actor: User, task_id: int, now: datetime) -> Task:
    """Soft-delete (creator and admins); the row and its log stay for the record."""
    with atomic_write():
        task = get_task(actor, task_id)
        if not (task.creator_id == actor.id or _may_manage(actor, task)):
            raise Forbidden("只有创建人和管理员可以删除任务")
        bump(task, deleted_at=now)
        add_log(task, actor, "delete", now)
    return task


def archive_task(actor: User, task_id: int, now: datetime) -> Task:
    """Archive a finished task (project managers); it leaves the default lists."""
    with atomic_write():
        task = get_task(actor, task_id)
        if not _may_manage(actor, task):
            raise Forbidden("只有管理员可以归档任务")
        if task.status != "done":
            raise Refused("只能归档已完成的任务")
        if task.archived_at is None:
            bump(task, archived_at=now)
            add_log(task, actor, "archive", now)
    return task


# --- comments, log, details -------------------------------------------------------------

def add_comment(actor: User, task_id: int, body: str, now: datetime) -> Comment:
    """Comment on a visible task; tells the creator and the current handler. For the
    current handler a comment also starts their node."""
    body = (body or "").strip()
    if not body or len(body) > 2000:
        raise Invalid("评论内容不能为空，且不超过2000字")
    with atomic_write():
        task = get_task(actor, task_id)
        comment = Comment.create(company=task.company_id, task=task.id, author=actor.id,
                                 body=body, created_at=now)
        add_log(task, actor, "comment", now, comment_id=comment.id, body=body[:100])
        current = load_flow(task).current
        if current is not None and current.handler_id == actor.id and current.state == "active":
            start_node(task, current, actor, now, via="comment")
        handler_id = current.handler_id if current else None
        for user_id in {task.creator_id, handler_id} - {None, actor.id}:
            tell(task, user_id, "comment", state="新评论", sender=actor.name,
                 title=f"{actor.name}评论了：{task.title}", body=body, note=body, now=now,
                 key=f"task:{task.id}:comment:{comment.id}:{user_id}")
    return comment


def _log_rows(task: Task, tz, limit: int | None = None) -> list[dict]:
    query = TaskLog.select().where(TaskLog.task == task.id).order_by(TaskLog.id.desc())
    rows = list(query.limit(limit) if limit else query)[::-1]
    names = names_of(r.actor_id for r in rows)
    return [{"at": r.created_at.astimezone(tz).isoformat(), "actor_id": r.actor_id,
             "actor_name": names.get(r.actor_id, "系统"), "action": r.action, "detail": r.detail}
            for r in rows]


def task_log(actor: User, task_id: int) -> list[dict]:
    """The task's activity log, oldest first."""
    task = get_task(actor, task_id)
    return _log_rows(task, Company.zone_of(task.company_id))


def task_detail(actor: User, task_id: int, now: datetime | None = None) -> dict:
    """Everything the task page and the API show, JSON-ready, with the actor's allowed actions."""
    task = get_task(actor, task_id)
    tz = task.company.zone
    iso = (lambda value: value.astimezone(tz).isoformat() if value else None)
    nodes = load_flow(task).nodes
    watchers = [w.user_id for w in TaskWatcher.select().where(TaskWatcher.task == task.id)]
    editors = [e.user_id for e in TaskEditor.select().where(TaskEditor.task == task.id)]
    comments = list(Comment.select().where(Comment.task == task.id).order_by(Comment.id))
    names = names_of([task.creator_id, *watchers, *editors, *(c.author_id for c in comments),
                    *(n.handler_id for n in nodes), *(n.original_handler_id for n in nodes),
                    *(n.delegated_from_id for n in nodes)])
    project = Project.get_by_id(task.project_id)
    actions = workflow.allowed_actions(actor, task, now) + ["comment"]
    if _may_edit(actor, task):
        actions.append("edit")
    if task.creator_id == actor.id or _may_manage(actor, task):
        actions.append("delete")
    return {
        "id": task.id, "number": task.number, "title": task.title,
        "project": {"id": project.id, "name": project.name}, "description": task.description,
        "business_type": task.business_type, "priority": task.priority, "status": task.status,
        "due_at": iso(task.due_at), "original_due_at": iso(task.original_due_at),
        "created_at": iso(task.created_at),
        "finished_at": iso(task.finished_at), "archived": task.archived_at is not None,
        "creator": ({"id": task.creator_id, "name": names.get(task.creator_id)}
                    if task.creator_id else None),
        "current_seq": task.current_seq, "simple": task.simple, "version": task.version,
        "nodes": [{"seq": n.seq, "handler_id": n.handler_id,
                   "handler_name": names.get(n.handler_id),
                   "original_handler_id": n.original_handler_id,
                   "original_handler_name": names.get(n.original_handler_id),
                   "delegated_from_id": n.delegated_from_id,
                   "delegated_from_name": names.get(n.delegated_from_id),
                   "handler_label": leaves.label(names.get(n.handler_id),
                                                 names.get(n.delegated_from_id)),
                   "items": n.items, "days": n.days, "state": n.state,
                   "activated_at": iso(n.activated_at), "started_at": iso(n.started_at),
                   "done_at": iso(n.done_at), "late_reason": n.late_reason} for n in nodes],
        "watchers": [{"id": u, "name": names.get(u)} for u in watchers],
        "editors": [{"id": u, "name": names.get(u)} for u in editors],
        "source": task.source, "erp_kind": task.erp_kind, "erp_doc_key": task.erp_doc_key,
        "erp_data": task.erp_data, "occurrences": task.occurrences,
        "erp_cleared": bool((task.erp_data or {}).get(CLEARED_AT)),  # the ERP reported it over
        "comments": [{"id": c.id, "author_id": c.author_id, "author_name": names.get(c.author_id),
                      "body": c.body, "created_at": iso(c.created_at)} for c in comments],
        "log": _log_rows(task, tz, limit=50),
        "allowed_actions": actions,
    }

