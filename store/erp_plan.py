"""How ERP ingestion decides a batch (store.erp): what it reads once per batch, and per
chunk of events the transaction that locks the scenarios the chunk touches, reads their open
tasks, decides every event in memory and hands the rows to store.erp_batch.

Every decision is the one store.erp_apply would make for the event alone; an event that
needs that path (a "situation cleared" report, a first handler on leave) is applied there,
in a savepoint, after the rows decided before it are written.
"""
from datetime import datetime, time, timedelta

from peewee import DatabaseError

from store import conditions, erp_batch, erp_settings, leaves, projects
from store import tasks as task_store
from store.db import atomic_write, db
from store.erp_apply import (Event, active, apply_one, description, error, lock, of_scenario,
                             originals, result_of, rolled_up, title_of)
from store.erp_batch import Chunk, OpenTask, Setup
from store.erp_kinds import (ValueProblem, document_key, get_kind, is_cleared, parse_moment,
                             validate_event_data)
from store.errors import DomainError, Invalid, Refused
from store.models import PRIORITIES, ErpEvent, Scenario, Task, zone_named
from store.prebuilt import Prebuilt, columns, stored as stored_as

CHUNK = 250  # events per transaction: bounds how long a batch holds its scenarios' locks
_EVENT_COLUMNS = ("company", "event_id", "kind", "occurred_at", "data", "outcome", "task",
                  "received_at")
# One push, one event: its insert is built once (store.prebuilt).
_RECORD_ONE = Prebuilt(lambda **values: ErpEvent.insert(columns(ErpEvent, _EVENT_COLUMNS, values))
                       .on_conflict_ignore().returning(ErpEvent.event_id), *_EVENT_COLUMNS)


