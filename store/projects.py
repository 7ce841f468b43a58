"""Projects (members, business types, archive/restore) and workflow templates (SPEC §2).

Company admins manage every project; a department admin manages the projects of their own
department; members only see the projects they belong to.
"""
from datetime import datetime

from peewee import IntegrityError

from store.db import db, utcnow
from store.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from store.models import BusinessType, Department, Project, ProjectMember, Template, User

NOT_MANAGER = "只有公司管理员或本部门管理员可以管理项目"
NOT_MEMBER = "「{name}」不是项目「{project}」的成员，不能指派。"


# --- permission helpers -----------------------------------------------------------------

def can_manage(actor: User, project: Project) -> bool:
    """Company admin, or the department admin of the project's department."""
    if actor.company_id != project.company_id:
        return False
    if actor.is_company_admin:
        return True
    return (actor.is_dept_admin and actor.department_id is not None
            and project.department_id == actor.department_id)


def is_member(user_id: int, project_id: int) -> bool:
    return ProjectMember.select().where(ProjectMember.project == project_id,
                                        ProjectMember.user == user_id).exists()


def not_member(name: str, project: Project) -> Invalid:
    """The refusal for assigning a task in `project` to someone outside it."""
    return Invalid(NOT_MEMBER.format(name=name, project=project.name))


def _project_row(company_id: int, project_id: int) -> Project:
    project = Project.scoped(company_id).where(Project.id == project_id).first()
    if project is None:
        raise NotFound("项目不存在")
    return project


def _managed(actor: User, project_id: int) -> Project:
    project = get_project(actor, project_id)
    if not can_manage(actor, project):
        raise Forbidden(NOT_MANAGER)
    return project


def active_user_ids(company_id: int, user_ids) -> list[int]:
    """Validate that every id names an active user of the company; return them deduplicated."""
    ids = list(dict.fromkeys(int(u) for u in user_ids or ()))
    if not ids:
        return []
    found = {u.id for u in User.scoped(company_id, User.id)
             .where(User.id.in_(ids), User.active == True)}  # noqa: E712
    missing = [u for u in ids if u not in found]
    if missing:
        raise Invalid(f"用户不存在或已停用：{', '.join(map(str, missing))}")
    return ids


# --- projects ---------------------------------------------------------------------------

def _unique_name(company_id: int, name: str, project_id: int | None = None) -> None:
    """Project names are unique in a company: chat picks a project by name (#项目名)."""
    clash = Project.scoped(company_id).where(Project.name == name)
    if project_id is not None:
        clash = clash.where(Project.id != project_id)
    if clash.exists():
        raise Conflict(f"项目名称「{name}」已存在，请换一个名称")


def create_project(actor: User, name: str, department_id: int | None = None, member_ids=(),
                   business_types=()) -> Project:
    """Create a project; the creator becomes a member."""
    name = (name or "").strip()
    if not name:
        raise Invalid("项目名称不能为空")
    if actor.is_dept_admin:
        department_id = department_id or actor.department_id
        if department_id is None or department_id != actor.department_id:
            raise Forbidden("部门管理员只能在本部门创建项目")
    elif not actor.is_company_admin:
        raise Forbidden("只有公司管理员或部门管理员可以创建项目")
    if department_id is not None:
        if not Department.scoped(actor.company_id).where(Department.id == department_id).exists():
            raise Invalid("部门不存在")
    members = active_user_ids(actor.company_id, [actor.id, *member_ids])
    _unique_name(actor.company_id, name)
    with db.atomic():
        project = Project.create(company=actor.company_id, name=name, department=department_id,
                                 created_by=actor.id)
        for user_id in members:
            ProjectMember.create(company=actor.company_id, project=project, user=user_id)
        for label in dict.fromkeys((b or "").strip() for b in business_types):
            if label:
                BusinessType.create(company=actor.company_id, project=project, name=label)
    return project


def get_project(actor: User, project_id: int) -> Project:
    """A project the actor may see (managers and members); NotFound otherwise."""
    project = _project_row(actor.company_id, project_id)
    if not (can_manage(actor, project) or is_member(actor.id, project.id)):
        raise NotFound("项目不存在")
    return project


def list_projects(actor: User, include_archived: bool = False) -> list[Project]:
    query = Project.scoped(actor.company_id)
    if not actor.is_company_admin:
        mine = Project.id.in_(ProjectMember.select(ProjectMember.project)
                              .where(ProjectMember.user == actor.id))
        if actor.is_dept_admin and actor.department_id is not None:
            mine = mine | (Project.department == actor.department_id)
        query = query.where(mine)
    if not include_archived:
        query = query.where(Project.archived == False)  # noqa: E712
    return list(query.order_by(Project.id))


def project_members(actor: User, project_id: int) -> list[User]:
    project = get_project(actor, project_id)
    return list(User.select().join(ProjectMember, on=(ProjectMember.user == User.id))
                .where(ProjectMember.project == project.id).order_by(User.id))


def rename_project(actor: User, project_id: int, name: str) -> Project:
    project = _managed(actor, project_id)
    name = (name or "").strip()
    if not name:
        raise Invalid("项目名称不能为空")
    _unique_name(actor.company_id, name, project.id)
    project.name = name
    project.save(only=[Project.name])
    return project


