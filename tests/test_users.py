"""Companies, API keys (store.apikeys), users, passwords, login, binding codes and WeChat bindings (SPEC §1)."""
from datetime import timedelta

import pytest

from store import apikeys, directory, projects, users
from store.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from store.models import ApiKey, BindingCode, Project, Template, User, WeChatBinding
from tests.factories import NOW, PASSWORD, make_outsider, make_user, make_world


def test_company_gets_builtin_templates_erp_project_and_working_key(any_db):
    company, key = users.create_company("acme", "甲公司")
    assert {(t.name, t.builtin) for t in Template.select()} == {("简易任务", "simple"),
                                                                ("工作流空模板", "empty")}
    assert projects.erp_project(company.id).name == "ERP通知"
    assert Project.get().kind == "erp"
    assert apikeys.company_for_key(key).id == company.id
    assert not ApiKey.select().where(ApiKey.key_hash == key).exists()  # only the hash is kept
    assert ApiKey.get().prefix == key[:10] and ApiKey.get().scope == "admin"
    with pytest.raises(Conflict):
        users.create_company("acme", "重复")
    with pytest.raises(Invalid, match="时区"):
        users.create_company("bb", "乙", timezone="Mars/Base")
    for bad in ("a b/c", "x", "甲公司", "a" * 33):  # the code travels in headers and forms
        with pytest.raises(Invalid, match="客户代码"):
            users.create_company(bad, "乙")


def test_revoked_or_unknown_api_key_finds_no_company(any_db):
    company, key = users.create_company("acme", "甲公司")
    other, _ = users.create_company("other", "乙公司")
    admin = make_user(company.id, "admin", "company_admin")
    member = make_user(company.id, "m1")
    row, second = apikeys.create_key(admin, "erp", "erp")
    with pytest.raises(NotFound):
        apikeys.revoke_key(make_user(other.id, "oadmin", "company_admin"), row.id, NOW)
    with pytest.raises(Forbidden):
        apikeys.revoke_key(member, row.id, NOW)
    assert apikeys.find_key(second).scope == "erp"
    apikeys.revoke_key(admin, row.id, NOW)
    assert apikeys.company_for_key(second) is None
    assert apikeys.company_for_key(key).id == company.id
    assert apikeys.company_for_key("tw_guess") is None and apikeys.company_for_key("") is None


def test_rotating_a_key_replaces_it_with_one_of_the_same_scope(any_db):
    company, _ = users.create_company("acme", "甲公司")
    admin = make_user(company.id, "admin", "company_admin")
    old, old_plain = apikeys.create_key(admin, "报表", "read")
    new, new_plain = apikeys.rotate_key(admin, old.id, NOW)
    assert apikeys.find_key(old_plain) is None
    assert (new.name, new.scope) == ("报表", "read") and apikeys.find_key(new_plain).id == new.id
    with pytest.raises(Refused):
        apikeys.rotate_key(admin, old.id, NOW)
    with pytest.raises(Invalid, match="权限"):
        apikeys.create_key(admin, "x", "root")


def test_password_is_stored_as_scrypt_hash_and_login_needs_authorisation(any_db):
    company, _ = users.create_company("acme", "甲公司")
    setup = users.operator(company.id)
    user = users.create_user(setup, "zhang", "张三", "s3cret-pw")
    stored = User.get_by_id(user.id).password_hash
    assert stored.startswith("scrypt:") and "s3cret-pw" not in stored
    assert users.login("acme", "zhang", "s3cret-pw") is None  # not authorised yet
    users.authorize_user(setup, user.id, NOW)
    assert users.login("acme", "zhang", "s3cret-pw").id == user.id
    assert users.login("acme", "zhang", "wrong") is None
    assert users.login("other", "zhang", "s3cret-pw") is None
    assert users.login("ac\x00me", "zhang", "s3cret-pw") is None  # the login page's form
    assert users.login("acme", "zh\x00ang", "s3cret-pw") is None
    users.deactivate_user(setup, user.id)
    assert users.login("acme", "zhang", "s3cret-pw") is None


