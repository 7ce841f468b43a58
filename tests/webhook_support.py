"""Test-only chat routes for the transport tests, mounted on a running app."""
import time

from bot.router import Flow, Router, Routes
from handlers import ROUTES, texts


def install(app, delay: float = 0.0) -> list[str]:
    """计数 counts per sender ("oX第2次") and records who asked in the returned list;
    收集 opens a dialog that keeps every message as an item (taking `delay` seconds each)
    until 完 lists them."""
    calls = []
    extra = Routes()

    @extra.command("计数", bound=False)
    def count(ctx):
        """计数 — test only"""
        calls.append(ctx.openid)
        return f"{ctx.openid}第{calls.count(ctx.openid)}次"

    def got_item(ctx):
        if ctx.text == "完":
            return "收到：" + "、".join(ctx.dialog_data.get("items", [])), None
        items = ctx.dialog_data.get("items", [])
        time.sleep(delay)
        ctx.dialog_data["items"] = items + [ctx.text]
        return "记下了", "item"

    flow = extra.add_flow(Flow("collect", {"item": got_item}))

    @extra.command("收集", bound=False)
    def collect(ctx):
        """收集 — test only"""
        flow.begin(ctx, "item")
        return "开始收集"

    app.extensions["twork.router"] = Router(ROUTES[:-1] + [extra, ROUTES[-1]], texts)
    return calls
