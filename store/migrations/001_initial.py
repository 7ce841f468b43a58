"""Peewee migrations -- 001_initial.py.

Some examples (model - class or model name)::

    > Model = migrator.orm['table_name']            # Return model in current state by name
    > Model = migrator.ModelClass                   # Return model in current state by name

    > migrator.sql(sql)                             # Run custom SQL
    > migrator.run(func, *args, **kwargs)           # Run python function with the given args
    > migrator.create_model(Model)                  # Create a model (could be used as decorator)
    > migrator.remove_model(model, cascade=True)    # Remove a model
    > migrator.add_fields(model, **fields)          # Add fields (allow_not_null=True skips default)
    > migrator.change_fields(model, **fields)       # Change fields
    > migrator.remove_fields(model, *field_names, cascade=True)
    > migrator.rename_field(model, old_field_name, new_field_name)
    > migrator.rename_table(model, new_table_name)
    > migrator.add_index(model, *col_names, unique=False)
    > migrator.add_not_null(model, *field_names)
    > migrator.add_default(model, field_name, default)
    > migrator.add_constraint(model, name, sql)
    > migrator.drop_index(model, *col_names)
    > migrator.drop_not_null(model, *field_names)
    > migrator.drop_constraints(model, *constraints)

"""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your migrations here."""
    
    @migrator.create_model
    class Company(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=200)
        timezone = pw.CharField(default='Asia/Shanghai', max_length=64)
        webhook_secret = pw.CharField(max_length=128)
        settings = pw.TextField()
        task_seq = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "company"

    @migrator.create_model
    class Announcement(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], null=True, on_delete='CASCADE')
        kind = pw.CharField(default='system', max_length=20)
        title = pw.CharField(max_length=200)
        body = pw.TextField(default='')
        published_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "announcement"

    @migrator.create_model
    class ApiKey(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        name = pw.CharField(default='default', max_length=100)
        prefix = pw.CharField(index=True, max_length=16)
        key_hash = pw.CharField(max_length=128, unique=True)
        created_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "api_key"

    @migrator.create_model
    class BaseModel(pw.Model):
        id = pw.AutoField()

        class Meta:
            table_name = "base_model"

    @migrator.create_model
    class Department(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        name = pw.CharField(max_length=100)

        class Meta:
            table_name = "department"
            indexes = [(('company', 'name'), True)]

    @migrator.create_model
    class User(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        account = pw.CharField(max_length=64)
        name = pw.CharField(max_length=64)
        password_hash = pw.CharField(max_length=256)
        role = pw.CharField(default='member', max_length=20)
        department = pw.ForeignKeyField(column_name='department_id', field='id', model=migrator.orm['department'], null=True, on_delete='SET NULL')
        gender = pw.CharField(max_length=10, null=True)
        avatar = pw.CharField(max_length=500, null=True)
        authorized = pw.BooleanField(default=False)
        active = pw.BooleanField(default=True)
        default_project_id = pw.IntegerField(null=True)
        digest_opt_in = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "user"
            indexes = [(('company', 'account'), True)]

    @migrator.create_model
    class BindingCode(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        code_hash = pw.CharField(max_length=128, unique=True)
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "binding_code"

    @migrator.create_model
    class Project(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        name = pw.CharField(max_length=100)
        department = pw.ForeignKeyField(column_name='department_id', field='id', model=migrator.orm['department'], null=True, on_delete='SET NULL')
        kind = pw.CharField(default='normal', max_length=10)
        archived = pw.BooleanField(default=False)
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "project"

    @migrator.create_model
    class BusinessType(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        project = pw.ForeignKeyField(column_name='project_id', field='id', model=migrator.orm['project'], on_delete='CASCADE')
        name = pw.CharField(max_length=50)

        class Meta:
            table_name = "business_type"
            indexes = [(('project', 'name'), True)]

    @migrator.create_model
    class Scenario(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        name = pw.CharField(max_length=100)
        kind = pw.CharField(max_length=64)
        required = pw.TextField()
        optional = pw.TextField()
        task_settings = pw.TextField()
        nodes = pw.TextField()
        watcher_ids = pw.TextField()
        editor_ids = pw.TextField()
        escalate_to_ids = pw.TextField()
        notify_on_finish_ids = pw.TextField()
        enabled = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "scenario"

    @migrator.create_model
    class Task(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        project = pw.ForeignKeyField(column_name='project_id', field='id', model=migrator.orm['project'], on_delete='CASCADE')
        number = pw.IntegerField()
        title = pw.CharField(max_length=200)
        description = pw.TextField(default='')
        business_type = pw.CharField(max_length=50, null=True)
        priority = pw.CharField(default='normal', max_length=10)
        creator = pw.ForeignKeyField(column_name='creator_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        due_at = pw.DateTimeField(index=True, null=True)
        original_due_at = pw.DateTimeField(null=True)
        status = pw.CharField(default='in_progress', index=True, max_length=12)
        current_seq = pw.IntegerField(null=True)
        version = pw.IntegerField(default=0)
        simple = pw.BooleanField(default=True)
        source = pw.CharField(default='manual', max_length=10)
        scenario = pw.ForeignKeyField(column_name='scenario_id', field='id', model=migrator.orm['scenario'], null=True, on_delete='SET NULL')
        erp_kind = pw.CharField(max_length=64, null=True)
        erp_doc_key = pw.CharField(index=True, max_length=200, null=True)
        erp_data = pw.TextField(null=True)
        occurrences = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)
        archived_at = pw.DateTimeField(null=True)
        deleted_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "task"
            indexes = [(('company', 'number'), True), (('company', 'status', 'due_at'), False)]

    @migrator.create_model
    class Comment(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        author = pw.ForeignKeyField(column_name='author_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        body = pw.TextField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "comment"

    @migrator.create_model
    class CompanyScoped(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')

        class Meta:
            table_name = "company_scoped"

    @migrator.create_model
    class ErpEvent(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        event_id = pw.CharField(max_length=128)
        kind = pw.CharField(max_length=64)
        occurred_at = pw.DateTimeField(null=True)
        data = pw.TextField()
        outcome = pw.CharField(max_length=20)
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], null=True, on_delete='SET NULL')
        reason = pw.TextField(null=True)
        received_at = pw.DateTimeField()

        class Meta:
            table_name = "erp_event"
            indexes = [(('company', 'event_id'), True)]

    @migrator.create_model
    class Feedback(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        body = pw.TextField()
        status = pw.CharField(default='open', max_length=10)
        reply = pw.TextField(null=True)
        created_at = pw.DateTimeField()
        replied_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "feedback"

    @migrator.create_model
    class Message(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        kind = pw.CharField(max_length=30)
        title = pw.CharField(max_length=200)
        body = pw.TextField(default='')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], null=True, on_delete='CASCADE')
        read_at = pw.DateTimeField(null=True)
        pending = pw.BooleanField(default=False)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "message"
            indexes = [(('user', 'read_at', 'created_at'), False)]

    @migrator.create_model
    class Notification(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        kind = pw.CharField(max_length=30)
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], null=True, on_delete='CASCADE')
        message = pw.ForeignKeyField(column_name='message_id', field='id', model=migrator.orm['message'], null=True, on_delete='SET NULL')
        data = pw.TextField()
        url = pw.CharField(max_length=500, null=True)
        dedupe_key = pw.CharField(max_length=200, unique=True)
        urgent = pw.BooleanField(default=False)
        status = pw.CharField(default='pending', index=True, max_length=10)
        not_before = pw.DateTimeField(index=True)
        attempts = pw.IntegerField(default=0)
        last_error = pw.TextField(null=True)
        msgid = pw.CharField(max_length=64, null=True)
        created_at = pw.DateTimeField()
        sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "notification"

    @migrator.create_model
    class ProjectMember(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        project = pw.ForeignKeyField(column_name='project_id', field='id', model=migrator.orm['project'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')

        class Meta:
            table_name = "project_member"
            indexes = [(('project', 'user'), True)]

    @migrator.create_model
    class TaskEditor(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')

        class Meta:
            table_name = "task_editor"
            indexes = [(('task', 'user'), True)]

    @migrator.create_model
    class TaskLog(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        actor = pw.ForeignKeyField(column_name='actor_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        action = pw.CharField(max_length=30)
        detail = pw.TextField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "task_log"

    @migrator.create_model
    class TaskNode(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        seq = pw.IntegerField()
        handler = pw.ForeignKeyField(column_name='handler_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        original_handler = pw.ForeignKeyField(column_name='original_handler_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        items = pw.TextField(default='')
        days = pw.IntegerField(null=True)
        state = pw.CharField(default='pending', max_length=10)
        activated_at = pw.DateTimeField(null=True)
        started_at = pw.DateTimeField(null=True)
        done_at = pw.DateTimeField(null=True)
        done_by = pw.ForeignKeyField(column_name='done_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        last_urged_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "task_node"
            indexes = [(('task', 'seq'), True), (('handler', 'state'), False)]

    @migrator.create_model
    class TaskReceipt(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        node = pw.ForeignKeyField(column_name='node_id', field='id', model=migrator.orm['task_node'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        received_at = pw.DateTimeField()

        class Meta:
            table_name = "task_receipt"
            indexes = [(('user', 'received_at'), False), (('task', 'user'), False)]

    @migrator.create_model
    class TaskWatcher(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        task = pw.ForeignKeyField(column_name='task_id', field='id', model=migrator.orm['task'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')

        class Meta:
            table_name = "task_watcher"
            indexes = [(('task', 'user'), True)]

    @migrator.create_model
    class Template(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        name = pw.CharField(max_length=100)
        builtin = pw.CharField(max_length=10, null=True)
        nodes = pw.TextField()
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "template"

    @migrator.create_model
    class WeChatBinding(pw.Model):
        id = pw.AutoField()
        company = pw.ForeignKeyField(column_name='company_id', field='id', model=migrator.orm['company'], on_delete='CASCADE')
        openid = pw.CharField(max_length=64, unique=True)
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE', unique=True)
        followed = pw.BooleanField(default=True)
        bound_at = pw.DateTimeField()

        class Meta:
            table_name = "we_chat_binding"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your rollback migrations here."""
    
    migrator.remove_model('we_chat_binding')

    migrator.remove_model('template')

    migrator.remove_model('task_watcher')

    migrator.remove_model('task_receipt')

    migrator.remove_model('task_node')

    migrator.remove_model('task_log')

    migrator.remove_model('task_editor')

    migrator.remove_model('project_member')

    migrator.remove_model('notification')

    migrator.remove_model('message')

    migrator.remove_model('feedback')

    migrator.remove_model('erp_event')

    migrator.remove_model('company_scoped')

    migrator.remove_model('comment')

    migrator.remove_model('task')

    migrator.remove_model('scenario')

    migrator.remove_model('business_type')

    migrator.remove_model('project')

    migrator.remove_model('binding_code')

    migrator.remove_model('user')

    migrator.remove_model('department')

    migrator.remove_model('base_model')

    migrator.remove_model('api_key')

    migrator.remove_model('announcement')

    migrator.remove_model('company')
