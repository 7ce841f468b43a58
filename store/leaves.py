"""Leave delegation (SPEC §9, 请假): a user's period away, and the stand-in (代办人) who
handles their workflow nodes meanwhile.

Rules
* A leave covers whole days in the company's timezone, from 00:00 of its first day to 24:00
  of its last. It may not start before today, lasts at most MAX_DAYS days, starts at most
  MAX_AHEAD_DAYS ahead, its stand-in is another active user of the same company, and the
  leaves of one user never overlap (cancelled and ended ones aside).
* Time decides who handles a node: `stand_in_for(user, now)` is the stand-in of a leave
  (scheduled or active) whose period contains `now`, so a node that becomes current in the
  period goes to the stand-in even in the minute before the scan has started the leave.
  The status records the handover work done: scheduled → active (the user's open nodes
  handed to the stand-in) → ended (those still not done handed back), or → cancelled (销假,
  handed back at once).
* A handed-over node keeps its owner in TaskNode.delegated_from and its handler becomes the
  stand-in, so every rule of SPEC §3 and every to-do list applies to the stand-in unchanged
  (only the stand-in may act on it while delegated, only the owner after the return). A
  stand-in's transfer keeps the owner: the node still goes back to them when the leave ends.
  A transfer *to* someone on leave is left as the transferring handler chose.
* Chains go at most one hop. A leave whose stand-in is away in an overlapping period is
  refused; so is a leave of someone who would be the end of a chain (X is away with Y
  standing in, Y is away with me standing in, overlapping my period). Otherwise, when a
  stand-in B is away too, the owner's nodes go to B's own stand-in C (shown "C(代A)"), and
  back to B when B returns. Cycles (A ↔ B) are refused by the first rule.
* `apply_leaves(now)` (every minute, from jobs.scans.scan_all) ends the leaves whose period
  is over and starts those whose period has begun. Each status change is an UPDATE guarded
  by the status it leaves, inside the transaction that moves the nodes, so two schedulers,
  or a scan and 销假, cannot both do the work, and a second run changes nothing. Each node
  moves like a system transfer: the task's version is bumped (a user acting on it at the
  same moment gets Conflict, or the scan retries the node) and the node's state is guarded.
* The stand-in gets one summary notice per handover, not one per node; the owner one when
  the nodes come back. Every moved node writes a "delegate" / "undelegate" log entry.
"""
import logging
from datetime import date, datetime, timedelta

from store.db import atomic_write, db
from store.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from store.models import Company, Leave, Task, TaskNode, User
from store.notices import fit, tell
from store.outbox import notify
from store.prebuilt import Prebuilt
from store.taskstate import CHANGED, add_log, add_receipt, bump, move

log = logging.getLogger(__name__)

MAX_DAYS = 60
MAX_AHEAD_DAYS = 365
LIVE = ("scheduled", "active")
OPEN = ("active", "started")
RETRIES = 3
TODO_PAGE = "/m/todo"  # a hand-over's notice opens the to-do it changed
STATUS_NAMES = {"scheduled": "待生效", "active": "请假中", "ended": "已结束", "cancelled": "已取消"}


# --- who handles a node -------------------------------------------------------------------

def _away(user_id: int, now: datetime) -> int | None:
    """The stand-in of `user_id` at `now` if they are on leave (an inactive stand-in counts
    as none: the node stays with its owner rather than with nobody)."""
    row = _AWAY.first(user=user_id, now=now)
    return row[0] if row else None


# Asked for every node a task moves to (and for every new task's nodes): built once.
_AWAY = Prebuilt(lambda user, now: (
    Leave.select(Leave.delegate).join(User, on=(Leave.delegate == User.id))
    .where(Leave.user == user, Leave.status.in_(LIVE), Leave.starts_at <= now,
           Leave.ends_at > now, User.active == True)  # noqa: E712
    .order_by(Leave.starts_at).limit(1).tuples()), "user", "now")


def stand_in_for(user_id: int, now: datetime) -> int:
    """Who handles the nodes of `user_id` at `now`: themselves, their stand-in, or, when the
    stand-in is away too, the stand-in's own stand-in (one hop, never further)."""
    first = _away(user_id, now)
    if first is None:
        return user_id
    second = _away(first, now)
    return second if second is not None and second != user_id else first


def label(handler_name: str | None, owner_name: str | None) -> str | None:
    """"李四(代张三)" for a node a stand-in handles, else the handler's name."""
    if owner_name and owner_name != handler_name:
        return f"{handler_name}(代{owner_name})"
    return handler_name


