"""Deadline extensions (SPEC §9): the handler of a task's current node asks for a later
deadline; the task's creator approves or refuses.

Rules (every refusal says which, in plain words):

* **Who asks**: the handler of the current node of a task in progress: the person on the
  clock. Nobody else (watchers, earlier handlers, admins) asks on their behalf.
* **What**: a new deadline later than the task's current one and in the future, with a reason.
* **One at a time**: a task has at most one pending request.
* **Who decides**: the task's creator. A task without a creator (made by the ERP) is decided
  by the managers of its project (company admins, the project department's admin).
* **Self-approval**: when the one who asks is one who decides (a creator handling their own
  task) the request is approved at once: they could move the deadline by editing the task
  anyway, and the request row keeps the audit trail the edit would not.
* **Approval** sets Task.due_at to the new deadline; Task.original_due_at keeps the deadline
  the task was created with. The on-time rate (store.stats) compares with Task.due_at, so it
  uses the approved deadline. A decision may come after the requested deadline has passed
  (the creator agrees late); it is refused only when the task's deadline has meanwhile been
  moved to or beyond the requested one.

Each change claims the task by bumping its version (store.taskstate.bump), so two requests, or
a request and its decision, racing each other cannot both win.
"""
from datetime import datetime

from store.errors import Forbidden, Invalid, NotFound, Refused
from store.db import atomic_write
from store.models import Company, ExtensionRequest, Project, Task, User
from store.notices import person, short_time, tell
from store.projects import can_manage
from store.taskstate import add_log, bump, load_flow
from store.visibility import get_task

MAX_REASON = 500


def deciders(task: Task) -> list[int]:
    """Who may approve or refuse: the creator, else the project's managers (active users)."""
    if task.creator_id is not None:
        return [task.creator_id]
    project = Project.get_by_id(task.project_id)
    active = User.scoped(task.company_id).where(User.active == True)  # noqa: E712
    return [u.id for u in active.where(User.role.in_(("company_admin", "dept_admin")))
            if can_manage(u, project)]


def may_decide(actor: User, task: Task) -> bool:
    if task.creator_id is not None:
        return task.creator_id == actor.id
    return can_manage(actor, Project.get_by_id(task.project_id))


def pending_extension(task_id: int) -> ExtensionRequest | None:
    return (ExtensionRequest.select()
            .where(ExtensionRequest.task == task_id, ExtensionRequest.status == "pending")
            .order_by(ExtensionRequest.id.desc()).first())


def list_extensions(actor: User, task_id: int) -> list[ExtensionRequest]:
    """The task's extension requests, oldest first (anyone who may see the task)."""
    task = get_task(actor, task_id)
    return list(ExtensionRequest.select().where(ExtensionRequest.task == task.id)
                .order_by(ExtensionRequest.id))


def get_extension(actor: User, task_id: int, extension_id: int) -> ExtensionRequest:
    task = get_task(actor, task_id)
    ext = ExtensionRequest.get_or_none(ExtensionRequest.id == extension_id,
                                       ExtensionRequest.task == task.id)
    if ext is None:
        raise NotFound("延期申请不存在")
    return ext


def request_extension(actor: User, task_id: int, new_due_at: datetime, reason: str,
                      now: datetime) -> ExtensionRequest:
    """延期: ask for `new_due_at`; the deciders are notified, or it is approved at once when
    the actor is one of them. Returns the request (status pending or approved)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("申请延期必须填写原因")
    if new_due_at is None or new_due_at.tzinfo is None:
        raise Invalid("新的截止时间必须带时区")
    with atomic_write():
        task = get_task(actor, task_id)
        tz = Company.zone_of(task.company_id)
        current = load_flow(task).current
        if current is None:
            raise Refused("任务已完成，不能申请延期")
        if current.handler_id != actor.id:
            handler = User.get_or_none(User.id == current.handler_id)
            raise Forbidden(f"只有当前节点的处理人（{person(handler)}）可以申请延期")
        if new_due_at <= now:
            raise Invalid(f"新的截止时间 {short_time(new_due_at, tz)} 已经过去了")
        if task.due_at is not None and new_due_at <= task.due_at:
            raise Invalid(f"新的截止时间必须晚于当前截止时间 {short_time(task.due_at, tz)}")
        waiting = pending_extension(task.id)
        if waiting is not None:
            raise Refused(f"已有一个待审批的延期申请（延到 {short_time(waiting.new_due_at, tz)}），"
                          "请等待审批后再申请")
        bump(task)
        ext = ExtensionRequest.create(company=task.company_id, task=task.id, requester=actor.id,
                                      old_due_at=task.due_at, new_due_at=new_due_at,
                                      reason=reason[:MAX_REASON], created_at=now)
        add_log(task, actor, "extension_request", now, extension_id=ext.id,
                old_due=short_time(task.due_at, tz), new_due=short_time(new_due_at, tz),
                reason=reason[:MAX_REASON])
        if may_decide(actor, task):
            _approve(task, ext, actor, now, tz, auto=True)
            return ext
        for user_id in deciders(task):
            tell(task, user_id, "extension_requested", state="申请延期", sender=actor.name,
                 title=f"{actor.name}申请延期：{task.title}", now=now,
                 note=f"同意延期#{task.number}/拒绝延期#{task.number} 原因",
                 body=(f"{actor.name}申请把截止时间从{short_time(task.due_at, tz)}延到"
                       f"{short_time(new_due_at, tz)}，原因：{reason[:MAX_REASON]}。"
                       f"请回复「同意延期 #{task.number}」或「拒绝延期 #{task.number} 原因」。"))
    return ext


def approve_extension(actor: User, task_id: int, now: datetime,
                      extension_id: int | None = None) -> ExtensionRequest:
    """同意延期: the task's deadline becomes the requested one; the requester is told."""
    return _decide(actor, task_id, extension_id, now, approve=True)


