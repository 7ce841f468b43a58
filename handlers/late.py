"""Late-reason codes in chat (SPEC §9): a 完成 after the task's deadline asks one question,
"请选择延误原因：1 供应商 2 缺货 3 清关 4 内部", and the answer is recorded on the node.
`延误原因 N 供应商` records (or corrects) it later, e.g. after 取消 or a timeout.

```mermaid
stateDiagram-v2
    [*] --> reason: 完成 N after the deadline (handlers.tasks asks)
    reason --> reason: neither 1-4 nor a reason word
    reason --> [*]: 1-4 / 供应商 缺货 清关 内部 / supplier stock customs internal (recorded)
    reason --> [*]: another command (the router leaves the dialog and runs it)
    reason --> [*]: 取消 / 30 minutes idle
```
"""
from datetime import timedelta
from enum import StrEnum

from bot.router import Flow, Routes, fold
from bot.session import SessionUnavailable
from handlers import texts
from handlers.refs import task_ref

from store import late
from store.errors import DomainError, Invalid

routes = Routes()


class LateReason(StrEnum):
    REASON = "reason"


def reason_code(text: str) -> str | None:
    """"2", "缺货", "Stock" → "stock"; None for anything else."""
    return texts.LATE_REASON_WORDS.get(fold(text))


def ask_reason(ctx, task) -> str:
    """After a late 完成: start the one-question dialog and return the question, or "" when
    the node needs no reason (on time, or one is already recorded)."""
    seq = late.needs_reason(ctx.user, task.id)
    if seq is None:
        return ""
    try:
        FLOW.begin(ctx, LateReason.REASON, {"task_id": task.id, "number": task.number, "seq": seq})
    except SessionUnavailable:  # the completion stands; the reason can be asked another time
        return ""
    return texts.LATE_ASK


def _record(ctx, task_id: int, number: int, seq: int | None, code: str) -> str:
    node = late.set_late_reason(ctx.user, task_id, seq, code, ctx.now)
    return texts.LATE_RECORDED.format(number=number, seq=node.seq,
                                      reason=texts.LATE_REASON_NAME[code])


def got_reason(ctx):
    """The answer: a number or a reason word. (Another command never reaches here: the
    router leaves the dialog for it.)"""
    data = ctx.dialog_data
    code = reason_code(ctx.text)
    if code is None:
        return texts.LATE_ASK_AGAIN, LateReason.REASON
    try:
        return _record(ctx, data["task_id"], data["number"], data["seq"], code), None
    except DomainError as error:  # withdrawn or rolled back meanwhile: say so and stop asking
        return error.message, None


FLOW = routes.add_flow(Flow("late_reason", {LateReason.REASON: got_reason},
                            on_cancel=texts.LATE_SKIPPED, timeout=timedelta(minutes=30)))


@routes.command("延误原因", "late")
def record_late_reason(ctx):
    """延误原因 N 供应商 late — 补填逾期原因"""
    task, rest = task_ref(ctx, "延误原因")
    code = reason_code(rest)
    if code is None:
        raise Invalid(texts.LATE_USAGE)
    return _record(ctx, task.id, task.number, None, code)
