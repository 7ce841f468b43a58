"""成员与权限 in the console: list and filters, create and edit with the store's refusals next
to the field, deactivate / reactivate, reset password, 授权 with a binding code and a
scan-to-bind QR code (bound through the SCAN and subscribe events), unbind, CSV import."""
import re

from handlers import texts
from store import users
from store.models import User, WeChatBinding
from tests.conftest import fake_wechat
from tests.factories import PASSWORD
from tests.web_support import Console, admin, as_user, text, world  # noqa: F401

def rows_of(response) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', text(response))

def test_list_filters_by_role_text_department_binding_and_state(admin, world):
    assert len(rows_of(admin.get("/app/settings/members"))) == 8
    assert rows_of(admin.get("/app/settings/members?role=dept_admin")) == ["dadmin"]
    assert rows_of(admin.get("/app/settings/members?q=张一")) == ["h1"]
    users.bind_wechat_by_login("o-h2", "acme", "h2", PASSWORD, users.utcnow())
    assert rows_of(admin.get("/app/settings/members?bound=yes")) == ["h2"]
    assert "h2" not in rows_of(admin.get("/app/settings/members?bound=no"))
    users.deactivate_user(world.admin, world.h3.id)
    assert rows_of(admin.get("/app/settings/members?active=no")) == ["h3"]
    assert rows_of(admin.get(f"/app/settings/members?department_id={world.dept.id}&q=admin")) == ["dadmin"]

def test_list_is_paged(admin, world):
    for n in range(15):
        User.create(company=world.company.id, account=f"p{n:02d}", name=f"p{n}", password_hash="x")
    first, second = admin.get("/app/settings/members"), admin.get("/app/settings/members?page=2")
    assert len(rows_of(first)) == 20 and "下一页</a>" in text(first)
    assert len(rows_of(second)) == 3 and "下一页</a>" not in text(second)

def test_admin_creates_a_member(admin, world):
    response = admin.post("/app/settings/members/new", {"account": "zhou", "name": "周九",
                                                        "password": "pass-123", "role": "member",
                                                        "department_id": world.dept.id, "gender": "男"})
    assert response.status_code == 303
    created = User.get(User.account == "zhou")
    assert (created.name, created.department_id, created.gender) == ("周九", world.dept.id, "男")

def test_refused_create_keeps_the_form_and_says_why(admin, world):
    response = admin.post("/app/settings/members/new", {"account": "alice", "name": "又一个",
                                                        "password": "pass-123", "role": "member"})
    page = text(response)
    assert response.status_code == 422
    assert '<div class="field-error" data-field="account">账号 alice 已存在</div>' in page
    assert 'value="又一个"' in page
    short = admin.post("/app/settings/members/new", {"account": "x1", "name": "短", "password": "1",
                                                     "role": "member"})
    assert 'data-field="password">密码至少6位' in text(short)
    assert not User.select().where(User.account == "x1").exists()

def test_admin_edits_role_and_department(admin, world):
    response = admin.post(f"/app/settings/members/{world.alice.id}",
                          {"name": "爱丽丝二", "role": "dept_admin", "department_id": "", "gender": "女"})
    assert response.status_code == 303
    alice = world.reload(world.alice)
    assert (alice.name, alice.role, alice.department_id, alice.gender) == ("爱丽丝二", "dept_admin", None, "女")
    empty = admin.post(f"/app/settings/members/{world.alice.id}", {"name": " ", "role": "member"})
    assert empty.status_code == 422 and "姓名不能为空" in text(empty)

def test_deactivate_and_reactivate(admin, world):
    admin.post(f"/app/settings/members/{world.h1.id}/deactivate")
    assert not world.reload(world.h1).active
    admin.post(f"/app/settings/members/{world.h1.id}/reactivate")
    assert world.reload(world.h1).active

def test_reset_password(app, admin, world):
    bad = admin.post(f"/app/settings/members/{world.h1.id}/password", {"password": "12"})
    assert bad.status_code == 422 and "密码至少6位" in text(bad)
    assert admin.post(f"/app/settings/members/{world.h1.id}/password",
                      {"password": "fresh-pass"}).status_code == 303
    assert Console(app.test_client()).sign_in("h1", password="fresh-pass").status_code == 303