def refuse_extension(actor: User, task_id: int, now: datetime, note: str = "",
                     extension_id: int | None = None) -> ExtensionRequest:
    """拒绝延期 (an optional reason): the deadline stays; the requester is told why."""
    return _decide(actor, task_id, extension_id, now, approve=False, note=note)


def _decide(actor, task_id, extension_id, now, *, approve: bool, note: str = ""):
    with atomic_write():
        task = get_task(actor, task_id)
        tz = Company.zone_of(task.company_id)
        if extension_id is None:
            ext = pending_extension(task.id)
        else:
            ext = ExtensionRequest.get_or_none(ExtensionRequest.id == extension_id,
                                               ExtensionRequest.task == task.id)
            if ext is None:
                raise NotFound("延期申请不存在")
        if not may_decide(actor, task):
            if task.creator_id is not None:
                creator = User.get_or_none(User.id == task.creator_id)
                raise Forbidden(f"只有任务创建人（{person(creator)}）可以审批延期")
            raise Forbidden("只有项目管理员可以审批系统创建任务的延期")
        if ext is None:
            raise Refused("该任务没有待审批的延期申请")
        if ext.status != "pending":
            word = "同意" if ext.status == "approved" else "拒绝"
            raise Refused(f"这个延期申请已被{word}，不能再审批")
        if approve and task.due_at is not None and ext.new_due_at <= task.due_at:
            raise Refused(f"截止时间已改为 {short_time(task.due_at, tz)}，不早于申请的 "
                          f"{short_time(ext.new_due_at, tz)}，无需同意；可以拒绝这个申请")
        if approve:
            _approve(task, ext, actor, now, tz, auto=False)
        else:
            bump(task)
            _refuse(task, ext, actor, now, tz, (note or "").strip()[:MAX_REASON])
    return ext


def _claim(ext: ExtensionRequest, **fields) -> None:
    # Guarded on pending: the task's version already serialises deciders; this keeps the
    # request row itself from ever being decided twice.
    updated = (ExtensionRequest.update(**fields)
               .where(ExtensionRequest.id == ext.id, ExtensionRequest.status == "pending")
               .execute())
    if not updated:
        raise Refused("这个延期申请已被处理")
    for name, value in fields.items():
        setattr(ext, name, value)


def _approve(task, ext, actor, now, tz, *, auto: bool) -> None:
    old = task.due_at
    _claim(ext, status="approved", decided_by=actor.id, decided_at=now)
    fields = {"due_at": ext.new_due_at}
    if task.original_due_at is None:
        fields["original_due_at"] = old  # rows from before original_due_at was kept
    bump(task, **fields)  # the deadline moves under the version guard
    add_log(task, actor, "extension_approve", now, extension_id=ext.id, auto=auto,
            old_due=short_time(old, tz), new_due=short_time(ext.new_due_at, tz))
    if ext.requester_id != actor.id:
        tell(task, ext.requester_id, "extension_approved", state="延期已同意", sender=actor.name,
             title=f"延期已同意：{task.title}", now=now,
             note=f"新截止：{short_time(ext.new_due_at, tz)}",
             body=f"{actor.name}同意延期，新的截止时间：{short_time(ext.new_due_at, tz)}。")


def _refuse(task, ext, actor, now, tz, note: str) -> None:
    _claim(ext, status="refused", decided_by=actor.id, decided_at=now, decision_note=note or None)
    add_log(task, actor, "extension_refuse", now, extension_id=ext.id,
            new_due=short_time(ext.new_due_at, tz), reason=note)
    tell(task, ext.requester_id, "extension_refused", state="延期被拒绝", sender=actor.name,
         title=f"延期被拒绝：{task.title}", now=now, note=f"原因：{note}" if note else "",
         body=(f"{actor.name}拒绝了延期到{short_time(ext.new_due_at, tz)}的申请"
               + (f"，原因：{note}" if note else "") +
               f"。截止时间仍为{short_time(task.due_at, tz)}。"))



def decider_names(task: Task) -> list[str]:
    ids = deciders(task)
    return [u.name for u in User.select(User.name).where(User.id.in_(ids)).order_by(User.id)] if ids else []


def describe(extensions: list[ExtensionRequest]) -> list[dict]:
    """The requests as plain dicts with the people's names (datetimes stay datetimes)."""
    ids = {e.requester_id for e in extensions} | {e.decided_by_id for e in extensions}
    ids.discard(None)
    names = ({u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(ids))}
             if ids else {})
    return [{"id": e.id, "task_id": e.task_id, "status": e.status,
             "requester_id": e.requester_id, "requester_name": names.get(e.requester_id),
             "old_due_at": e.old_due_at, "new_due_at": e.new_due_at, "reason": e.reason,
             "decided_by_id": e.decided_by_id, "decided_by_name": names.get(e.decided_by_id),
             "decided_at": e.decided_at, "decision_note": e.decision_note,
             "created_at": e.created_at} for e in extensions]