def stand_in_of(task: Task) -> tuple[str, str] | None:
    """(stand-in, owner) names when the task's current node went to a stand-in, else None:
    what the creator is told when the person they chose is away."""
    node = TaskNode.get_or_none(TaskNode.task == task.id, TaskNode.seq == task.current_seq)
    if node is None or node.delegated_from_id is None:
        return None
    names = _names(node.handler_id, node.delegated_from_id)
    return names.get(node.handler_id, ""), names.get(node.delegated_from_id, "")


def _names(*user_ids) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(ids))}


def _log_move(task: Task, actor: User | None, node: TaskNode, old: int, new: int, owner: int,
              now: datetime) -> None:
    names = _names(old, new, owner)
    add_log(task, actor, "undelegate" if new == owner else "delegate", now,
                     seq=node.seq, **{"from": old}, from_name=names.get(old), to=new,
                     to_name=names.get(new), owner=owner, owner_name=names.get(owner))


def route_node(task: Task, node: TaskNode, now: datetime, *, notice: bool = False) -> bool:
    """The hook where a node becomes current (creation, complete → next, rollback, withdraw):
    give it to whoever handles its owner's nodes now. Runs inside the action's transaction,
    which has already claimed the task's version. With `notice` (withdraw, whose own notice
    goes elsewhere) the stand-in also gets the receipt and a notice. True if it moved."""
    owner = node.delegated_from_id or node.handler_id
    target = stand_in_for(owner, now)
    delegated_from = owner if target != owner else None
    if (target, delegated_from) == (node.handler_id, node.delegated_from_id):
        return False
    old = node.handler_id
    TaskNode.update(handler=target, delegated_from=delegated_from).where(
        TaskNode.id == node.id).execute()
    node.handler, node.delegated_from = target, delegated_from
    if target == old:
        return False
    _log_move(task, None, node, old, target, owner, now)
    if notice:
        add_receipt(task, node, target, now)
        name = _names(owner).get(owner, "")
        tell(task, target, "task_received", state="代办", sender=name,
                      title=f"代{name}处理：{task.title}",
                      body=f"{name}请假中，由你代为处理：{node.items or task.title}", now=now)
    return True


# --- moving a user's nodes ----------------------------------------------------------------

def _move_node(task_id: int, node_id: int, now: datetime, actor: User | None):
    """Re-decide one node's handler; (task, node) when it went to someone new and open.

    The task is read before the node: a change committed in between bumped the version, so
    our bump fails and the node is read again instead of being moved from a stale state."""
    for _ in range(RETRIES):
        try:
            with db.atomic():  # a savepoint: a lost race undoes only this node
                task = Task.get_or_none(Task.id == task_id)
                node = TaskNode.get_or_none(TaskNode.id == node_id)
                if (task is None or node is None or task.status != "in_progress"
                        or node.state == "done"):
                    return None
                owner = node.delegated_from_id or node.handler_id
                target = stand_in_for(owner, now)
                delegated_from = owner if target != owner else None
                if (target, delegated_from) == (node.handler_id, node.delegated_from_id):
                    return None
                if node.state == "pending" and target != owner:
                    return None  # routed by route_node when it becomes current
                old = node.handler_id
                bump(task)
                if node.state == "pending" or target == old:
                    # A pending node goes back to its owner quietly; so does the mark alone.
                    updated = (TaskNode.update(handler=target, delegated_from=delegated_from)
                               .where(TaskNode.id == node.id, TaskNode.state == node.state,
                                      TaskNode.handler == old).execute())
                    if not updated:
                        raise Conflict(CHANGED)
                    if target != old:
                        _log_move(task, actor, node, old, target, owner, now)
                    return None
                # Like a transfer by the system: the new handler has not opened it yet.
                move(node, "transfer", "current", handler=target,
                              delegated_from=delegated_from, activated_at=now, started_at=None)
                _log_move(task, actor, node, old, target, owner, now)
                add_receipt(task, node, target, now)
                return task, node
        except Conflict:
            continue
    raise Conflict(CHANGED)


