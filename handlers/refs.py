"""What `N` and `#123` mean in a command: the N-th line of the last list this user saw
(kept in their session), or a task by its company task number.

Every reference ends in a visibility-checked store lookup, so a stale position, a number
beyond the list, or another user's / company's task gets a clear reply and never the task.
"""
import re

from handlers import texts
from store import messages, projects, tasks
from store.errors import Invalid

TASKS = "task"
MESSAGES = "message"
PROJECTS = "project"

# Width-blind: "＃１２" is "#12" (int() reads full-width digits).
_REF = re.compile(r"([#＃])?\s*([0-9０-９]{1,9})(?![0-9０-９])")


def _split(ctx) -> tuple[re.Match | None, str]:
    m = _REF.match(ctx.args)
    return m, (ctx.args[m.end():].strip() if m else ctx.args)


def task_ref(ctx, command: str):
    """(task, the rest of the arguments) for "完成 2", "完成 #12", "转办 2 @李四"."""
    m, rest = _split(ctx)
    if m is None:
        raise Invalid(texts.REF_USAGE.format(command=command))
    if m[1]:
        return tasks.get_task(ctx.user, number=int(m[2])), rest
    position = int(m[2])
    if ctx.session.last_list_kind() == MESSAGES:
        # "详情 2" right after 消息: the task the second message is about.
        message_id = ctx.session.list_item(MESSAGES, position)
        task_id = messages.get_message(ctx.user, message_id).task_id if message_id else None
    else:
        task_id = ctx.session.list_item(TASKS, position)
    if task_id is None:
        raise Invalid(texts.REF_STALE.format(n=position))
    return tasks.get_task(ctx.user, task_id), rest


def message_at(ctx, command: str):
    """(message, N) for the message at position N of the last 消息 / 待处理 list."""
    m, _ = _split(ctx)
    if m is None or m[1]:
        raise Invalid(texts.MESSAGE_REF_USAGE.format(command=command))
    position = int(m[2])
    message_id = ctx.session.list_item(MESSAGES, position)
    if message_id is None:
        raise Invalid(texts.MESSAGE_REF_STALE.format(n=position))
    return messages.get_message(ctx.user, message_id), position


def message_ref(ctx, command: str):
    """The message at position N of the last 消息 / 待处理 list."""
    return message_at(ctx, command)[0]


def project_ref(ctx, text: str):
    """A project of mine by list position ("项目 2") or by name ("项目 运营", "#运营项目")."""
    mine = projects.list_projects(ctx.user)
    text = text.strip().lstrip("#")
    if text.isdigit():
        position = int(text)
        project_id = ctx.session.list_item(PROJECTS, position)
        if project_id is None and ctx.session.last_list_kind() != PROJECTS \
                and 1 <= position <= len(mine):
            project_id = mine[position - 1].id  # same order as the 项目 list
        if project_id is None:
            raise Invalid(texts.PROJECT_REF_STALE.format(n=position))
        return projects.get_project(ctx.user, project_id)
    exact = [p for p in mine if p.name == text]
    found = exact or [p for p in mine if text and text in p.name]
    if not found:
        raise Invalid(texts.PROJECT_UNKNOWN.format(name=text))
    if len(found) > 1:
        raise Invalid(texts.PROJECT_AMBIGUOUS.format(name=text, names="、".join(p.name for p in found[:5])))
    return found[0]
