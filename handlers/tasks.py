"""One task: 详情 and the workflow actions of SPEC §3 (完成 转办 回退 撤回 催办 开始) and 评论.

The rules and their refusals live in store.workflow; these handlers resolve the
reference, call one store function and word the outcome.
"""
from bot.router import Routes
from handlers import late, texts
from handlers.mentions import resolve_user, take_mentions
from handlers.messages import open_message
from handlers.refs import MESSAGES, message_at, task_ref
from handlers.replies import fit_list, local, overdue_mark, short
from store import tasks, taskviews, workflow
from store.erp_kinds import document_rows
from store.errors import Invalid

routes = Routes()

LOG_LINES = 3


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _log_line(entry: dict, tz: str) -> str:
    what = texts.LOG_ACTION.get(entry["action"], entry["action"])
    detail = _Blank({k: short(str(v), 20) for k, v in (entry.get("detail") or {}).items()})
    return texts.DETAIL_LOG_LINE.format(at=local(entry["at"], tz), actor=entry["actor_name"],
                                        what=what.format_map(detail))


def _node_line(node: dict, current_seq: int | None) -> str:
    original = node.get("original_handler_name")
    return texts.DETAIL_NODE.format(
        mark=texts.DETAIL_CURRENT if node["seq"] == current_seq else "",
        seq=node["seq"], handler=node.get("handler_label") or node["handler_name"] or "?",
        original=f"（转自{original}）" if original and original != node["handler_name"] else "",
        state=texts.NODE_STATE.get(node["state"], node["state"]),
        items=f" · {short(node['items'], 20)}" if node["items"] else "")


def format_detail(detail: dict, ctx) -> str:
    """Header, the workflow (cut to fit on a long one), recent log and the user's actions."""
    done = detail["status"] == "done"
    cleared = texts.DETAIL_ERP_CLEARED if detail.get("erp_cleared") else ""  # SPEC §9
    head = [texts.DETAIL_HEAD.format(
        number=detail["number"], title=short(detail["title"], 60) + cleared,
        project=detail["project"]["name"], due=local(detail["due_at"], ctx.tz),
        overdue=overdue_mark(detail["due_at"], ctx.now, done),
        priority=texts.PRIORITY.get(detail["priority"], detail["priority"]),
        status=texts.STATUS.get(detail["status"], detail["status"]))]
    if detail.get("original_due_at") and detail["original_due_at"] != detail["due_at"]:
        head.append(texts.DETAIL_ORIGINAL_DUE.format(due=local(detail["original_due_at"], ctx.tz)))
    if detail["creator"]:
        head.append(texts.DETAIL_CREATOR.format(name=detail["creator"]["name"]))
    if detail.get("erp_data"):  # the ERP document's latest figures (SPEC §5)
        occurrences = detail.get("occurrences") or 1
        head.append(texts.DETAIL_ERP.format(
            times=texts.DETAIL_ERP_TIMES.format(n=occurrences) if occurrences > 1 else ""))
        head += [texts.DETAIL_ERP_ROW.format(label=label, value=short(value, 30))
                 for label, value in document_rows(detail.get("erp_kind"), detail["erp_data"])]
    head.append(texts.DETAIL_FLOW)
    foot = []
    if detail["log"]:
        foot.append(texts.DETAIL_LOG)
        foot += [_log_line(e, ctx.tz) for e in detail["log"][-LOG_LINES:]]
    ref = f"#{detail['number']}"
    hints = [texts.ACTION_HINT[a].format(ref=ref) for a in detail["allowed_actions"]
             if a in texts.ACTION_HINT]
    foot.append(texts.DETAIL_ACTIONS.format(hints="、".join(hints)) if hints
                else texts.DETAIL_NO_ACTIONS.format(ref=ref))
    reply, _ = fit_list("\n".join(head),
                        [_node_line(n, detail["current_seq"]) for n in detail["nodes"]],
                        "\n".join(foot))
    return reply


