"""The local WeChat console holds a conversation with a running service over HTTP."""
import re
import threading
from urllib.parse import urlsplit

import requests
from werkzeug.serving import make_server

from bot.console import run_console
from bot.mock_browser import AUTHORIZE_PATH
from bot.queues import enqueue_created_notifications
from handlers import texts
from jobs import runtime
from store import users
from store.db import utcnow
from tests.chat_fixtures import jobs_use_mock  # noqa: F401
from tests.conftest import TEST_SETTINGS, make_app
from tests.factories import make_world


def test_console_talks_to_a_running_service(app, wechat_mock):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = app.config["TWORK"]
        lines = iter(["帮助", "/click NO_SUCH_MENU", "/click 我的待办", "随便说点什么", "/quit"])
        printed = []
        run_console(url=f"http://127.0.0.1:{server.port}/wechat", token=settings.WECHAT_TOKEN,
                    appid=settings.WECHAT_APPID, aes_key=None, openid="oConsole0001",
                    mock_url=wechat_mock.base_url, input_fn=lambda _prompt: next(lines),
                    print_fn=printed.append)
    finally:
        server.shutdown()
    transcript = "\n".join(printed)
    assert texts.HELP_HEADER in transcript
    assert texts.UNKNOWN_MENU in transcript
    assert texts.NEED_BIND.splitlines()[0] in transcript  # the 我的待办 click reached a bound route
    # any text from an unbound user gets the binding instructions too
    assert transcript.count(texts.NEED_BIND.splitlines()[0]) == 2


def _serve(build):
    """Serve the app `build(base_url)` makes on a free port (it must know its own address)."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start),
                         threaded=True)
    base = f"http://127.0.0.1:{server.port}"
    holder["app"] = build(base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


def test_console_plays_each_demo_person_sends_voice_and_images_and_opens_pages(
        sqlite_db, redis_url, redis_conn, wechat_mock, jobs_use_mock, worker):
    server, base = _serve(lambda base: make_app(
        sqlite_db, redis_url, wechat_mock, PUBLIC_BASE_URL=base,
        WECHAT_OAUTH_URL=wechat_mock.base_url + AUTHORIZE_PATH))
    runtime.configure(jobs_use_mock.with_overrides(PUBLIC_BASE_URL=base))  # links to this server
    try:
        w = make_world()
        setup = users.operator(w.company.id)
        people = {account: {"name": u.name, "openid": f"oDemo_{account}", "bound": False,
                            "code": users.authorize_user(setup, u.id, utcnow())[0]}
                  for account, u in (("alice", w.alice), ("h1", w.h1))}
        users.bind_wechat("oDemo_alice", people["alice"]["code"], utcnow())
        people["alice"]["bound"] = True
        lines = iter(["/as 张一", "/as alice", "新建 核对发票 @张一 明天18:00", "/as 张一",
                      "/voice 待办", "/voice", "头像", "/image", "/click 登录页", "/open", "/quit"])
        printed = []

        def typed(_prompt):
            enqueue_created_notifications(redis_conn)
            worker()  # what the service's workers do between two lines
            return next(lines)
        run_console(url=f"{base}/wechat", token=TEST_SETTINGS["WECHAT_TOKEN"],
                    appid=TEST_SETTINGS["WECHAT_APPID"], aes_key=None, openid="oDemo_alice",
                    mock_url=wechat_mock.base_url, input_fn=typed, print_fn=printed.append,
                    base_url=base, people=people)
        transcript = "\n".join(printed)
        assert "明文模式" in transcript.splitlines()[0]
        assert "绑定成功" in transcript and users.user_for_openid("oDemo_h1").id == w.h1.id
        # Back as 张一: the template message that came meanwhile, with a page to open.
        after = transcript.split("（现在的身份：张一 oDemo_h1）")[2]
        assert after.index("[模板消息] #1 核对发票") < after.index("待处理") < after.index("打开：")
        assert "1. #1 核对发票" in after  # /voice 待办 answered like 待办
        assert texts.VOICE_EMPTY in transcript
        assert texts.AVATAR_RECEIVED in transcript and texts.AVATAR_DONE in transcript
        opens = re.findall(r"(?:打开：|在浏览器打开：)(\S+)", transcript)
        assert len(opens) == 3
        for link in opens:  # each signs 张一 in through the mock's OAuth and shows the page
            page = requests.get(link, timeout=10)
            assert page.status_code == 200 and "张一" in page.text, link
            assert urlsplit(page.url).netloc == urlsplit(base).netloc
    finally:
        server.shutdown()