def _move_nodes(company_id: int, owners, now: datetime, actor: User | None,
                held_by: int | None = None) -> dict[int, list[Task]]:
    """Re-decide the nodes not done that belong to `owners` (or that `held_by` holds);
    return {user: [tasks they received]} for the summaries."""
    owners = list(owners)
    which = TaskNode.delegated_from.in_(owners)
    if held_by is not None:
        which |= (TaskNode.handler == held_by) & TaskNode.state.in_(OPEN)
    rows = (TaskNode.select(TaskNode.id, TaskNode.task)
            .join(Task, on=(TaskNode.task == Task.id))
            .where(TaskNode.company == company_id, TaskNode.state != "done", which,
                   Task.status == "in_progress", Task.deleted_at.is_null())
            .order_by(TaskNode.task, TaskNode.seq))
    received: dict[int, list[Task]] = {}
    for row in list(rows):
        moved = _move_node(row.task_id, row.id, now, actor)
        if moved:
            task, node = moved
            received.setdefault(node.handler_id, []).append(task)
    return received


def _covered_by(user_id: int, now: datetime) -> list[int]:
    """Users on leave at `now` whose stand-in is `user_id`."""
    return [row.user_id for row in Leave.select(Leave.user).where(
        Leave.delegate == user_id, Leave.status.in_(LIVE), Leave.starts_at <= now,
        Leave.ends_at > now)]


# --- summaries ----------------------------------------------------------------------------

def _day(value: datetime, tz) -> date:
    return value.astimezone(tz).date()


def span(leave: Leave, tz=None) -> tuple[date, date]:
    """The leave's first and last day, in the company's timezone."""
    tz = tz or Company.zone_of(leave.company_id)
    return _day(leave.starts_at, tz), _day(leave.ends_at - timedelta(seconds=1), tz)


def _span_text(leave: Leave) -> str:
    first, last = span(leave)
    return f"{first:%m-%d}~{last:%m-%d}"


def _task_lines(tasks: list[Task]) -> str:
    lines = [f"#{t.number} {t.title}" for t in tasks[:20]]
    if len(tasks) > 20:
        lines.append(f"…还有{len(tasks) - 20}项")
    return "\n".join(lines)


def _summary(leave: Leave, user_id: int, event: str, title: str, body: str, state: str,
             count: int, now: datetime) -> None:
    owner = _names(leave.user_id).get(leave.user_id, "")
    notify(leave.company_id, user_id, f"leave_{event}", title=title, body=body,
           data={"task": fit(f"请假代办 {count}项"), "due": _span_text(leave),
                 "from": fit(owner), "state": state}, now=now, url=TODO_PAGE,
           dedupe_key=f"leave:{leave.id}:{event}:{user_id}")


def _tell_started(leave: Leave, received: dict[int, list[Task]], now: datetime) -> None:
    owner = _names(leave.user_id).get(leave.user_id, "")
    recipients = dict.fromkeys([leave.delegate_id, *received])
    for user_id in recipients:
        tasks = received.get(user_id, [])
        body = f"{owner}请假（{_span_text(leave)}），期间的新任务由你代办。"
        if tasks:
            body += f"\n已转给你的{len(tasks)}项：\n" + _task_lines(tasks)
        _summary(leave, user_id, "started", f"{owner}请假，由你代办{len(tasks)}项任务", body,
                 "代办开始", len(tasks), now)


def _tell_returned(leave: Leave, received: dict[int, list[Task]], how: str,
                   now: datetime) -> None:
    owner = _names(leave.user_id).get(leave.user_id, "")
    for user_id, tasks in received.items():
        body = f"{owner}的请假{how}，以下{len(tasks)}项任务回到你这里：\n" + _task_lines(tasks)
        _summary(leave, user_id, "returned", f"请假{how}，{len(tasks)}项任务已交还", body,
                 "代办结束", len(tasks), now)


# --- the lifecycle ------------------------------------------------------------------------

def _begin(leave_id: int, now: datetime, actor: User | None) -> bool:
    """scheduled → active: hand the user's open nodes to the stand-in."""
    leave = Leave.get_or_none(Leave.id == leave_id)
    if leave is None or leave.status != "scheduled":
        return False
    won = (Leave.update(status="active")
           .where(Leave.id == leave.id, Leave.status == "scheduled").execute())
    if not won:
        return False  # another scan (or 销假) got there first
    received = _move_nodes(leave.company_id, [leave.user_id], now, actor, held_by=leave.user_id)
    _tell_started(leave, received, now)
    return True


def _finish(leave_id: int, status: str, now: datetime, actor: User | None) -> bool:
    """scheduled/active → ended/cancelled: the nodes still not done go back."""
    leave = Leave.get_or_none(Leave.id == leave_id)
    if leave is None or leave.status not in LIVE:
        return False
    won = (Leave.update(status=status, ended_at=now)
           .where(Leave.id == leave.id, Leave.status == leave.status).execute())
    if not won:
        return False
    if leave.starts_at <= now:
        # Also the nodes of those the user stood in for, which went one hop further.
        owners = [leave.user_id, *_covered_by(leave.user_id, now)]
        received = _move_nodes(leave.company_id, owners, now, actor)
        _tell_returned(leave, received, "已提前结束" if status == "cancelled" else "已结束", now)
    return True


