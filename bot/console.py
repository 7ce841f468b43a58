"""The local WeChat console: type as a WeChat user against a running Twork service.

It signs (and in safe mode encrypts) real WeChat XML with FakeWeChat, posts it to the
webhook, prints the reply, and prints the template messages the service sent to this
user through the local mock of the WeChat API. A page (a template message's link, the
menu's view button, `/open`) is printed as an address on the mock that signs the browser
in as this WeChat user through the mock's OAuth (bot.mock_browser), then opens the page.
"""
from pathlib import Path

import requests

from bot.fakewechat import FakeWeChat
from bot.mock_browser import open_url

BANNER = """Twork 本地微信控制台 — 以微信用户 {who} 的身份聊天（{mode}）
  直接输入文字 = 发送消息；/menu = 菜单；/click 我的待办 = 点击菜单（名称或 KEY）
  /voice 完成一 = 语音（识别文字）；/image [图片文件] = 发图片；/open [网址] = 在浏览器打开页面
  /as 李四 = 换成演示用户（自动绑定）或 /as OPENID；/follow、/unfollow；/quit 退出。先试试：帮助"""


def sample_jpeg() -> bytes:
    """What /image sends when no file is named: a small green square."""
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (96, 96), (7, 193, 96)).save(out, "JPEG")
    return out.getvalue()


def menu_key(choice: str) -> str:
    """A menu button's key from its label ("我的待办"), its enum name (TODO) or the key itself."""
    from menus.keys import MenuKey
    from menus.main import clicks
    labels = clicks()
    if choice in labels:
        return labels[choice]
    if choice.upper() in MenuKey.__members__:
        return str(MenuKey[choice.upper()])
    return choice


def view_path(choice: str) -> str | None:
    """The page a view button (the login page) opens, by its label; None for other buttons."""
    from menus.main import LOGIN_PATH, MENU, Login, Sub
    for item in MENU:
        for button in (item.buttons if isinstance(item, Sub) else (item,)):
            if isinstance(button, Login) and button.name == choice:
                return LOGIN_PATH
    return None


def menu_text() -> str:
    from menus.main import MENU, Sub
    lines = []
    for item in MENU:
        names = [b.name for b in (item.buttons if isinstance(item, Sub) else (item,))]
        lines.append(f"{item.name}：" + " | ".join(names))
    return "\n".join(lines)


