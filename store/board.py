"""Queries behind the console's task boards and 我的工作台: a project's tasks as a person may see
them (always through store.visibility), filtered and sorted, and the counts of each of my
lists. Read-only; every change to a task goes through store.tasks / store.workflow."""
from dataclasses import dataclass
from datetime import datetime

from peewee import Case, fn

from store.errors import Invalid, NotFound
from store.models import Project, Scenario, Task, TaskNode, TaskWatcher, User
from store.projects import business_types as project_business_types, list_projects
from store.visibility import visible_tasks

SORTS = {
    "due": "截止时间（早→晚）",
    "-due": "截止时间（晚→早）",
    "-created": "最新创建",
    "created": "最早创建",
    "priority": "优先级（高→低）",
}
PRIORITY_RANK = Case(Task.priority, (("urgent", 0), ("high", 1), ("normal", 2), ("low", 3)), 4)


@dataclass
class BoardFilter:
    status: str | None = None
    business_type: str | None = None
    priority: str | None = None
    handler_id: int | None = None  # the current node's handler
    creator_id: int | None = None
    scenario_id: int | None = None  # ERP通知: the scenario that made the task
    due_from: datetime | None = None
    due_to: datetime | None = None
    text: str | None = None
    archived: bool = False  # finished tasks already archived, instead of the others


def board_projects(actor: User) -> list[Project]:
    """Projects with a board for the actor: open projects they belong to or manage, the
    company's "ERP通知", and any open project holding a task they may see (a node handed
    to them across departments)."""
    own = {p.id: p for p in list_projects(actor)}
    seen = (Project.scoped(actor.company_id)
            .where(Project.archived == False,  # noqa: E712
                   (Project.kind == "erp")
                   | Project.id.in_(visible_tasks(actor).select(Task.project).distinct())))
    for project in seen:
        own.setdefault(project.id, project)
    return sorted(own.values(), key=lambda p: (p.kind == "erp", p.id))


def board_project(actor: User, project_id: int) -> Project:
    for project in board_projects(actor):
        if project.id == project_id:
            return project
    raise NotFound("项目不存在")


def business_types(actor: User, project_id: int) -> list[str]:
    """The project's business types, and any other its visible tasks carry (an ERP scenario
    sets its own), for the board's filter."""
    used = (visible_tasks(actor).select(Task.business_type).distinct()
            .where(Task.project == project_id, Task.business_type.is_null(False)))
    return list(dict.fromkeys(project_business_types(project_id)
                              + sorted(t.business_type for t in used)))


def scenarios(actor: User, project_id: int) -> list[Scenario]:
    """The scenarios behind the actor's visible tasks of the project (the ERP board's filter)."""
    used = visible_tasks(actor).select(Task.scenario).where(Task.project == project_id)
    return list(Scenario.scoped(actor.company_id).where(Scenario.id.in_(used)).order_by(Scenario.id))


def _current_node():
    return TaskNode.select(TaskNode.task).where(TaskNode.task == Task.id,
                                                TaskNode.seq == Task.current_seq)


def board_query(actor: User, project_id: int, f: BoardFilter):
    """The actor's visible tasks of one project, filtered (a peewee query, unordered)."""
    query = visible_tasks(actor).where(Task.project == project_id)
    query = query.where(Task.archived_at.is_null(False) if f.archived else Task.archived_at.is_null())
    for field, value in ((Task.status, f.status), (Task.business_type, f.business_type),
                         (Task.priority, f.priority), (Task.creator, f.creator_id),
                         (Task.scenario, f.scenario_id)):
        if value is not None:
            query = query.where(field == value)
    if f.handler_id is not None:
        query = query.where(Task.status == "in_progress", fn.EXISTS(
            _current_node().where(TaskNode.handler == f.handler_id)))
    if f.due_from is not None:
        query = query.where(Task.due_at >= f.due_from)
    if f.due_to is not None:
        query = query.where(Task.due_at <= f.due_to)
    words = (f.text or "").strip()
    if words:
        found = Task.title.contains(words) | Task.description.contains(words)
        number = words.lstrip("#＃")
        if number.isdigit():
            found |= Task.number == int(number)
        query = query.where(found)
    return query


