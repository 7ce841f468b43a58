"""Demo mode: the whole service on one machine with nothing to configure.

SQLite file, a demo company with a few people, a project and tasks (made on first run),
a local mock of the WeChat API that receives the template messages, an in-process Redis
and jobs run inline in this process (the only place these stand-ins are allowed: the app is
created with DEMO set). `python -m bot chat` then talks to it.
"""
import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.mock_browser import AUTHORIZE_PATH
from bot.mock_wechat import MockWeChat

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the demo company's time zone

log = logging.getLogger("twork.demo")

DEMO = {
    "WECHAT_TOKEN": "tworkdemo",
    "WECHAT_APPID": "wxdemo00000001",
    "WECHAT_APPSECRET": "demo-app-secret",
    "WECHAT_TEMPLATE_TASK": "demo-task-template",
    "TWORK_PLATFORM_KEY": "demo-platform-key",
}
CONSOLE_OPENID = "oDemoUser0001"
DEMO_STATE = Path("instance/demo.json")  # where `python -m bot chat` finds the running demo
PASSWORD = "demo1234"
COMPANY = "DEMO"
ACCOUNTS = ("admin", "zhangsan", "lisi", "wangwu", "zhaoliu")


def demo_openid(account: str) -> str:
    """The WeChat user the console plays for each demo account (张三 is the default one)."""
    return CONSOLE_OPENID if account == "zhangsan" else f"oDemo_{account}"


def seed(now):
    """Create the demo company once (张三 bound to the console's default WeChat user);
    return the company."""
    from store import directory, projects, tasks, users, workflow
    from store.models import Company

    company = Company.get_or_none(Company.code == COMPANY)
    if company is not None:
        return company
    company, _key = users.create_company(COMPANY, "演示跨境电商有限公司")
    setup = users.operator(company.id)
    depts = {name: directory.create_department(setup, name) for name in ("采购部", "仓储部", "客服部")}
    people = {}
    for account, name, role, dept, gender in [
            ("admin", "周经理", "company_admin", None, "男"),
            ("zhangsan", "张三", "dept_admin", "采购部", "男"),
            ("lisi", "李四", "member", "采购部", "女"),
            ("wangwu", "王五", "member", "仓储部", "男"),
            ("zhaoliu", "赵六", "member", "客服部", "女")]:
        people[account] = users.create_user(
            setup, account, name, PASSWORD, role=role, gender=gender, authorized=True,
            department_id=depts[dept].id if dept else None)
    code, _ = users.authorize_user(setup, people["zhangsan"].id, now)
    users.bind_wechat(CONSOLE_OPENID, code, now)

    zhang, li, wang = people["zhangsan"], people["lisi"], people["wangwu"]
    project = projects.create_project(zhang, "采购跟进", member_ids=[li.id, wang.id, people["admin"].id],
                                      business_types=["采购", "到货", "质检"])
    tasks.create_task(zhang, project.id, "核对PO20261130到货数量", due_at=now + timedelta(hours=5),
                      now=now, business_type="到货", priority="high")
    tasks.create_task(li, project.id, "联系义乌乙补发缺货SKU A1024", due_at=now + timedelta(days=2),
                      now=now, assignee_id=zhang.id, business_type="采购")
    flow = tasks.create_task(
        li, project.id, "12月备货计划审批", due_at=now + timedelta(days=3), now=now,
        business_type="采购", nodes=[{"handler_id": li.id, "items": "整理备货清单"},
                                   {"handler_id": zhang.id, "items": "审批数量与预算"},
                                   {"handler_id": wang.id, "items": "安排入库"}])
    workflow.complete(li, flow.id, now)
    return company


def binding_codes(company, now) -> dict[str, dict]:
    """A fresh one-time binding code for every demo user, with the WeChat user the console
    plays for them and whether it is bound yet: account → {name, openid, code, bound} (what
    `/as NAME` binds with)."""
    from store import users
    from store.models import User
    setup = users.operator(company.id)
    people = {}
    for user in User.scoped(company.id).where(User.account.in_(ACCOUNTS)).order_by(User.id):
        code, _ = users.authorize_user(setup, user.id, now)
        openid = demo_openid(user.account)
        bound = getattr(users.user_for_openid(openid), "id", None) == user.id
        people[user.account] = {"name": user.name, "openid": openid, "code": code, "bound": bound}
    return people