def apply_leaves(now: datetime) -> int:
    """The scan: end the leaves whose period is over, start those whose period has begun.
    Returns how many changed; safe to run twice or in two schedulers at once."""
    changed = 0
    due_end = Leave.select(Leave.id).where(Leave.status.in_(LIVE), Leave.ends_at <= now)
    due_start = Leave.select(Leave.id).where(Leave.status == "scheduled",
                                             Leave.starts_at <= now, Leave.ends_at > now)
    # Ends first, so that a user's next leave starting at the same midnight hands over
    # the nodes that just came back.
    for step, rows in ((lambda i: _finish(i, "ended", now, None), due_end),
                       (lambda i: _begin(i, now, None), due_start)):
        for row in list(rows.order_by(Leave.id)):
            try:
                with atomic_write():
                    changed += step(row.id)
            except Conflict:
                log.warning("leave %s: tasks kept changing; retrying next scan", row.id)
    return changed


# --- requests -----------------------------------------------------------------------------

def _overlapping(starts_at: datetime, ends_at: datetime):
    return (Leave.status.in_(LIVE) & (Leave.starts_at < ends_at) & (Leave.ends_at > starts_at))


def _describe(leave: Leave) -> str:
    first, last = span(leave)
    return f"{first:%m-%d} 至 {last:%m-%d}"