def board_tasks(actor: User, project_id: int, f: BoardFilter, sort: str = "-created",
                limit: int = 20, offset: int = 0) -> list[Task]:
    if sort not in SORTS:
        raise Invalid(f"排序必须是 {'/'.join(SORTS)} 之一")
    order = {"due": [Task.due_at.asc(nulls="LAST"), Task.id],
             "-due": [Task.due_at.desc(nulls="LAST"), Task.id.desc()],
             "-created": [Task.id.desc()], "created": [Task.id],
             "priority": [PRIORITY_RANK, Task.due_at.asc(nulls="LAST"), Task.id]}[sort]
    return list(board_query(actor, project_id, f).order_by(*order)
                .limit(max(1, min(limit, 500))).offset(max(offset, 0)))


def row_facts(tasks: list[Task]) -> dict[int, dict]:
    """Per task: the current handler's and the creator's names, and the scenario's name."""
    ids = [t.id for t in tasks]
    if not ids:
        return {}
    handlers = {n.task_id: n.handler_id for n in
                TaskNode.select(TaskNode.task, TaskNode.handler)
                .join(Task, on=(Task.id == TaskNode.task))
                .where(TaskNode.task.in_(ids), TaskNode.seq == Task.current_seq,
                       Task.status == "in_progress")}
    people = set(handlers.values()) | {t.creator_id for t in tasks if t.creator_id}
    names = ({u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(people))}
             if people else {})
    scenario_ids = {t.scenario_id for t in tasks if t.scenario_id}
    scenarios = ({s.id: s.name for s in Scenario.select(Scenario.id, Scenario.name)
                  .where(Scenario.id.in_(scenario_ids))} if scenario_ids else {})
    return {t.id: {"handler": names.get(handlers.get(t.id)),
                   "creator": names.get(t.creator_id) if t.creator_id else "ERP",
                   "scenario": scenarios.get(t.scenario_id)} for t in tasks}


# --- 我的工作台 ----------------------------------------------------------------------------

WORK_VIEWS = {"overdue": "已过期", "new": "新建任务", "done": "已办", "created": "我创建的",
              "watched": "我关注的"}


def _work_query(actor: User, view: str, now: datetime):
    """My list `view` (SPEC §4): to-do split into overdue / new, done, created, watched."""
    query = visible_tasks(actor)
    if view in ("overdue", "new"):
        query = query.where(Task.status == "in_progress", Task.archived_at.is_null(),
                            fn.EXISTS(_current_node().where(TaskNode.handler == actor.id)))
        late = Task.due_at.is_null(False) & (Task.due_at < now)
        return query.where(late if view == "overdue" else ~late)
    if view == "done":
        return query.where(Task.id.in_(TaskNode.select(TaskNode.task).where(
            TaskNode.done_by == actor.id, TaskNode.state == "done")))
    if view == "created":
        return query.where(Task.creator == actor.id)
    if view == "watched":
        return query.where(Task.archived_at.is_null(), Task.id.in_(
            TaskWatcher.select(TaskWatcher.task).where(TaskWatcher.user == actor.id)))
    raise Invalid(f"视图必须是 {'/'.join(WORK_VIEWS)} 之一")


def work_counts(actor: User, now: datetime) -> dict[str, int]:
    return {view: _work_query(actor, view, now).count() for view in WORK_VIEWS}


def work_list(actor: User, view: str, now: datetime, limit: int = 20, offset: int = 0) -> list[Task]:
    query = _work_query(actor, view, now)
    order = [Task.due_at, Task.id] if view in ("overdue", "new") else [Task.id.desc()]
    return list(query.order_by(*order).limit(limit).offset(offset))