def run_demo(host: str = "127.0.0.1", port: int = 8000, database_url: str | None = None):
    from bot import create_app
    from bot.queues import enqueue_created_notifications
    from store.db import db, utcnow
    from store import apikeys
    from store.quiet import quiet_until

    mock = MockWeChat(appid=DEMO["WECHAT_APPID"], secret=DEMO["WECHAT_APPSECRET"])
    mock.start()
    base = f"http://{host}:{port}"
    config = {**DEMO, "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", base),
              "WECHAT_API_BASE": mock.base_url,
              "DATABASE_URL": database_url or os.environ.get("DATABASE_URL")
              or "sqlite:///instance/demo.sqlite3"}
    if os.environ.get("WECHAT_AES_KEY"):
        config["WECHAT_AES_KEY"] = os.environ["WECHAT_AES_KEY"]
    # The pages' OAuth goes to the mock, which signs in the WeChat user the console names.
    config["WECHAT_OAUTH_URL"] = mock.base_url + AUTHORIZE_PATH
    # The settings go through the environment, so that the jobs run inline read the same ones.
    os.environ.update({name: value for name, value in config.items() if value})
    os.environ.pop("REDIS_URL", None)
    app = create_app({"DEMO": True})
    scheduler = _start_reminders(app)

    with db.connection_context():
        company = seed(utcnow())
        people = binding_codes(company, utcnow())
        held_until = quiet_until(company, utcnow())
        _row, api_key = apikeys.issue(company.id, "demo", "admin")
        enqueue_created_notifications(app.extensions["twork.redis"])  # the seed's notices

    DEMO_STATE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_STATE.write_text(json.dumps({
        "webhook_url": f"{base}/wechat", "base_url": config["PUBLIC_BASE_URL"],
        "token": DEMO["WECHAT_TOKEN"], "appid": DEMO["WECHAT_APPID"],
        "aes_key": config.get("WECHAT_AES_KEY"), "openid": CONSOLE_OPENID, "mock_url": mock.base_url,
        "database_url": config["DATABASE_URL"], "company": COMPANY, "people": people,
    }, ensure_ascii=False, indent=2))
    print(banner(base, mock.base_url, config, api_key, people, held_until), flush=True)
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        scheduler.shutdown(wait=False)
        mock.stop()


def banner(base: str, mock_url: str, config: dict, api_key: str, people: dict,
           held_until=None) -> str:
    """What the demo prints at start: where everything is, safe mode or not, a binding code
    for every demo user, and whether quiet hours hold the notices right now."""
    safe = ("ON: pushes are AES-encrypted (WECHAT_AES_KEY set); the console encrypts too"
            if config.get("WECHAT_AES_KEY") else
            "off: plaintext pushes (set WECHAT_AES_KEY to 43 letters/digits to try safe mode)")
    quiet = (f"  quiet hours   now (Shanghai time): notices that are not urgent wait until "
             f"{held_until.astimezone(SHANGHAI):%H:%M}\n" if held_until else "")
    codes = "\n".join(f"    {p['name']}（{account}）  绑定 {p['code']}"
                      for account, p in people.items())
    return f"""
Twork demo is running (SQLite: {config['DATABASE_URL']}; jobs run in this process, no Redis needed)
  webhook URL   {base}/wechat     token: {DEMO['WECHAT_TOKEN']}   appid: {DEMO['WECHAT_APPID']}
  safe mode     {safe}
  WeChat API    {mock_url}  (local mock; template messages are printed in the console)
  admin API     {base}/api/v1     Authorization: Bearer {api_key}   X-Twork-User: admin
  API docs      {base}/api/v1/docs
  demo login    customer code {COMPANY}, accounts {' / '.join(ACCOUNTS)}, password {PASSWORD}
  chat          in another terminal: .venv/bin/python -m bot chat   (you are 张三)
                in the console, /as 李四 becomes 李四 (bound for you); /open opens a page
{quiet}  binding codes (one-time, 24 h; send from a new WeChat user, e.g. after /as oNewUser0002):
{codes}
  more codes    .venv/bin/python -m bot authorize [--account lisi]
"""


def _start_reminders(app):
    """The demo is one process, so the scheduler's minute runs on a thread here and its jobs
    run inline (production runs the `scheduler` and `worker` processes)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from bot.queues import enqueue_minute
    redis = app.extensions["twork.redis"]

    def tick():
        try:
            enqueue_minute(redis)
        except Exception:
            log.exception("demo reminder tick failed")

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "cron", second=0, coalesce=True, max_instances=1)
    scheduler.start()
    return scheduler