def period(company_id: int, starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """00:00 of the first day to 24:00 of the last, in the company's timezone."""
    tz = Company.zone_of(company_id)
    return (datetime.combine(starts_on, datetime.min.time(), tzinfo=tz),
            datetime.combine(ends_on + timedelta(days=1), datetime.min.time(), tzinfo=tz))


def _check_dates(company_id: int, starts_on: date, ends_on: date, now: datetime) -> None:
    today = now.astimezone(Company.zone_of(company_id)).date()
    if ends_on < starts_on:
        raise Invalid("结束日期不能早于开始日期")
    if starts_on < today:
        raise Invalid("请假不能从过去的日期开始")
    if starts_on > today + timedelta(days=MAX_AHEAD_DAYS):
        raise Invalid(f"请假最多提前{MAX_AHEAD_DAYS}天登记")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise Invalid(f"一次请假最长{MAX_DAYS}天")


def create_leave(actor: User, starts_on: date, ends_on: date, delegate_id: int,
                 now: datetime) -> Leave:
    """请假: from `starts_on` to `ends_on` (whole days) the actor's nodes go to the stand-in.
    A leave starting today takes effect at once."""
    company_id = actor.company_id
    _check_dates(company_id, starts_on, ends_on, now)
    if delegate_id == actor.id:
        raise Invalid("代办人不能是你自己")
    starts_at, ends_at = period(company_id, starts_on, ends_on)
    with atomic_write():
        # Locks the company row on PostgreSQL: two requests checking each other's overlaps
        # (the same user twice, or a chain forming from both ends) take turns.
        Company.update(task_seq=Company.task_seq).where(Company.id == company_id).execute()
        delegate = (User.scoped(company_id)
                    .where(User.id == delegate_id, User.active == True).first())  # noqa: E712
        if delegate is None:
            raise Invalid("代办人必须是本公司在职的成员")
        overlap = _overlapping(starts_at, ends_at)
        mine = Leave.scoped(company_id).where(Leave.user == actor.id, overlap).first()
        if mine is not None:
            raise Refused(f"与你已登记的请假（{_describe(mine)}）时间重叠")
        theirs = Leave.scoped(company_id).where(Leave.user == delegate.id, overlap).first()
        if theirs is not None:
            raise Refused(f"{delegate.name}在此期间也请假（{_describe(theirs)}），请另找代办人")
        _refuse_chain_end(actor, starts_at, ends_at)
        leave = Leave.create(company=company_id, user=actor.id, delegate=delegate.id,
                             starts_at=starts_at, ends_at=ends_at, status="scheduled",
                             created_at=now)
        if starts_at <= now:
            _begin(leave.id, now, actor)
        else:
            notify(company_id, delegate.id, "leave_requested",
                   title=f"{actor.name}请假，由你代办",
                   body=f"{actor.name}将于{_describe(leave)}请假，期间的任务由你代办。",
                   data={"task": fit(f"{actor.name}请假代办"), "due": _span_text(leave),
                         "from": fit(actor.name), "state": "待生效"}, now=now, url=TODO_PAGE,
                   dedupe_key=f"leave:{leave.id}:requested:{delegate.id}")
    return Leave.get_by_id(leave.id)


def _refuse_chain_end(actor: User, starts_at: datetime, ends_at: datetime) -> None:
    """The actor may not leave while they are the second stand-in of a chain (X away, Y
    standing in and away too, the actor standing in for Y): one hop further is not allowed."""
    for middle in Leave.scoped(actor.company_id).where(
            Leave.delegate == actor.id, _overlapping(starts_at, ends_at)):
        lo, hi = max(starts_at, middle.starts_at), min(ends_at, middle.ends_at)
        first = Leave.scoped(actor.company_id).where(
            Leave.delegate == middle.user_id, _overlapping(lo, hi)).first()
        if first is not None:
            names = _names(middle.user_id, first.user_id)
            raise Refused(f"你在此期间经{names.get(middle.user_id)}代{names.get(first.user_id)}"
                          f"处理任务，不能请假；请{names.get(middle.user_id)}另找代办人")


def _visible(actor: User):
    query = Leave.scoped(actor.company_id)
    if actor.is_company_admin:
        return query
    return query.where((Leave.user == actor.id) | (Leave.delegate == actor.id))


def get_leave(actor: User, leave_id: int) -> Leave:
    """A leave the actor may see: their own, one they stand in for, any for company admins."""
    leave = _visible(actor).where(Leave.id == leave_id).first()
    if leave is None:
        raise NotFound("请假记录不存在")
    return leave


def list_leaves(actor: User, limit: int = 50, offset: int = 0) -> list[Leave]:
    """The actor's leaves and those they stand in for: current and coming first (by start),
    then the past ones (latest first)."""
    mine = Leave.scoped(actor.company_id).where((Leave.user == actor.id)
                                                | (Leave.delegate == actor.id))
    live = list(mine.where(Leave.status.in_(LIVE)).order_by(Leave.starts_at, Leave.id))
    past = list(mine.where(Leave.status.not_in(LIVE)).order_by(Leave.starts_at.desc(),
                                                               Leave.id.desc()))
    return (live + past)[offset:offset + limit]


def list_own_live(actor: User) -> list[Leave]:
    """The actor's own current and coming leaves, by start (what 销假 N counts)."""
    return list(Leave.scoped(actor.company_id)
                .where(Leave.user == actor.id, Leave.status.in_(LIVE))
                .order_by(Leave.starts_at, Leave.id))


def cancel_leave(actor: User, leave_id: int, now: datetime) -> Leave:
    """销假: end a leave early (or drop a coming one); the nodes not done come back at once.
    The user themselves, or a company admin."""
    with atomic_write():
        leave = get_leave(actor, leave_id)
        if leave.user_id != actor.id and not actor.is_company_admin:
            raise Forbidden("只有请假人本人或公司管理员可以销假")
        if leave.status not in LIVE:
            raise Refused(f"该请假{STATUS_NAMES.get(leave.status, leave.status)}，无需销假")
        if not _finish(leave.id, "cancelled", now, actor):
            raise Conflict(CHANGED)
    return Leave.get_by_id(leave.id)


def leave_dict(leave: Leave) -> dict:
    """JSON-ready, times with the company's offset."""
    tz = Company.zone_of(leave.company_id)
    first, last = span(leave, tz)
    names = _names(leave.user_id, leave.delegate_id)
    iso = (lambda value: value.astimezone(tz).isoformat() if value else None)
    return {"id": leave.id, "user_id": leave.user_id, "user_name": names.get(leave.user_id),
            "delegate_id": leave.delegate_id, "delegate_name": names.get(leave.delegate_id),
            "starts_on": first.isoformat(), "ends_on": last.isoformat(),
            "starts_at": iso(leave.starts_at), "ends_at": iso(leave.ends_at),
            "status": leave.status, "created_at": iso(leave.created_at),
            "ended_at": iso(leave.ended_at)}


def delegated_count(leave: Leave) -> int:
    """How many open nodes the leave's user has handed over right now."""
    return (TaskNode.select().join(Task, on=(TaskNode.task == Task.id))
            .where(TaskNode.delegated_from == leave.user_id, TaskNode.state.in_(OPEN),
                   Task.deleted_at.is_null()).count())