def test_user_validation_role_account_department(any_db):
    company, _ = users.create_company("acme", "甲公司")
    other, _ = users.create_company("other", "乙公司")
    foreign_dept = directory.create_department(users.operator(other.id), "外部")
    make_user(company.id, "li")
    with pytest.raises(Conflict, match="已存在"):
        make_user(company.id, "li")
    with pytest.raises(Invalid, match="角色"):
        make_user(company.id, "wang", role="boss")
    with pytest.raises(Invalid, match="部门"):
        make_user(company.id, "zhao", department_id=foreign_dept.id)
    with pytest.raises(Invalid, match="密码"):
        users.create_user(users.operator(company.id), "qian", "钱", "123")
    assert make_user(other.id, "li").company_id == other.id  # accounts are per company
    with pytest.raises(Conflict, match="已存在"):
        directory.create_department(users.operator(other.id), "外部")


def test_binding_code_is_single_use_and_expires(any_db):
    w = make_world()
    code, expires = users.authorize_user(w.admin, w.alice.id, NOW)
    assert 6 <= len(code) <= 8 and expires == NOW + timedelta(hours=24)
    assert not BindingCode.select().where(BindingCode.code_hash == code).exists()
    with pytest.raises(Invalid, match="绑定码无效或已过期"):
        users.bind_wechat("oA", "WRONG123", NOW)
    with pytest.raises(Invalid, match="绑定码无效或已过期"):
        users.bind_wechat("oA", code, expires)  # expired at exactly 24 h
    assert users.bind_wechat("oA", f" {code.lower()} ", NOW).id == w.alice.id
    assert users.user_for_openid("oA").id == w.alice.id
    with pytest.raises(Invalid, match="绑定码无效或已过期"):
        users.bind_wechat("oB", code, NOW)  # used


def test_new_code_invalidates_older_unused_codes(any_db):
    w = make_world()
    old, _ = users.authorize_user(w.admin, w.alice.id, NOW)
    new, _ = users.authorize_user(w.admin, w.alice.id, NOW + timedelta(minutes=1))
    with pytest.raises(Invalid):
        users.bind_wechat("oA", old, NOW + timedelta(minutes=2))
    assert users.bind_wechat("oA", new, NOW + timedelta(minutes=2)).id == w.alice.id


def test_rebinding_moves_the_binding(any_db):
    w = make_world()
    users.bind_wechat_by_login("oA", "acme", "alice", PASSWORD, NOW)
    users.bind_wechat_by_login("oA", "acme", "h1", PASSWORD, NOW)  # same phone, other account
    assert users.user_for_openid("oA").id == w.h1.id
    assert not WeChatBinding.select().where(WeChatBinding.user == w.alice.id).exists()
    users.bind_wechat_by_login("oB", "acme", "h1", PASSWORD, NOW)  # same account, new phone
    assert users.user_for_openid("oA") is None and users.user_for_openid("oB").id == w.h1.id
    with pytest.raises(Invalid, match="账号、密码或客户代码错误"):
        users.bind_wechat_by_login("oC", "acme", "h1", "wrong", NOW)
    assert users.set_followed("oB", False) and not WeChatBinding.get().followed
    assert users.unbind_wechat("oB") and not users.unbind_wechat("oB")
    assert users.user_for_openid("oB") is None


def test_deactivated_user_is_no_longer_found_by_openid(any_db):
    w = make_world()
    code, _ = users.authorize_user(w.admin, w.h1.id, NOW)
    users.bind_wechat("oA", code, NOW)
    users.deactivate_user(w.admin, w.h1.id)
    assert users.user_for_openid("oA") is None
    with pytest.raises(Refused):
        users.authorize_user(w.admin, w.h1.id, NOW)


