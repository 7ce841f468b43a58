"""新建: create a simple task in one line, or through a guided conversation.

One line: `新建 标题 [@某人] [#项目名] [截止时间]` creates at once (assignee: me, project: my
default); when the deadline is missing or unreadable the conversation picks up at that step,
because a deadline is never guessed. `新建` alone (or the menu) asks step by step:

```mermaid
stateDiagram-v2
    [*] --> title: 新建 / menu 新建任务
    title --> title: empty or bad #项目 / @某人
    title --> assignee: 标题
    assignee --> assignee: unknown / ambiguous / not a member
    assignee --> deadline: 我 / @某人
    deadline --> deadline: unreadable or past
    deadline --> confirm: 明天18:00 …
    confirm --> title: 修改
    confirm --> confirm: anything else
    confirm --> [*]: 确认 (task created)
    title --> [*]: 取消 / 10 minutes idle
    assignee --> [*]: 取消 / 10 minutes idle
    deadline --> [*]: 取消 / 10 minutes idle
    confirm --> [*]: 取消 / 10 minutes idle
```
"""
from datetime import datetime, timedelta
from enum import StrEnum

from bot.router import Flow, Routes, fold
from handlers import texts
from handlers.deadlines import parse_deadline, split_deadline
from handlers.mentions import resolve_user, take_mentions
from handlers.refs import project_ref
from handlers.replies import local, short
from menus.keys import MenuKey
from store import leaves, projects, tasks
from store.errors import DomainError, Invalid

routes = Routes()


class NewTask(StrEnum):
    TITLE = "title"
    ASSIGNEE = "assignee"
    DEADLINE = "deadline"
    CONFIRM = "confirm"


# --- reading the user's words into the draft (ctx.dialog_data) ------------------------------

def _project(ctx, data: dict):
    if "project_id" in data:
        return projects.get_project(ctx.user, data["project_id"])
    project = projects.default_project(ctx.user)
    if project is None:
        raise Invalid(texts.NO_PROJECT)
    data.update(project_id=project.id, project_name=project.name)
    return project


def _set_assignee(ctx, data: dict, user) -> None:
    me = user.id == ctx.user.id
    data.update(assignee_id=user.id,
                assignee_name=f"{user.name}（{texts.ME_NAME}）" if me else user.name)


def _set_due(ctx, data: dict, due: datetime) -> str:
    """Keep a future deadline; for a past one say so (and keep nothing)."""
    if due <= ctx.now:
        return texts.DEADLINE_PAST.format(due=local(due, ctx.tz))
    data["due"] = due.isoformat()
    return ""


def _read(ctx, text: str, data: dict) -> str:
    """Take "#项目", "@某人", a trailing deadline and the title from `text`; return a note."""
    text, names = take_mentions(text)
    words = text.split()
    tags = [w[1:] for w in words if w.startswith(("#", "＃")) and len(w) > 1]
    text = " ".join(w for w in words if not (w.startswith(("#", "＃")) and len(w) > 1))
    if tags:
        project = project_ref(ctx, tags[0])
        data.update(project_id=project.id, project_name=project.name)
    if names:
        _set_assignee(ctx, data, resolve_user(ctx, names[0], _project(ctx, data)))
    title, due = split_deadline(text, ctx.now, ctx.tz)
    if title:
        data["title"] = title
    return _set_due(ctx, data, due) if due else ""


def _next(ctx, data: dict, note: str = "") -> tuple[str, NewTask | None]:
    """Ask for the first missing piece, or finish: one-liners create, dialogs confirm."""
    def ask(text, state):
        return (note + "\n" + text if note else text), state
    if not data.get("title"):
        return ask(texts.ASK_TITLE, NewTask.TITLE)
    project = _project(ctx, data)
    if "assignee_id" not in data:
        if data.get("guided"):
            return ask(texts.ASK_ASSIGNEE, NewTask.ASSIGNEE)
        _set_assignee(ctx, data, ctx.user)
    if "due" not in data:
        return ask(texts.ASK_DEADLINE, NewTask.DEADLINE)
    if data.get("guided"):
        return ask(texts.CONFIRM.format(title=data["title"], project=project.name,
                                        assignee=data["assignee_name"],
                                        due=local(data["due"], ctx.tz)), NewTask.CONFIRM)
    return _create(ctx, data)


