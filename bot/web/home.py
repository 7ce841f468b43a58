"""The console's landing page (我的工作台)."""
from flask import redirect, url_for

from bot.web import bp
from bot.web.workbench import render_workbench


@bp.get("")
def root():
    return redirect(url_for("web.home"))


@bp.get("/")
def home():
    return render_workbench()