class Batch:
    """What one call reads once (the ERP project, the time zone, the enabled scenarios with
    their parsed conditions, each scenario's task set-up), and the chunk loop."""

    def __init__(self, company_id: int, now: datetime, rows: list | None = None):
        self.company_id, self.now = company_id, now
        rows = erp_settings.rows_of(company_id) if rows is None else rows
        if not rows or rows[0]["project_id"] is None:
            projects.erp_project(company_id)  # raises NotFound
        first = rows[0]
        self.project_id, self.project_name = first["project_id"], first["project_name"]
        self.archived = first["archived"]
        self.tz = zone_named(first["timezone"])
        # Enough of each scenario to match events against it (its row); the rest once one
        # matches (_completed).
        self.scenarios: dict[str, list] = {}
        for row in rows:
            if row["project_id"] == self.project_id and row["scenario_id"] is not None:
                self.scenarios.setdefault(row["kind"], []).append(row)
        self._complete: dict[int, Scenario] | None = None
        self._rules: dict[str, list] = {}
        self._setups: dict[int, Setup | DomainError | None] = {}

    def parse(self, index: int, event_id: str, raw: dict) -> Event:
        """The event checked, its scenarios matched and their titles rendered."""
        kind = get_kind(raw.get("kind"))
        occurred_at = moment_of(raw.get("occurred_at"), self.tz)
        data = validate_event_data(kind, raw.get("data"))
        doc_key = document_key(kind, data)
        if is_cleared(raw.get("data")):  # conditions aside: every enabled scenario's open task
            return Event(index, event_id, kind.name, occurred_at, data, True, doc_key,
                         self._completed(self.scenarios.get(kind.name, [])), {})
        matched = self._completed([s for s, required, optional in self._rules_of(kind)
                                   if conditions.matches(required, optional, data, tz=self.tz)])
        if matched and len(doc_key) > Task.erp_doc_key.max_length:  # a task could not keep it
            raise Invalid(f"单据字段太长（{'、'.join(kind.document_fields)} 合计不超过 "
                          f"{Task.erp_doc_key.max_length} 个字符）",
                          detail={"field": kind.document_fields[0], "problem": "单据字段太长"})
        return Event(index, event_id, kind.name, occurred_at, data, False, doc_key, matched,
                     {s.id: title_of(s, data) for s in matched})

    def _rules_of(self, kind) -> list:
        if kind.name not in self._rules:
            self._rules[kind.name] = [(s, conditions.parse_conditions(kind, s["required"]),
                                       conditions.parse_conditions(kind, s["optional"]))
                                      for s in self.scenarios.get(kind.name, [])]
        return self._rules[kind.name]

    def _completed(self, rows: list) -> list[Scenario]:
        """The scenarios of these rows with all their settings, read once per batch when
        first needed (one that was disabled or deleted meanwhile is left out)."""
        if rows and self._complete is None:
            self._complete = {s.id: s for s in Scenario.scoped(self.company_id)
                              .where(Scenario.enabled == True)}  # noqa: E712
        return [self._complete[r["scenario_id"]] for r in rows
                if r["scenario_id"] in self._complete]

    def unmatched_only(self, items: list) -> bool:
        """Whether every event is valid and matches no scenario (the ERP's everyday traffic),
        so that recording them is all there is to do, and the database can tell which ids it
        had already (INSERT … ON CONFLICT DO NOTHING RETURNING)."""
        return db.returning_clause and all(
            isinstance(p, Event) and not p.cleared and not p.scenarios for _, _, _, p in items)

    def record_unmatched(self, items: list, stored: dict, results: list) -> None:
        """Record events that match nothing in one statement, without a transaction around
        it (one statement is atomic); an id stored before answers as its original did."""
        rows = []
        for index, _, event_id, event in items:
            if event_id in stored:
                results[index] = stored[event_id]
                continue
            results[index] = {"id": event_id, "status": "no_match"}
            stored[event_id] = index
            rows.append(self._event_row(event, results[index]))
        if not rows:
            return
        if len(rows) == 1:  # one push, one event: its insert is built once (above)
            written = {event_id for (event_id,) in _RECORD_ONE.values(
                **stored_as(ErpEvent, rows[0]))}
        else:
            written = {row.event_id for row in ErpEvent.insert_many(rows).on_conflict_ignore()
                       .returning(ErpEvent.event_id).execute()}
        before = originals(self.company_id, [r["event_id"] for r in rows
                                             if r["event_id"] not in written])
        for event_id, answer in before.items():
            results[stored[event_id]] = answer

    def ingest(self, items: list, seen: dict, stored: dict, results: list) -> None:
        """One chunk in one transaction (see the module docstring)."""
        fresh = [p for _, _, event_id, p in items if isinstance(p, Event) and event_id not in seen]
        with atomic_write():
            lock(list({s.id: s for p in fresh for s in p.scenarios}.values()))
            chunk, planned, open_tasks = self._chunk(), [], None
            for index, shown, event_id, parsed in items:
                if event_id in seen:
                    results[index] = dict(seen[event_id])
                    continue
                if event_id in stored:
                    results[index] = stored[event_id]
                    continue
                if isinstance(parsed, DomainError):
                    results[index] = error(shown, parsed)
                    continue
                if open_tasks is None:
                    open_tasks = load_open_tasks(self.company_id,
                                                 [p for p in fresh if p.index >= index])
                try:
                    result = self._plan(chunk, open_tasks, parsed)
                except DomainError as exc:
                    results[index] = error(shown, exc)
                    continue
                if result is None:  # this one needs the one-at-a-time path
                    self._write(chunk, planned, results)
                    chunk, planned, open_tasks = self._chunk(), [], None
                    result = apply_one(self.company_id, self.project_id, parsed, self.now)
                else:
                    planned.append(parsed)
                results[index] = result
                if result["status"] != "error":
                    stored[event_id] = index
            self._write(chunk, planned, results)

    def _chunk(self) -> Chunk:
        return Chunk(self.company_id, self.project_id, self.project_name, self.tz, self.now)

    def _plan(self, chunk: Chunk, open_tasks: dict, event: Event) -> dict | None:
        """Decide the event in memory and add its rows to the chunk; its result (task ids
        still OpenTasks), or None when it needs the one-at-a-time path."""
        if event.cleared:
            return None
        decisions = []
        for scenario in event.scenarios:
            current = open_tasks.get((scenario.id, event.doc_key))
            if current:
                decisions.append((scenario, current[0], None))
                continue
            try:
                setup = self._setup(scenario)
                if not event.titles[scenario.id].strip():
                    raise Invalid("任务标题不能为空，且不超过200字")
            except DomainError as exc:
                raise of_scenario(scenario, exc) from None
            if setup is None:
                return None
            decisions.append((scenario, None, setup))
        outcomes = []
        for scenario, task, setup in decisions:
            if task is not None:
                fields, changes = rolled_up(scenario, event.kind, task.title, task.description,
                                            task.erp_data, event.data)
                task.erp_data, task.title = fields["erp_data"], fields["title"]
                task.description = fields["description"]
                task.occurrences += 1
                task.repeated = True
                chunk.logs.append((task, "erp_repeat", {"event_id": event.event_id,
                                                        "occurrences": task.occurrences,
                                                        "changes": changes}))
                outcomes.append({"scenario_id": scenario.id, "status": "matched_open_task",
                                 "task_id": task})
                continue
            task = OpenTask(None, dict(event.data), 1, event.titles[scenario.id].strip(),
                            description(event.kind, event.data), setup,
                            fields=self._fields(scenario, setup, event))
            chunk.created.append(task)
            open_tasks.setdefault((scenario.id, event.doc_key), []).append(task)
            chunk.logs.append((task, "create", {"project": self.project_name,
                                                "nodes": len(setup.nodes),
                                                "handler": setup.nodes[0]["handler_id"],
                                                "source": "erp"}))
            outcomes.append({"scenario_id": scenario.id, "status": "created", "task_id": task})
        result = result_of(event.event_id, outcomes)
        chunk.events.append(self._event_row(event, result))
        return result

    def _event_row(self, event: Event, result: dict) -> dict:
        return {"company": self.company_id, "event_id": event.event_id, "kind": event.kind,
                "occurred_at": event.occurred_at, "data": event.data,
                "outcome": result["status"], "task": result.get("task_id"),
                "received_at": self.now}

    def _fields(self, scenario: Scenario, setup: Setup, event: Event) -> dict:
        due_at = self.now + timedelta(days=setup.days)
        return {"priority": setup.priority,
                "business_type": setup.business_type, "due_at": due_at, "original_due_at": due_at,
                "source": "erp", "scenario": scenario.id, "erp_kind": event.kind,
                "erp_doc_key": event.doc_key}

    def _setup(self, scenario: Scenario) -> Setup | None:
        """The scenario's task set-up, checked as store.tasks.create_task checks a task (once
        per batch); None when its first handler is on leave (store.leaves decides whom
        the node goes to, on the one-at-a-time path)."""
        if scenario.id not in self._setups:
            try:
                self._setups[scenario.id] = self._check(scenario)
            except DomainError as exc:
                self._setups[scenario.id] = exc
        found = self._setups[scenario.id]
        if isinstance(found, DomainError):
            raise type(found)(found.message, found.detail)
        return found

    def _check(self, scenario: Scenario) -> Setup | None:
        settings = scenario.task_settings
        if self.archived:
            raise Refused("项目已归档，不能新建任务")
        if settings["priority"] not in PRIORITIES:
            raise Invalid(f"优先级必须是 {'/'.join(PRIORITIES)} 之一")
        task_store._check_due(self.now + timedelta(days=settings["days"]), self.now)
        business_type = task_store._check_business_type(self.project_id,
                                                        settings.get("business_type"))
        nodes = projects.validate_nodes(self.company_id, scenario.nodes)
        setup = Setup(scenario.id, nodes, active(self.company_id, scenario.watcher_ids),
                      active(self.company_id, scenario.editor_ids), settings["priority"],
                      business_type, settings["days"])
        handler = nodes[0]["handler_id"]
        return setup if leaves.stand_in_for(handler, self.now) == handler else None

    def _write(self, chunk: Chunk, planned: list[Event], results: list) -> None:
        if not chunk:
            return
        try:
            with db.atomic():  # a savepoint: a failed write leaves the transaction usable
                erp_batch.write(chunk)
        except DatabaseError:
            # Something about one of them is wrong (another request stored one of these ids
            # meanwhile, a scenario was deleted): apply each alone, so it fails alone.
            for event in planned:
                results[event.index] = apply_one(self.company_id, self.project_id, event, self.now)
            return
        for event in planned:
            result = results[event.index]
            for outcome in [result, *result.get("tasks", [])]:
                if isinstance(outcome.get("task_id"), OpenTask):
                    outcome["task_id"] = outcome["task_id"].id


def load_open_tasks(company_id: int, events: list[Event]) -> dict:
    """(scenario id, document) -> its open tasks, oldest first, for these events."""
    scenario_ids = {s.id for e in events if not e.cleared for s in e.scenarios}
    if not scenario_ids:
        return {}
    found: dict = {}
    for task in (Task.scoped(company_id, Task.id, Task.scenario, Task.erp_doc_key, Task.erp_data,
                             Task.occurrences, Task.title, Task.description)
                 .where(Task.scenario.in_(scenario_ids),
                        Task.erp_doc_key.in_({e.doc_key for e in events}),
                        Task.status == "in_progress", Task.deleted_at.is_null())
                 .order_by(Task.id)):
        found.setdefault((task.scenario_id, task.erp_doc_key), []).append(
            OpenTask(task.id, task.erp_data or {}, task.occurrences, task.title, task.description))
    return found


def moment_of(value, tz) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = parse_moment(value)
    except ValueProblem as exc:
        raise Invalid(f"occurred_at {exc}", detail={"field": "occurred_at", "problem": str(exc)}) from None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