@routes.command("详情", "task", "查看")
def show_task(ctx):
    """详情 N task — 任务详情：流程、动态和你能做的操作"""
    if ctx.session.last_list_kind() == MESSAGES and not ctx.args.startswith(("#", "＃")):
        message, n = message_at(ctx, "详情")
        if message.task_id is None:  # a feedback reply, an announcement: show the message
            return open_message(ctx, message, n)
    task, _ = task_ref(ctx, "详情")
    # SPEC §3: the current handler opening the details starts their node.
    flow = workflow.open_flow(ctx.user, task, ctx.now)
    return format_detail(taskviews.task_brief(ctx.user, flow, ctx.now), ctx)


@routes.command("完成", "complete", "finish")
def complete_task(ctx):
    """完成 N complete — 办结我这一步"""
    task, _ = task_ref(ctx, "完成")
    flow = workflow.complete_flow(ctx.user, task, ctx.now)
    task, current = flow.task, flow.current
    following = (texts.COMPLETED_ALL if current is None else texts.COMPLETED_NEXT.format(
        name=current.handler.name if current.delegated_from_id is None
        else taskviews.handler_label(task)))
    reply = texts.COMPLETED.format(number=task.number, title=short(task.title), next=following)
    # Done after the deadline: ask why (SPEC §9).
    late_now = task.due_at is not None and task.due_at < ctx.now
    question = late.ask_reason(ctx, task) if late_now else ""
    return reply + "\n" + question if question else reply


@routes.command("开始", "start")
def start_task(ctx):
    """开始 N start — 标记开始处理"""
    task, _ = task_ref(ctx, "开始")
    task = workflow.start(ctx.user, task.id, ctx.now)
    return texts.STARTED.format(number=task.number, title=short(task.title), ref=f"#{task.number}")


@routes.command("转办", "transfer")
def transfer_task(ctx):
    """转办 N @某人 transfer — 把我这一步交给别人"""
    task, rest = task_ref(ctx, "转办")
    _, names = take_mentions(rest)
    name = names[0] if names else rest
    if not name:
        raise Invalid(texts.TRANSFER_USAGE)
    target = resolve_user(ctx, name)
    task = workflow.transfer(ctx.user, task.id, target.id, ctx.now)
    return texts.TRANSFERRED.format(number=task.number, title=short(task.title), name=target.name)


@routes.command("回退", "rollback")
def rollback_task(ctx):
    """回退 N 原因 rollback — 退回上一步（须写原因）"""
    task, reason = task_ref(ctx, "回退")
    if not reason and "rollback" in workflow.allowed_actions(ctx.user, task, ctx.now):
        raise Invalid(texts.ROLLBACK_USAGE)
    task = workflow.rollback(ctx.user, task.id, reason, ctx.now)
    return texts.ROLLED_BACK.format(number=task.number, title=short(task.title),
                                    name=taskviews.handler_label(task))


@routes.command("撤回", "withdraw")
def withdraw_task(ctx):
    """撤回 N withdraw — 撤回刚完成的一步（下一步未开始时）"""
    task, _ = task_ref(ctx, "撤回")
    task = workflow.withdraw(ctx.user, task.id, ctx.now)
    return texts.WITHDRAWN.format(number=task.number, title=short(task.title))


@routes.command("催办", "urge")
def urge_task(ctx):
    """催办 N urge — 提醒下一步的处理人（每小时一次）"""
    task, _ = task_ref(ctx, "催办")
    task = workflow.urge(ctx.user, task.id, ctx.now)
    return texts.URGED.format(number=task.number, title=short(task.title),
                              name=taskviews.handler_label(task))


@routes.command("评论", "comment")
def comment_task(ctx):
    """评论 N 内容 comment — 评论任务"""
    task, body = task_ref(ctx, "评论")
    if not body:
        raise Invalid(texts.COMMENT_USAGE)
    tasks.add_comment(ctx.user, task.id, body, ctx.now)
    return texts.COMMENTED.format(number=task.number, title=short(task.title))
