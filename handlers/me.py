"""我的 and 统计: my page of SPEC §4 in chat, and the admins' month / week statistics."""
from bot.router import Routes
from handlers import texts
from handlers.replies import clip, fit_list, local, short
from menus.keys import MenuKey
from store import me, stats

routes = Routes()


@routes.command("我的", "me", "个人中心", args=False)
@routes.click(MenuKey.ME)
def show_me(ctx):
    """我的 me — 我的待办、已办、逾期和本月情况"""
    page = me.my_page(ctx.user, ctx.now)
    counts, month = page["counts"], page["this_month"]
    gender = texts.GENDER.get((page["gender"] or "").lower())
    lines = [texts.ME_HEAD.format(name=page["name"], gender=f"（{gender}）" if gender else "",
                                  **counts),
             texts.ME_MONTH.format(month=month["month"], completed=month["completed"],
                                   on_time=month["on_time"], rate=month["on_time_rate_display"]),
             texts.ME_CHART + "　".join(
                 texts.ME_CHART_ITEM.format(month=int(m["month"][5:]), received=m["received"],
                                            completed=m["completed"]) for m in page["monthly"]),
             texts.ME_AVATAR.format(state=texts.ME_AVATAR_SET if page["avatar"]
                                    else texts.ME_AVATAR_NONE)]
    late = [f"#{t['number']} {short(t['title'], 20)} · {local(t['due_at'], ctx.tz)}"
            for t in month["overdue_tasks"]]
    if not late:
        return clip("\n".join(lines + [texts.ME_FOOTER]))
    reply, _ = fit_list("\n".join(lines) + "\n" + texts.ME_OVERDUE, late, texts.ME_FOOTER)
    return reply


def _late_line(late: dict) -> str:
    """"本月逾期完成 3 项，原因：供应商 2、缺货 1" (reasons with none are left out)."""
    total = sum(late.values())
    if not total:
        return texts.STATS_LATE_NONE
    names = {**texts.LATE_REASON_NAME, "unknown": texts.LATE_REASON_UNKNOWN}
    reasons = "、".join(f"{names.get(reason, reason)} {n}" for reason, n in late.items() if n)
    return texts.STATS_LATE.format(total=total, reasons=reasons)


@routes.command("统计", "stats", args=False)
@routes.click(MenuKey.STATS)
def show_stats(ctx):
    """统计 stats — 管理员：本月和本周的完成率、按时率、逾期原因"""
    today = ctx.now.astimezone(ctx.user.company.zone).date()
    month = stats.month_stats(ctx.user, today, now=ctx.now)
    week = stats.week_stats(ctx.user, today, now=ctx.now)
    head = "\n".join([
        texts.STATS_MONTH.format(start=month["start"], end=month["end"],
                                 received=month["received"], completed=month["completed"],
                                 completion=month["completion_rate_display"],
                                 on_time=month["on_time"],
                                 on_time_rate=month["on_time_rate_display"]),
        texts.STATS_WEEK.format(start=week["start"], end=week["end"], received=week["received"],
                                completed=week["completed"],
                                completion=week["completion_rate_display"]),
        _late_line(month["late_by_reason"]),
        texts.STATS_MEMBERS])
    weekly = {m["user_id"]: m for m in week["members"]}
    lines = []
    for member in month["members"]:
        w = weekly.get(member["user_id"], {})
        lines.append(texts.STATS_MEMBER.format(
            name=short(member["name"], 10), m_done=member["done"], m_todo=member["todo"],
            overdue=member["overdue_total"], w_done=w.get("done", 0), w_todo=w.get("todo", 0),
            w_rate=w.get("completion_rate_display", "—")))
    reply, _ = fit_list(head, lines)
    return reply
