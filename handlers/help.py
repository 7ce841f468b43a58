"""帮助: the command list, generated from the routes' docstrings (never kept by hand).

`帮助` shows every command's usage grouped by feature (it must fit one WeChat reply);
`帮助 转办` shows that command's full help line.
"""
from bot.router import Routes
from handlers import texts
from handlers.replies import fit_list

routes = Routes()


@routes.command("帮助", "help", "?", "菜单", bound=False)
def show_help(ctx):
    """帮助 help — 查看全部命令；帮助 命令 看说明"""
    if ctx.args:
        return _one(ctx, ctx.args)
    groups: dict[str, list[str]] = {}
    for module, line in ctx.router.help_entries:
        group = texts.HELP_GROUPS.get(module, texts.HELP_OTHER)
        groups.setdefault(group, []).append(line.split(" — ")[0])
    lines = [f"【{group}】" + "｜".join(usages) for group, usages in groups.items()]
    reply, _ = fit_list(texts.HELP_HEADER, lines, texts.HELP_FOOTER)
    return reply


def _one(ctx, text: str) -> str:
    found = ctx.router.match_command(text.split(" ")[0])
    doc = (found[0].handler.__doc__ or "").strip().splitlines() if found else []
    return doc[0] if doc else texts.HELP_UNKNOWN.format(text=text[:20])