def test_another_companys_user_is_not_found(app, admin, world):
    other, _ = users.create_company("other", "别的公司")
    stranger = users.create_user(users.operator(other.id), "x", "外人", "pass-123")
    assert admin.get(f"/app/settings/members/{stranger.id}").status_code == 404
    admin.post(f"/app/settings/members/{stranger.id}/deactivate")
    assert User.get_by_id(stranger.id).active

def authorize(admin, user):
    page = text(admin.post(f"/app/settings/members/{user.id}/authorize"))
    return re.search(r"绑定 ([A-Z0-9]{8})", page).group(1), page

def test_binding_code_binds_in_chat(app, admin, world):
    code, page = authorize(admin, world.h1)
    assert "<svg" in page
    wx = fake_wechat(app, openid="o-h1-phone")
    assert "绑定成功" in wx.say(f"绑定 {code}")
    assert WeChatBinding.get(WeChatBinding.openid == "o-h1-phone").user_id == world.h1.id

def qr_scene(page, wechat_mock):
    calls = wechat_mock.calls_to("qrcode/create")
    assert calls, "the QR code was not made through the WeChat API"
    return calls[-1]["body"]["action_info"]["scene"]["scene_str"]

def test_scanning_the_bind_qr_code_binds_a_follower(app, admin, world, wechat_mock):
    code, page = authorize(admin, world.h2)
    scene = qr_scene(page, wechat_mock)
    assert scene == f"bind:{code}"
    wx = fake_wechat(app, openid="o-h2-phone")
    reply = wx.scan(scene)
    assert reply == texts.BOUND.format(name="王二", company="acme公司")
    assert users.user_for_openid("o-h2-phone").id == world.h2.id
    # The code is single-use: someone scanning a photo of the same QR code binds nothing.
    assert fake_wechat(app, openid="o-someone").scan(scene) == texts.SCAN_BIND_FAILED
    assert users.user_for_openid("o-someone") is None

def test_following_through_the_bind_qr_code_binds(app, admin, world, wechat_mock):
    code, page = authorize(admin, world.h3)
    wx = fake_wechat(app, openid="o-h3-new")
    assert "绑定成功" in wx.subscribe(scene=qr_scene(page, wechat_mock))
    assert users.user_for_openid("o-h3-new").id == world.h3.id

def test_a_plain_scan_or_follow_is_not_a_binding(app, world):
    wx = fake_wechat(app, openid="o-visitor")
    assert wx.scan("poster-2026") == ""
    assert wx.subscribe(scene="poster-2026") == texts.WELCOME
    assert users.user_for_openid("o-visitor") is None

def test_qr_code_failure_still_shows_the_binding_code(admin, world, wechat_mock):
    wechat_mock.inject("qrcode/create", errcode=48001)
    code, page = authorize(admin, world.h1)
    assert "<svg" not in page and "请使用绑定码" in page and code

def test_authorising_a_deactivated_user_is_refused(admin, world):
    users.deactivate_user(world.admin, world.h1.id)
    response = admin.post(f"/app/settings/members/{world.h1.id}/authorize")
    assert response.status_code == 303 and "error=" in response.headers["Location"]
    assert "该用户已停用" in text(admin.get(response.headers["Location"]))

def test_admin_unbinds_a_member(admin, world):
    users.bind_wechat_by_login("o-alice", "acme", "alice", PASSWORD, users.utcnow())
    admin.post(f"/app/settings/members/{world.alice.id}/unbind")
    assert users.user_for_openid("o-alice") is None

CSV = "账号,姓名,密码,角色,部门\nzhao,赵一,pass-123,普通成员,运营部\nqian,钱二,pass-456,部门管理员,运营部\n"

def test_csv_import_creates_every_row(admin, world):
    checked = admin.post("/app/settings/members/import", {"text": CSV, "action": "check"})
    assert "检查通过" in text(checked) and not User.select().where(User.account == "zhao").exists()
    done = admin.post("/app/settings/members/import", {"text": CSV, "action": "import"})
    assert done.status_code == 200 and "已导入 2 人" in text(done)
    assert User.get(User.account == "qian").role == "dept_admin"

def test_csv_import_with_bad_rows_imports_nothing_and_lists_them(admin, world):
    bad = CSV + "alice,重复,pass-789\nsun,孙三,1\n"
    response = admin.post("/app/settings/members/import", {"text": bad, "action": "import"})
    page = text(response)
    assert response.status_code == 422 and "有2行无法导入" in page
    assert "<td>4</td><td>alice</td>" in page and "<td>5</td><td>sun</td>" in page
    assert not User.select().where(User.account == "zhao").exists()
