"""The official-account menu as data, and its conversion to WeChat's menu/create JSON.

Limits (自定义菜单 doc, https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html):
at most 3 top-level buttons of 16 bytes, each with at most 5 sub-buttons of 60 bytes. The
login page is a `view` button that goes through OAuth snsapi_base, so the page learns the
openid silently and can bind it after account + password + customer code.
"""
from dataclasses import dataclass

from wechatpy.oauth import WeChatOAuth

from menus.keys import MenuKey

LOGIN_PATH = "/m/login"


@dataclass(frozen=True)
class Click:
    name: str
    key: MenuKey


@dataclass(frozen=True)
class Login:
    """A view button to the login page, wrapped in the OAuth snsapi_base redirect."""
    name: str


@dataclass(frozen=True)
class Sub:
    name: str
    buttons: tuple


MENU = (
    Sub("任务", (Click("我的待办", MenuKey.TODO), Click("新建任务", MenuKey.NEW_TASK),
                Click("我的项目", MenuKey.PROJECTS))),
    Sub("消息", (Click("消息列表", MenuKey.MESSAGES), Click("待处理", MenuKey.PENDING))),
    Sub("我的", (Click("个人中心", MenuKey.ME), Click("统计", MenuKey.STATS),
                Click("公告", MenuKey.NEWS), Click("反馈", MenuKey.FEEDBACK), Login("登录页"))),
)


def clicks(menu=MENU) -> dict[str, str]:
    """Every click button of the menu: its label → its key."""
    return {button.name: str(button.key)
            for item in menu for button in (item.buttons if isinstance(item, Sub) else (item,))
            if isinstance(button, Click)}


def click_keys(menu=MENU) -> set[str]:
    """Every click key in the menu (tests check each one has a route)."""
    return set(clicks(menu).values())


def login_url(settings) -> str:
    redirect = settings.PUBLIC_BASE_URL.rstrip("/") + LOGIN_PATH
    return WeChatOAuth(settings.WECHAT_APPID, settings.WECHAT_APPSECRET, redirect,
                       scope="snsapi_base", state="login").authorize_url


def _button(item, settings) -> dict:
    if isinstance(item, Click):
        return {"type": "click", "name": item.name, "key": str(item.key)}
    if isinstance(item, Login):
        return {"type": "view", "name": item.name, "url": login_url(settings)}
    return {"name": item.name, "sub_button": [_button(b, settings) for b in item.buttons]}


def to_wechat(menu, settings) -> dict:
    """The body of POST /cgi-bin/menu/create."""
    return {"button": [_button(item, settings) for item in menu]}
