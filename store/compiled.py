"""Queries of a fixed shape rendered to SQL once per database, then run with new values.

Peewee renders a query's SQL at every execution. For a select of a dozen columns over
three tables, or an insert of eight, that costs more than PostgreSQL takes to answer, so
on a path every request takes (the signed ERP push) the text is rendered once and only the
values change.
"""
import weakref

from peewee import Value

from store.db import db


class Compiled:
    """`build(*params)` returns the query, with one param per field of `fields` where a
    value goes; `rows(*values)` runs it with the values (converted as those fields store
    them) and answers the rows it returns, each column converted as peewee would."""

    def __init__(self, build, *fields):
        self._build, self._fields = build, fields
        self._rendered = weakref.WeakKeyDictionary()  # database -> (sql, params, columns)

    def rows(self, *values) -> list[tuple]:
        sql, params, markers, converters = (self._rendered.get(db.obj)
                                            or self._render(db.obj))
        given = {id(marker): field.db_value(value)
                 for marker, field, value in zip(markers, self._fields, values)}
        cursor = db.execute_sql(sql, [given.get(id(p), p) for p in params])
        return [tuple(convert(v) for convert, v in zip(converters, row))
                for row in cursor.fetchall()]

    def _render(self, database) -> tuple:
        markers = [object() for _ in self._fields]
        query = self._build(*[Value(m, converter=False) for m in markers])
        sql, params = query.sql()
        # What the query returns: a select's columns, an insert's RETURNING.
        rendered = (sql, params, markers, [c.python_value for c in query._returning])
        self._rendered[database] = rendered
        return rendered