class Console:
    """One console session: who we are, what each WeChat user has been shown, the demo's
    people (`people`: account → {name, openid, code}) for `/as NAME`."""

    def __init__(self, wx: FakeWeChat, session, *, mock_url: str | None, base_url: str,
                 people: dict, print_fn):
        self.wx, self.session, self.mock_url, self.base_url = wx, session, mock_url, base_url
        self.people, self.print = people, print_fn
        self.bound_here: set[str] = {wx.openid}  # the user the console starts as is bound
        # Each WeChat user sees what reached them since the console started (or since they
        # last looked): /as shows what came meanwhile.
        self.start = self._latest()
        self.seen: dict[str, int] = {}

    def _fetch(self, openid, after) -> list[dict]:
        if not self.mock_url:
            return []
        params = {"after": after} if openid is None else {"openid": openid, "after": after}
        try:
            return self.session.get(f"{self.mock_url}/_mock/sent", params=params, timeout=3).json()
        except (requests.RequestException, ValueError):
            return []

    def _latest(self) -> int:
        return max([item.get("index", 0) for item in self._fetch(None, 0)], default=0)

    def show_sent(self) -> None:
        """Print the template / customer-service messages this user got since last time."""
        openid = self.wx.openid
        for item in self._fetch(openid, self.seen.get(openid, self.start)):
            if item.get("kind") == "template":
                fields = "；".join(str(v) for v in (item.get("data") or {}).values())
                self.print(f"[模板消息] {fields}")
                if item.get("url"):
                    self.print(f"           打开：{self.page(item['url'])}")
            else:
                self.print(f"[客服消息] {item.get('text')}")
            self.seen[openid] = max(self.seen.get(openid, self.start), item.get("index", 0))

    def page(self, url: str) -> str:
        """An address that opens `url` signed in as this WeChat user (through the mock)."""
        if "://" not in url:
            url = self.base_url.rstrip("/") + "/" + url.lstrip("/")
        return open_url(self.mock_url, self.wx.openid, url) if self.mock_url else url

    def become(self, who: str) -> None:
        """/as: a demo person by name or account (bound on first use), else an openid."""
        person = next((dict(p, account=a) for a, p in self.people.items()
                       if who in (a, p.get("name"))), None)
        self.wx.openid = person["openid"] if person else who
        self.print(f"（现在的身份：{person['name'] + ' ' if person else ''}{self.wx.openid}）")
        if person and person.get("code") and not person.get("bound") \
                and self.wx.openid not in self.bound_here:
            self.bound_here.add(self.wx.openid)
            reply = self.wx.say(f"绑定 {person['code']}")
            if reply.startswith("绑定成功"):
                self.print("Twork> " + reply.replace("\n", "\n       "))
        self.show_sent()

    def image(self, path: str) -> str:
        data = Path(path).expanduser().read_bytes() if path else sample_jpeg()
        if not self.mock_url:
            raise SystemExit("need the mock's address (--mock-url) to send an image")
        media_id = self.session.post(f"{self.mock_url}/_mock/media", data=data, timeout=5,
                                     params={"type": "image/jpeg"}).json()["media_id"]
        return self.wx.image(media_id, f"{self.mock_url}/media/{media_id}")

    def one(self, line: str) -> str | None:
        """Act on one typed line; the reply to print, or None."""
        if line.startswith("/as "):
            self.become(line[4:].strip())
            return None
        if line == "/menu":
            self.print(menu_text())
            return None
        if line == "/open" or line.startswith("/open "):
            self.print("在浏览器打开：" + self.page(line[5:].strip() or "/m/me"))
            return None
        if line.startswith("/click "):
            choice = line[7:].strip()
            path = view_path(choice)
            if path:
                self.print("在浏览器打开：" + self.page(path))
                return None
            return self.wx.click(menu_key(choice))
        if line == "/voice" or line.startswith("/voice "):
            return self.wx.voice(line[6:].strip())
        if line == "/image" or line.startswith("/image "):
            try:
                return self.image(line[6:].strip())
            except OSError as error:
                self.print(f"读不了图片：{error}")
                return None
        if line == "/follow":
            return self.wx.subscribe()
        if line == "/unfollow":
            return self.wx.unsubscribe()
        return self.wx.say(line) if line else ""


def run_console(*, url: str, token: str, appid: str, aes_key: str | None, openid: str,
                mock_url: str | None, input_fn=input, print_fn=print, base_url: str | None = None,
                people: dict | None = None):
    if not token or not appid:
        raise SystemExit("need the webhook token and appid: start the demo first "
                         "(it writes instance/demo.json), or pass --token/--appid")
    session = requests.Session()

    def post(query, body):
        response = session.post(url, params=query, data=body, timeout=10,
                                headers={"Content-Type": "text/xml"})
        return response.status_code, response.text

    wx = FakeWeChat(post, token=token, appid=appid, aes_key=aes_key, openid=openid)
    console = Console(wx, session, mock_url=mock_url, people=people or {}, print_fn=print_fn,
                      base_url=base_url or url.rsplit("/wechat", 1)[0])
    me = next((p["name"] for p in (people or {}).values() if p.get("openid") == openid), "")
    print_fn(BANNER.format(who=f"{me} {openid}".strip(), mode="安全模式" if aes_key else "明文模式"))
    console.seen[openid] = 0  # what the demo's seed sent to this user is shown at the start
    console.show_sent()
    while True:
        try:
            line = input_fn("你> ").strip()
        except (EOFError, KeyboardInterrupt):
            print_fn("")
            return
        if line in ("/quit", "/exit"):
            return
        reply = console.one(line)
        if wx.last_status and wx.last_status != 200:
            print_fn(f"[HTTP {wx.last_status}] {wx.last_body}")
        elif reply:
            print_fn("Twork> " + reply.replace("\n", "\n       "))
        console.show_sent()