def test_find_users_exact_account_then_exact_name_then_contains(any_db):
    w = make_world()
    make_user(w.company.id, "zhang3", name="张一丰")
    assert [u.id for u in directory.find_users(w.company.id, "@h1")] == [w.h1.id]
    assert [u.id for u in directory.find_users(w.company.id, "张一")] == [w.h1.id]  # exact name wins
    assert len(directory.find_users(w.company.id, "张")) == 2
    assert directory.find_users(w.company.id, "张一丰", project_id=w.project.id) == []  # not a member
    assert directory.find_users(w.company.id, "  ") == []


def test_get_and_update_user_are_company_scoped(any_db):
    w = make_world()
    other, _ = users.create_company("other", "乙公司")
    with pytest.raises(NotFound):
        users.get_user(other.id, w.alice.id)
    users.update_user(w.admin, w.alice.id, name="爱丽丝2", role="dept_admin",
                      password="new-password")
    assert users.get_user(w.company.id, w.alice.id).role == "dept_admin"
    users.authorize_user(w.admin, w.alice.id, NOW)
    assert users.login("acme", "alice", "new-password").name == "爱丽丝2"
    with pytest.raises(Invalid):
        users.update_user(w.admin, w.alice.id, account="alice2")


def test_project_names_are_unique_in_a_company(any_db):
    # chat picks a project by name (新建 ... #采购项目): two of one name could never be picked
    w = make_world()
    with pytest.raises(Conflict, match="已存在"):
        projects.create_project(w.admin, " 运营项目 ")
    with pytest.raises(Conflict, match="已存在"):
        projects.create_project(w.admin, "ERP通知")
    second = projects.create_project(w.admin, "采购项目")
    with pytest.raises(Conflict, match="已存在"):
        projects.rename_project(w.admin, second.id, "运营项目")
    assert projects.rename_project(w.admin, second.id, "采购项目").name == "采购项目"
    assert [p.name for p in projects.list_projects(w.admin)].count("运营项目") == 1
    outsider = make_outsider()
    assert projects.create_project(outsider, "运营项目").name == "运营项目"


def test_project_and_template_permissions(any_db):
    w = make_world()
    other_dept = directory.create_department(w.admin, "采购部")
    with pytest.raises(Forbidden):
        projects.create_project(w.alice, "我的项目")
    with pytest.raises(Forbidden):
        projects.create_project(w.dadmin, "别的部门", department_id=other_dept.id)
    mine = projects.create_project(w.dadmin, "部门项目", member_ids=[w.h1.id],
                                   business_types=["采购", "采购", "物流"])
    assert mine.department_id == w.dept.id and projects.business_types(mine.id) == ["采购", "物流"]
    assert {u.id for u in projects.project_members(w.h1, mine.id)} == {w.dadmin.id, w.h1.id}
    with pytest.raises(NotFound):
        projects.get_project(w.h2, mine.id)
    assert [p.name for p in projects.list_projects(w.h1)] == ["运营项目", "部门项目"]
    assert len(projects.list_projects(w.admin)) == 3  # ERP通知 too
    with pytest.raises(Forbidden):
        projects.rename_project(w.h1, mine.id, "x")
    projects.archive_project(w.dadmin, mine.id)
    assert [p.name for p in projects.list_projects(w.h1)] == ["运营项目"]
    projects.restore_project(w.admin, mine.id)
    assert projects.default_project(w.h1).name == "运营项目"
    with pytest.raises(Forbidden):
        projects.create_template(w.dadmin, "采购审批", [{"handler_id": w.h1.id}])
    with pytest.raises(Invalid):
        projects.create_template(w.admin, "采购审批", [{"handler_id": 99999}])
    template = projects.create_template(w.admin, "采购审批",
                                        [{"handler_id": w.h1.id, "items": "核实", "days": 1}])
    assert template.nodes == [{"handler_id": w.h1.id, "items": "核实", "days": 1}]
    builtin = Template.get(Template.builtin == "simple")
    with pytest.raises(Refused):
        projects.update_template(w.admin, builtin.id, name="改名")
