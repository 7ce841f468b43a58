"""Which tasks a user may see (SPEC §2): one query, `visible_tasks`, and the lookup every
task operation starts from, `get_task`, so a task the actor may not see is
indistinguishable from one that does not exist."""
from peewee import ModelSelect

from store.errors import NotFound
from store.models import Company, Project, Task, TaskEditor, TaskReceipt, TaskWatcher, User
from store.prebuilt import Prebuilt

NO_TASK = "任务不存在"


def _shape(actor: User) -> str:
    if not actor.active:
        return "inactive"
    if actor.is_company_admin:
        return "admin"
    if actor.is_dept_admin and actor.department_id is not None:
        return "department"
    return "member"


def _visible(shape: str, company, actor=None, department=None) -> ModelSelect:
    query = Task.scoped(company).where(Task.deleted_at.is_null())
    if shape == "inactive":
        return query.where(Task.id.is_null())
    if shape == "admin":
        return query
    mine = ((Task.creator == actor)
            | Task.id.in_(TaskReceipt.select(TaskReceipt.task).where(TaskReceipt.user == actor))
            | Task.id.in_(TaskWatcher.select(TaskWatcher.task).where(TaskWatcher.user == actor))
            | Task.id.in_(TaskEditor.select(TaskEditor.task).where(TaskEditor.user == actor)))
    if shape == "department":
        mine |= Task.project.in_(Project.scoped(company, Project.id)
                                 .where(Project.department == department))
    return query.where(mine)


def visible_tasks(actor: User) -> ModelSelect:
    """Tasks the actor may see: created, received (was a handler), watched or edits;
    company admins all, department admins all of their department's projects."""
    return _visible(_shape(actor), actor.company_id, actor.id, actor.department_id)


# What each shape of visibility needs besides the company and the task's id or number.
_NAMES = {"inactive": (), "admin": (), "member": ("actor",),
          "department": ("actor", "department")}


def _lookup(shape: str, by: str) -> Prebuilt:
    """One task by `by` (id | number) among those visible, with its company (the time zone
    of every notice) and project (the detail's header): primary-key joins, cheaper than a
    lookup each later. Every chat command on a task starts here, so it is built once."""
    key = Task.id if by == "id" else Task.number

    def build(company, value, **people):
        return (_visible(shape, company, **people).where(key == value)
                .select_extend(Company, Project).join_from(Task, Company)
                .join_from(Task, Project).limit(1))
    return Prebuilt(build, "company", "value", *_NAMES[shape])


_LOOKUPS = {(shape, by): _lookup(shape, by) for shape in _NAMES for by in ("id", "number")}


def get_task(actor: User, task_id: int | None = None, *, number: int | None = None) -> Task:
    """A task the actor may see, by id or by its company task number; NotFound otherwise."""
    if actor is None:
        raise NotFound(NO_TASK)
    try:
        if task_id is not None:
            by, value = "id", int(task_id)
        elif number is not None:
            by, value = "number", int(number)
        else:
            raise NotFound(NO_TASK)
    except (TypeError, ValueError):
        raise NotFound(NO_TASK)
    shape = _shape(actor)
    people = {"actor": actor.id, "department": actor.department_id}
    task = _LOOKUPS[shape, by].first(company=actor.company_id, value=value,
                                     **{name: people[name] for name in _NAMES[shape]})
    if task is None:
        raise NotFound(NO_TASK)
    return task
