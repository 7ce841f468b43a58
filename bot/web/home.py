"""The console's landing page (我的工作台)."""
from flask import redirect, render_template, url_for

from bot.web import bp


@bp.get("")
def root():
    return redirect(url_for("web.home"))


@bp.get("/")
def home():
    return render_template("app/home.html")
