"""The local WeChat console holds a conversation with a running service over HTTP."""
import threading

from werkzeug.serving import make_server

from bot.console import run_console
from handlers import texts


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