def add_members(actor: User, project_id: int, user_ids) -> list[int]:
    """Add users to the project; return the ids that were not members yet."""
    project = _managed(actor, project_id)
    added = []
    with db.atomic():
        for user_id in active_user_ids(actor.company_id, user_ids):
            if not is_member(user_id, project.id):
                ProjectMember.create(company=actor.company_id, project=project, user=user_id)
                added.append(user_id)
    return added


def remove_member(actor: User, project_id: int, user_id: int) -> bool:
    project = _managed(actor, project_id)
    return ProjectMember.delete().where(ProjectMember.project == project.id,
                                        ProjectMember.user == user_id).execute() > 0


def business_types(project_id: int) -> list[str]:
    return [b.name for b in BusinessType.select(BusinessType.name)
            .where(BusinessType.project == project_id).order_by(BusinessType.id)]


def add_business_type(actor: User, project_id: int, name: str) -> BusinessType:
    project = _managed(actor, project_id)
    name = (name or "").strip()
    if not name:
        raise Invalid("业务类型不能为空")
    try:
        with db.atomic():
            return BusinessType.create(company=actor.company_id, project=project, name=name)
    except IntegrityError:
        raise Invalid(f"业务类型 {name} 已存在")


def remove_business_type(actor: User, project_id: int, name: str) -> bool:
    project = _managed(actor, project_id)
    return BusinessType.delete().where(BusinessType.project == project.id,
                                       BusinessType.name == (name or "").strip()).execute() > 0


def archive_project(actor: User, project_id: int) -> Project:
    project = _managed(actor, project_id)
    if project.kind == "erp":
        raise Refused("ERP通知项目不能归档")
    project.archived = True
    project.save(only=[Project.archived])
    return project


def restore_project(actor: User, project_id: int) -> Project:
    project = _managed(actor, project_id)
    project.archived = False
    project.save(only=[Project.archived])
    return project


def erp_project(company_id: int) -> Project:
    """The company's "ERP通知" project, where scenario tasks land."""
    project = Project.scoped(company_id).where(Project.kind == "erp").first()
    if project is None:
        raise NotFound("ERP通知项目不存在")
    return project


def default_project(user: User) -> Project | None:
    """The user's chosen default project, else the first open project they belong to."""
    mine = (Project.scoped(user.company_id)
            .join(ProjectMember, on=(ProjectMember.project == Project.id))
            .where(ProjectMember.user == user.id, Project.archived == False))  # noqa: E712
    if user.default_project_id:
        chosen = mine.where(Project.id == user.default_project_id).first()
        if chosen:
            return chosen
    return mine.order_by(Project.kind.desc(), Project.id).first()  # "normal" before "erp"


# --- templates --------------------------------------------------------------------------

def validate_nodes(company_id: int, nodes) -> list[dict]:
    """Normalise workflow nodes `[{handler_id, items, days?}]`; handlers must be active users."""
    if not isinstance(nodes, (list, tuple)) or not nodes:
        raise Invalid("工作流至少需要一个节点")
    if len(nodes) > 20:
        raise Invalid("工作流最多20个节点")
    result = []
    for index, node in enumerate(nodes, 1):
        if not isinstance(node, dict) or node.get("handler_id") in (None, ""):
            raise Invalid(f"第{index}个节点缺少处理人")
        try:
            handler_id = int(node["handler_id"])
            days = None if node.get("days") in (None, "") else int(node["days"])
        except (TypeError, ValueError):
            raise Invalid(f"第{index}个节点的处理人或天数无效")
        if days is not None and days < 0:
            raise Invalid(f"第{index}个节点的天数无效")
        result.append({"handler_id": handler_id, "items": str(node.get("items") or "").strip(),
                       "days": days})
    active_user_ids(company_id, [n["handler_id"] for n in result])
    return result


def _require_company_admin(actor: User):
    if not actor.is_company_admin:
        raise Forbidden("只有公司管理员可以管理工作流模板")


def create_template(actor: User, name: str, nodes) -> Template:
    _require_company_admin(actor)
    name = (name or "").strip()
    if not name:
        raise Invalid("模板名称不能为空")
    return Template.create(company=actor.company_id, name=name,
                           nodes=validate_nodes(actor.company_id, nodes))


def get_template(actor: User, template_id: int) -> Template:
    template = Template.scoped(actor.company_id).where(Template.id == template_id).first()
    if template is None:
        raise NotFound("模板不存在")
    return template


def update_template(actor: User, template_id: int, *, name: str | None = None, nodes=None,
                    now: datetime | None = None) -> Template:
    """Change a template; running tasks keep the nodes they copied."""
    _require_company_admin(actor)
    template = get_template(actor, template_id)
    if template.builtin:
        raise Refused("内置模板不能修改")
    if name is not None:
        if not name.strip():
            raise Invalid("模板名称不能为空")
        template.name = name.strip()
    if nodes is not None:
        template.nodes = validate_nodes(actor.company_id, nodes)
    template.updated_at = now or utcnow()
    template.save()
    return template


def list_templates(actor: User) -> list[Template]:
    return list(Template.scoped(actor.company_id).order_by(Template.id))
