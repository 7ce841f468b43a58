"""Peewee models of Twork.

Every row that belongs to a company carries `company`, and every query function in
`store` filters on it (`Model.scoped(company_id)`): there is no query path that reaches
another company's rows without naming the company first.
"""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peewee import (BooleanField, CharField, ForeignKeyField, IntegerField, TextField,
                    AutoField)

from store.db import BaseModel, JSONField, UTCDateTimeField, utcnow

ROLES = ("company_admin", "dept_admin", "member")
PRIORITIES = ("low", "normal", "high", "urgent")
NODE_STATES = ("pending", "active", "started", "done")
LATE_REASONS = ("supplier", "stock", "customs", "internal")
EXTENSION_STATUSES = ("pending", "approved", "refused")


DEFAULT_TZ = "Asia/Shanghai"


def zone_named(name: str | None) -> ZoneInfo:
    """A time zone by name; an unset or unknown name (stored earlier) means Asia/Shanghai."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


class Company(BaseModel):
    code = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    timezone = CharField(max_length=64, default="Asia/Shanghai")
    webhook_secret = CharField(max_length=128)
    settings = JSONField(default=dict)  # reminder lead hours, quiet hours, digest time
    task_seq = IntegerField(default=0)  # last task number handed out
    # How the user reaches the service team (我的ERP): a name, phone or WeChat ID
    service_contact = CharField(max_length=200, null=True)
    # After a rotation the previous secret still signs until this moment (ERP switch-over)
    previous_webhook_secret = CharField(max_length=128, null=True)
    previous_secret_until = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)

    @classmethod
    def zone_of(cls, company_id: int) -> ZoneInfo:
        return zone_named(cls.select(cls.timezone).where(cls.id == company_id).scalar())


class CompanyScoped(BaseModel):
    """Base for rows owned by one company."""
    company = ForeignKeyField(Company, on_delete="CASCADE", index=True)

    @classmethod
    def scoped(cls, company_id, *fields):
        return cls.select(*fields).where(cls.company == company_id)


class ApiKey(CompanyScoped):
    name = CharField(max_length=100, default="default")
    scope = CharField(max_length=10, default="admin")  # admin | erp | read (store.apikeys)
    prefix = CharField(max_length=16, index=True)
    key_hash = CharField(max_length=128, unique=True)
    created_at = UTCDateTimeField(default=utcnow)
    revoked_at = UTCDateTimeField(null=True)


class Department(CompanyScoped):
    name = CharField(max_length=100)

    class Meta:
        indexes = ((("company", "name"), True),)


class User(CompanyScoped):
    account = CharField(max_length=64)
    name = CharField(max_length=64)
    password_hash = CharField(max_length=256)
    role = CharField(max_length=20, default="member")
    department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    gender = CharField(max_length=10, null=True)
    avatar = CharField(max_length=500, null=True)
    authorized = BooleanField(default=False)
    active = BooleanField(default=True)
    default_project_id = IntegerField(null=True)
    digest_opt_in = BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "account"), True),)

    @property
    def is_company_admin(self):
        return self.role == "company_admin"

    @property
    def is_dept_admin(self):
        return self.role == "dept_admin"


class BindingCode(CompanyScoped):
    user = ForeignKeyField(User, on_delete="CASCADE")
    code_hash = CharField(max_length=128, unique=True)
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)


class WeChatBinding(CompanyScoped):
    openid = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE", unique=True)
    followed = BooleanField(default=True)  # False after unsubscribe / 43004: pause pushes
    # Set by a "failed:user block" delivery report: pushes pause until the user writes again.
    blocked_at = UTCDateTimeField(null=True)
    bound_at = UTCDateTimeField(default=utcnow)


class Project(CompanyScoped):
    name = CharField(max_length=100)
    department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    kind = CharField(max_length=10, default="normal")  # normal | erp
    archived = BooleanField(default=False)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)


class ProjectMember(CompanyScoped):
    project = ForeignKeyField(Project, backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("project", "user"), True),)


class BusinessType(CompanyScoped):
    project = ForeignKeyField(Project, backref="business_types", on_delete="CASCADE")
    name = CharField(max_length=50)

    class Meta:
        indexes = ((("project", "name"), True),)


class Template(CompanyScoped):
    name = CharField(max_length=100)
    builtin = CharField(max_length=10, null=True)  # simple | empty | None
    nodes = JSONField(default=list)  # [{handler_id, items, days}]
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)


class Scenario(CompanyScoped):
    name = CharField(max_length=100)
    kind = CharField(max_length=64)
    required = JSONField(default=list)
    optional = JSONField(default=list)
    task_settings = JSONField(default=dict)  # business_type, priority, days, title
    nodes = JSONField(default=list)
    watcher_ids = JSONField(default=list)
    editor_ids = JSONField(default=list)
    escalate_to_ids = JSONField(default=list)
    notify_on_finish_ids = JSONField(default=list)
    enabled = BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)


class Task(CompanyScoped):
    project = ForeignKeyField(Project, backref="tasks", on_delete="CASCADE")
    number = IntegerField()
    title = CharField(max_length=200)
    description = TextField(default="")
    business_type = CharField(max_length=50, null=True)
    priority = CharField(max_length=10, default="normal")
    creator = ForeignKeyField(User, null=True, on_delete="SET NULL")
    due_at = UTCDateTimeField(null=True, index=True)
    original_due_at = UTCDateTimeField(null=True)
    status = CharField(max_length=12, default="in_progress", index=True)  # in_progress | done
    current_seq = IntegerField(null=True)
    version = IntegerField(default=0)  # optimistic lock: every action bumps it
    simple = BooleanField(default=True)
    source = CharField(max_length=10, default="manual")  # manual | erp
    scenario = ForeignKeyField(Scenario, null=True, on_delete="SET NULL")
    erp_kind = CharField(max_length=64, null=True)
    erp_doc_key = CharField(max_length=200, null=True, index=True)
    erp_data = JSONField(null=True)
    occurrences = IntegerField(default=1)
    created_at = UTCDateTimeField(default=utcnow)
    finished_at = UTCDateTimeField(null=True)
    archived_at = UTCDateTimeField(null=True)
    deleted_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("company", "number"), True),
                   (("company", "status", "due_at"), False))


class TaskNode(CompanyScoped):
    task = ForeignKeyField(Task, backref="nodes", on_delete="CASCADE")
    seq = IntegerField()
    handler = ForeignKeyField(User, on_delete="CASCADE")
    original_handler = ForeignKeyField(User, null=True, on_delete="SET NULL")
    items = TextField(default="")
    days = IntegerField(null=True)
    state = CharField(max_length=10, default="pending")
    activated_at = UTCDateTimeField(null=True)
    started_at = UTCDateTimeField(null=True)
    done_at = UTCDateTimeField(null=True)
    done_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    last_urged_at = UTCDateTimeField(null=True)
    # The user on leave this node belongs to while `handler` is their stand-in (SPEC §9).
    delegated_from = ForeignKeyField(User, null=True, on_delete="SET NULL")
    late_reason = CharField(max_length=10, null=True)  # LATE_REASONS, when done after due_at

    class Meta:
        indexes = ((("task", "seq"), True),
                   (("handler", "state"), False),
                   (("done_by", "done_at"), False),  # my page: what I completed, by month
                   (("company", "done_at"), False))  # statistics: completed in a period


class TaskReceipt(CompanyScoped):
    """A user became the handler of a node (activation, transfer, rollback, withdraw).
    Statistics count "received" from here; visibility uses it for "I was a handler"."""
    task = ForeignKeyField(Task, on_delete="CASCADE")
    node = ForeignKeyField(TaskNode, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    received_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "received_at"), False), (("task", "user"), False),
                   (("company", "received_at"), False))  # statistics: received in a period


class TaskWatcher(CompanyScoped):
    task = ForeignKeyField(Task, backref="watchers", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("task", "user"), True),)


class TaskEditor(CompanyScoped):
    task = ForeignKeyField(Task, backref="editors", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("task", "user"), True),)


class Comment(CompanyScoped):
    task = ForeignKeyField(Task, backref="comments", on_delete="CASCADE")
    author = ForeignKeyField(User, on_delete="CASCADE")
    body = TextField()
    created_at = UTCDateTimeField(default=utcnow)


class TaskLog(CompanyScoped):
    """Append-only history of a task: every change and workflow action."""
    task = ForeignKeyField(Task, backref="log", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")  # None: the system / ERP
    action = CharField(max_length=30)
    detail = JSONField(default=dict)
    created_at = UTCDateTimeField(default=utcnow)


class ExtensionRequest(CompanyScoped):
    """A request to move a task's deadline later (SPEC §9), decided by the task's creator."""
    task = ForeignKeyField(Task, backref="extensions", on_delete="CASCADE")
    requester = ForeignKeyField(User, on_delete="CASCADE")
    old_due_at = UTCDateTimeField(null=True)
    new_due_at = UTCDateTimeField()
    reason = TextField()
    status = CharField(max_length=10, default="pending")  # EXTENSION_STATUSES
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = UTCDateTimeField(null=True)
    decision_note = TextField(null=True)  # the refusal's reason
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("task", "status"), False),)


class Leave(CompanyScoped):
    """A user's leave (请假, SPEC §9): from `starts_at` to `ends_at` their open and newly
    current nodes are handled by `delegate`. status: scheduled | active | ended | cancelled."""
    user = ForeignKeyField(User, on_delete="CASCADE")
    delegate = ForeignKeyField(User, on_delete="CASCADE")
    starts_at = UTCDateTimeField()
    ends_at = UTCDateTimeField()
    status = CharField(max_length=10, default="scheduled")
    created_at = UTCDateTimeField(default=utcnow)
    ended_at = UTCDateTimeField(null=True)  # when it actually ended (early on 销假)

    class Meta:
        indexes = ((("user", "status"), False), (("delegate", "status"), False),
                   (("status", "starts_at"), False), (("status", "ends_at"), False))


class Message(CompanyScoped):
    """What a user was told, kept for the 消息 list (read/unread, pending)."""
    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=30)
    title = CharField(max_length=200)
    body = TextField(default="")
    task = ForeignKeyField(Task, null=True, on_delete="CASCADE")
    read_at = UTCDateTimeField(null=True)
    pending = BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "read_at", "created_at"), False),)


class Notification(CompanyScoped):
    """The outbox: one WeChat push to send, written in the transaction that causes it.

    `dedupe_key` is unique, so a scan that runs twice, or two schedulers, cannot queue
    the same reminder twice; it is also the WeChat client_msg_id."""
    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=30)
    task = ForeignKeyField(Task, null=True, on_delete="CASCADE")
    message = ForeignKeyField(Message, null=True, on_delete="SET NULL")
    data = JSONField(default=dict)  # template fields
    url = CharField(max_length=500, null=True)
    dedupe_key = CharField(max_length=200, unique=True)
    urgent = BooleanField(default=False)  # urgent ones ignore quiet hours
    status = CharField(max_length=10, default="pending", index=True)  # pending|sending|sent|failed|dropped
    not_before = UTCDateTimeField(default=utcnow, index=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    msgid = CharField(max_length=64, null=True, index=True)  # TEMPLATESENDJOBFINISH looks it up
    created_at = UTCDateTimeField(default=utcnow)
    sent_at = UTCDateTimeField(null=True)

    class Meta:
        # The sweeper and the summaries: pending (or claimed) rows due by a time.
        indexes = ((("status", "not_before"), False),)


class ErpEvent(CompanyScoped):
    event_id = CharField(max_length=128)
    kind = CharField(max_length=64)
    occurred_at = UTCDateTimeField(null=True)
    data = JSONField(default=dict)
    outcome = CharField(max_length=20)  # created | matched_open_task | cleared | no_match | error
    task = ForeignKeyField(Task, null=True, on_delete="SET NULL")
    reason = TextField(null=True)
    received_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "event_id"), True),)


class Announcement(BaseModel):
    id = AutoField()
    company = ForeignKeyField(Company, null=True, on_delete="CASCADE")  # None: every company
    kind = CharField(max_length=20, default="system")  # system | industry | feature
    title = CharField(max_length=200)
    body = TextField(default="")
    published_at = UTCDateTimeField(default=utcnow, index=True)  # a draft: when it was saved
    draft = BooleanField(default=False)  # drafts are shown to admins only
    updated_at = UTCDateTimeField(null=True)
    pushed_at = UTCDateTimeField(null=True)  # when it was queued to every bound user


class Feedback(CompanyScoped):
    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=12, default="consult")  # consult (咨询) | requirement (需求)
    body = TextField()
    status = CharField(max_length=10, default="open")  # open | replied | closed
    reply = TextField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    replied_at = UTCDateTimeField(null=True)


class PushClaim(BaseModel):
    """A WeChat push claimed, or a signature's timestamp+nonce seen, while Redis was
    unreachable: the unique key makes the first writer win across every web process.
    `value` is the reply (None while the first delivery is still being answered) or the
    body digest of a signature."""
    key = CharField(max_length=200, unique=True)
    value = TextField(null=True)
    expires_at = UTCDateTimeField(index=True)


class AuditEntry(CompanyScoped):
    """One change made through the API, the console or an operator command (store.audit)."""
    at = UTCDateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    actor_name = CharField(max_length=64, default="")
    api_key = ForeignKeyField(ApiKey, null=True, on_delete="SET NULL", backref="+")
    channel = CharField(max_length=10)  # api | console | operator
    action = CharField(max_length=100, index=True)
    target = CharField(max_length=200, default="")
    summary = JSONField(default=dict)
    client = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("company", "at"), False),)


MODELS = [Company, ApiKey, Department, User, BindingCode, WeChatBinding, Project,
          ProjectMember, BusinessType, Template, Scenario, Task, TaskNode, TaskReceipt,
          TaskWatcher, TaskEditor, Comment, TaskLog, Message, Notification, ErpEvent,
          Announcement, Feedback, ExtensionRequest, Leave, PushClaim, AuditEntry]
