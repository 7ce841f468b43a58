"""Which tasks a user may see (SPEC §2): one query, `visible_tasks`, and the lookup every
task operation starts from, `get_task`, so a task the actor may not see is
indistinguishable from one that does not exist."""
from peewee import ModelSelect

from store.errors import NotFound
from store.models import Company, Project, Task, TaskEditor, TaskReceipt, TaskWatcher, User

NO_TASK = "任务不存在"


def visible_tasks(actor: User) -> ModelSelect:
    """Tasks the actor may see: created, received (was a handler), watched or edits;
    company admins all, department admins all of their department's projects."""
    query = Task.scoped(actor.company_id).where(Task.deleted_at.is_null())
    if not actor.active:
        return query.where(Task.id.is_null())
    if actor.is_company_admin:
        return query
    mine = ((Task.creator == actor.id)
            | Task.id.in_(TaskReceipt.select(TaskReceipt.task).where(TaskReceipt.user == actor.id))
            | Task.id.in_(TaskWatcher.select(TaskWatcher.task).where(TaskWatcher.user == actor.id))
            | Task.id.in_(TaskEditor.select(TaskEditor.task).where(TaskEditor.user == actor.id)))
    if actor.is_dept_admin and actor.department_id is not None:
        mine |= Task.project.in_(Project.scoped(actor.company_id, Project.id)
                                 .where(Project.department == actor.department_id))
    return query.where(mine)


def get_task(actor: User, task_id: int | None = None, *, number: int | None = None) -> Task:
    """A task the actor may see, by id or by its company task number; NotFound otherwise."""
    if actor is None:
        raise NotFound(NO_TASK)
    query = visible_tasks(actor)
    try:
        if task_id is not None:
            query = query.where(Task.id == int(task_id))
        elif number is not None:
            query = query.where(Task.number == int(number))
        else:
            raise NotFound(NO_TASK)
    except (TypeError, ValueError):
        raise NotFound(NO_TASK)
    # Its company (the time zone of every notice) and project (the detail's header) come
    # along in the same query: primary-key joins, cheaper than a lookup each later.
    task = (query.select_extend(Company, Project).join_from(Task, Company)
            .join_from(Task, Project).first())
    if task is None:
        raise NotFound(NO_TASK)
    return task
