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

from bot.mock_wechat import MockWeChat

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


def seed(now):
    """Create the demo company once; return (company, binding code for 李四)."""
    from store import directory, projects, tasks, users, workflow
    from store.models import Company

    company = Company.get_or_none(Company.code == "DEMO")
    if company is not None:
        return company, None
    company, _key = users.create_company("DEMO", "演示跨境电商有限公司")
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
    li_code, _ = users.authorize_user(setup, li.id, now)
    return company, li_code


def run_demo(host: str = "127.0.0.1", port: int = 8000, database_url: str | None = None):
    from bot import create_app
    from bot.queues import enqueue_created_notifications
    from store.db import db, utcnow
    from store import apikeys

    mock = MockWeChat(appid=DEMO["WECHAT_APPID"], secret=DEMO["WECHAT_APPSECRET"])
    mock.start()
    base = f"http://{host}:{port}"
    config = {**DEMO, "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", base),
              "WECHAT_API_BASE": mock.base_url,
              "DATABASE_URL": database_url or os.environ.get("DATABASE_URL")
              or "sqlite:///instance/demo.sqlite3"}
    if os.environ.get("WECHAT_AES_KEY"):
        config["WECHAT_AES_KEY"] = os.environ["WECHAT_AES_KEY"]
    # The settings go through the environment, so that the jobs run inline read the same ones.
    os.environ.update({name: value for name, value in config.items() if value})
    os.environ.pop("REDIS_URL", None)
    app = create_app({"DEMO": True})
    scheduler = _start_reminders(app)

    with db.connection_context():
        company, li_code = seed(utcnow())
        _row, api_key = apikeys.issue(company.id, "demo", "admin")
        enqueue_created_notifications(app.extensions["twork.redis"])  # the seed's notices

    DEMO_STATE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_STATE.write_text(json.dumps({
        "webhook_url": f"{base}/wechat", "token": DEMO["WECHAT_TOKEN"], "appid": DEMO["WECHAT_APPID"],
        "aes_key": config.get("WECHAT_AES_KEY"), "openid": CONSOLE_OPENID, "mock_url": mock.base_url,
    }, ensure_ascii=False, indent=2))
    print(f"""
Twork demo is running (SQLite: {config['DATABASE_URL']}; jobs run in this process, no Redis needed)
  webhook URL   {base}/wechat     token: {DEMO['WECHAT_TOKEN']}   appid: {DEMO['WECHAT_APPID']}
  WeChat API    {mock.base_url}  (local mock; template messages are printed in the console)
  admin API     {base}/api/v1     Authorization: Bearer {api_key}   X-Twork-User: admin
  API docs      {base}/api/v1/docs
  demo login    customer code DEMO, accounts admin / zhangsan / lisi / wangwu / zhaoliu, password {PASSWORD}
  chat          in another terminal: .venv/bin/python -m bot chat   (you are 张三)
{f"  try binding   /as oNewUser0002  then  绑定 {li_code}   (becomes 李四)" if li_code else ""}
""", flush=True)
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        scheduler.shutdown(wait=False)
        mock.stop()


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
