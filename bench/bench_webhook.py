"""How much the webhook costs per WeChat message, against the cheapest request the same
app serves (GET /healthz) measured in the same run.

    .venv/bin/python -m bench.bench_webhook [N]

The figures that matter are the ratios: this machine is shared, absolute times are noisy.
WeChat's limit is 5 s per push; hostile bodies must be refused within 100 ms.
"""
import sys
from datetime import datetime, timedelta, timezone

from bench.common import bench_app, summary, timed
from bot.fakewechat import FakeWeChat
from bot.mock_wechat import MockWeChat


def seed(now):
    from store import projects, tasks, users
    company, _ = users.create_company("BENCH", "基准公司")
    boss = users.create_user(users.operator(company.id), "boss", "老板", "benchpass", role="company_admin", authorized=True)
    code, _ = users.authorize_user(boss, boss.id, now)
    users.bind_wechat("oBench0001", code, now)
    project = projects.create_project(boss, "基准项目")
    for i in range(200):
        tasks.create_task(boss, project.id, f"基准任务{i}", due_at=now + timedelta(hours=1 + i), now=now)


def main(n: int = 300):
    from store.db import db
    with MockWeChat() as mock, bench_app(mock) as app:
        with db.connection_context():
            seed(datetime.now(timezone.utc))
        client = app.test_client()

        def post(query, body):
            r = client.post("/wechat", query_string=query, data=body)
            return r.status_code, r.get_data(as_text=True)

        wx = FakeWeChat(post, token="benchtoken", appid="wxbench0000001", openid="oBench0001")
        results = {
            "GET /healthz (baseline)": summary(timed(lambda: client.get("/healthz"), n)),
            "帮助 (help)": summary(timed(lambda: wx.say("帮助"), n)),
            "待办 (to-do of 200 tasks)": summary(timed(lambda: wx.say("待办"), n)),
            "billion-laughs body → 400": summary(timed(lambda: wx.post_xml(
                b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'), n)),
        }
    base = results["GET /healthz (baseline)"]["median_ms"]
    print(f"| request | median ms | p95 ms | × baseline |\n|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row['median_ms']:.2f} | {row['p95_ms']:.2f} | {row['median_ms'] / base:.1f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