def _create(ctx, data: dict) -> tuple[str, NewTask | None]:
    due = datetime.fromisoformat(data["due"])
    if due <= ctx.now:  # the draft waited past its own deadline
        data.pop("due")
        return (texts.DEADLINE_PAST.format(due=local(due, ctx.tz)) + "\n" + texts.ASK_DEADLINE,
                NewTask.DEADLINE)
    task = tasks.create_task(ctx.user, data["project_id"], data["title"], due_at=due,
                             now=ctx.now, assignee_id=data["assignee_id"])
    assignee, away = data["assignee_name"], ""
    stand_in = leaves.stand_in_of(task)
    if stand_in:  # the assignee is on leave: say who has it
        assignee = leaves.label(*stand_in)
        away = "\n" + texts.CREATED_STAND_IN.format(handler=stand_in[0], owner=stand_in[1])
    return texts.CREATED.format(number=task.number, title=short(task.title), assignee=assignee,
                                due=local(due, ctx.tz)) + away, None


# --- the dialog's states (a refused step is explained and asked again: bot.router.Flow) ----

def got_title(ctx):
    """The title (it may also carry #项目, @某人 and a deadline)."""
    note = _read(ctx, ctx.text, ctx.dialog_data)
    if not ctx.dialog_data.get("title"):
        return texts.TITLE_EMPTY, NewTask.TITLE
    return _next(ctx, ctx.dialog_data, note)


def got_assignee(ctx):
    """我 / @某人 / 账号."""
    if fold(ctx.text) in texts.SELF_WORDS:
        _set_assignee(ctx, ctx.dialog_data, ctx.user)
    else:
        _set_assignee(ctx, ctx.dialog_data,
                      resolve_user(ctx, ctx.text, _project(ctx, ctx.dialog_data)))
    return _next(ctx, ctx.dialog_data)


def got_deadline(ctx):
    """A deadline in any form parse_deadline reads."""
    due = parse_deadline(ctx.text, ctx.now, ctx.tz)
    if due is None:
        return texts.ASK_DEADLINE_AGAIN.format(text=short(ctx.text, 20)), NewTask.DEADLINE
    note = _set_due(ctx, ctx.dialog_data, due)
    if note:
        return note + "\n" + texts.ASK_DEADLINE, NewTask.DEADLINE
    return _next(ctx, ctx.dialog_data)


def got_confirmation(ctx):
    """确认 creates; 修改 starts over."""
    word = fold(ctx.text)
    if word in texts.RESTART_WORDS:
        ctx.dialog_data = {"guided": True}
        return texts.ASK_TITLE, NewTask.TITLE
    if word not in texts.CONFIRM_WORDS:
        return texts.CONFIRM_AGAIN, NewTask.CONFIRM
    try:
        return _create(ctx, ctx.dialog_data)
    except DomainError as error:
        return error.message, None


FLOW = routes.add_flow(Flow("new_task", {
    NewTask.TITLE: got_title, NewTask.ASSIGNEE: got_assignee,
    NewTask.DEADLINE: got_deadline, NewTask.CONFIRM: got_confirmation,
}, on_cancel=texts.CANCELLED, timeout=timedelta(minutes=10)))


@routes.command("新建", "new", "新任务")
@routes.click(MenuKey.NEW_TASK)
def new_task(ctx):
    """新建 标题 [@某人] [#项目] [截止] new — 新建任务；只发「新建」按步骤填写"""
    data = {"guided": not ctx.args}
    note = _read(ctx, ctx.args, data) if ctx.args else ""
    reply, state = _next(ctx, data, note)
    if state is not None:
        FLOW.begin(ctx, state, data)
    return reply
