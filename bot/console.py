"""The local WeChat console: type as a WeChat user against a running Twork service.

It signs (and in safe mode encrypts) real WeChat XML with FakeWeChat, posts it to the
webhook, prints the reply, and prints the template messages the service sent to this
user through the local mock of the WeChat API.
"""
import requests

from bot.fakewechat import FakeWeChat

BANNER = """Twork 本地微信控制台 — 以微信用户 {openid} 的身份聊天
  直接输入文字 = 发送消息；/menu = 菜单；/click 我的待办 = 点击菜单（名称或 KEY）
  /follow、/unfollow = 关注/取消关注；/as OPENID = 换一个微信用户；/quit 退出。先试试：帮助"""


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


def menu_text() -> str:
    from menus.main import MENU, Sub
    lines = []
    for item in MENU:
        names = [b.name for b in (item.buttons if isinstance(item, Sub) else (item,))]
        lines.append(f"{item.name}：" + " | ".join(names))
    return "\n".join(lines)


def run_console(*, url: str, token: str, appid: str, aes_key: str | None, openid: str,
                mock_url: str | None, input_fn=input, print_fn=print):
    if not token or not appid:
        raise SystemExit("need the webhook token and appid: start the demo first "
                         "(it writes instance/demo.json), or pass --token/--appid")
    session = requests.Session()

    def post(query, body):
        response = session.post(url, params=query, data=body, timeout=10,
                                headers={"Content-Type": "text/xml"})
        return response.status_code, response.text

    wx = FakeWeChat(post, token=token, appid=appid, aes_key=aes_key, openid=openid)
    print_fn(BANNER.format(openid=openid))
    seen = {"n": _sent(session, mock_url, wx.openid, -1, print_fn=print_fn)}
    while True:
        try:
            line = input_fn("你> ").strip()
        except (EOFError, KeyboardInterrupt):
            print_fn("")
            return
        if line in ("/quit", "/exit"):
            return
        if line.startswith("/as "):
            wx.openid = line[4:].strip()
            seen["n"] = _sent(session, mock_url, wx.openid, -1, print_fn=None)
            print_fn(f"（现在的身份：{wx.openid}）")
            continue
        if line == "/menu":
            print_fn(menu_text())
            continue
        if line.startswith("/click "):
            reply = wx.click(menu_key(line[7:].strip()))
        elif line == "/follow":
            reply = wx.subscribe()
        elif line == "/unfollow":
            reply = wx.unsubscribe()
        elif line:
            reply = wx.say(line)
        else:
            reply = ""
        if wx.last_status and wx.last_status != 200:
            print_fn(f"[HTTP {wx.last_status}] {wx.last_body}")
        elif reply:
            print_fn("Twork> " + reply.replace("\n", "\n       "))
        seen["n"] = _sent(session, mock_url, wx.openid, seen["n"], print_fn=print_fn)


def _sent(session, mock_url, openid, after, *, print_fn):
    """Print template/customer messages the mock received for `openid` since `after`."""
    if not mock_url:
        return after
    try:
        items = session.get(f"{mock_url}/_mock/sent", params={"openid": openid, "after": after},
                            timeout=3).json()
    except (requests.RequestException, ValueError):
        return after
    for item in items:
        if print_fn:
            if item.get("kind") == "template":
                fields = "；".join(f"{v.get('value', v) if isinstance(v, dict) else v}"
                                  for v in (item.get("data") or {}).values())
                print_fn(f"[模板消息] {fields}  {item.get('url') or ''}")
            else:
                print_fn(f"[客服消息] {item.get('text')}")
        after = max(after, item.get("index", after))
    return after
