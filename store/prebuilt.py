"""Statements run on every WeChat push or task command, with their SQL built once per
database kind.

peewee builds a query's SQL anew at every execution by walking the query's nodes: for the
sender's lookup (three tables joined) that is about 0.3 ms, more than the statement's round
trip to PostgreSQL, and every push runs three such statements, every task command several. A `Prebuilt` statement is
written as an ordinary peewee query over named arguments; it is built once with marker
values in their place, and every call runs the same SQL with the real values in the
markers' positions, reading the rows through the query's own cursor wrapper (joined models
included) exactly as executing the query would.

Arguments must be plain values peewee passes through unchanged (str, int) or aware
datetimes (stored as naive UTC, as `store.db.UTCDateTimeField` does). Writes of any field
(JSON, booleans) put `columns(...)` in the query and pass `stored(...)` values: the markers
then skip the fields' conversion, and the call's values get it. An insert must name every
column whose default is computed (`default=utcnow`): peewee fills in missing defaults when
it builds the statement, which here happens once.
"""
from datetime import datetime, timezone
from peewee import Value

from store.db import db


def _param(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class Prebuilt:
    def __init__(self, build, *names: str):
        """`build(**{name: value})` returns the peewee query; `names` are its arguments."""
        self._build = build
        self._names = names
        self._built = {}  # database class -> (template query, sql, params, {index: name})

    def _compiled(self):
        kind = type(db.obj)
        found = self._built.get(kind)
        if found is None:
            names = {f"\x00prebuilt:{name}\x00": name for name in self._names}
            query = self._build(**{name: marker for marker, name in names.items()})
            sql, params = query.sql()
            slots = {i: names[value] for i, value in enumerate(params)
                     if isinstance(value, str) and value in names}
            if set(slots.values()) != set(self._names):
                raise ValueError(f"prebuilt statement does not use all of {self._names}")
            found = self._built[kind] = (query, sql, params, slots)
        return found

    def _execute(self, values: dict):
        query, sql, params, slots = self._compiled()
        params = list(params)
        for index, name in slots.items():
            params[index] = _param(values[name])
        return query, db.execute_sql(sql, params)

    def rows(self, **values) -> list:
        """Every row, as iterating over the executed query would give them."""
        query, cursor = self._execute(values)
        wrapper = query._get_cursor_wrapper(cursor)
        wrapper.fill_cache()
        return wrapper.row_cache

    def first(self, **values):
        """The first row, as `.first()` would give it (write the query with LIMIT 1)."""
        rows = self.rows(**values)
        return rows[0] if rows else None

    def values(self, **values) -> list[tuple]:
        """The rows of a statement with RETURNING, as tuples."""
        return self._execute(values)[1].fetchall()

    def rowcount(self, **values) -> int:
        """How many rows a write changed."""
        return self._execute(values)[1].rowcount


def columns(model, names, values: dict) -> dict:
    """{field: marker} of `model` for an insert or update built with markers, kept from
    the fields' conversion (a JSON field would quote a marker, a boolean field eat it)."""
    return {model._meta.fields[name]: Value(values[name], converter=False) for name in names}


def stored(model, values: dict) -> dict:
    """The call's values as `model`'s fields store them, for the slots of `columns`."""
    return {name: model._meta.fields[name].db_value(value) for name, value in values.items()}
