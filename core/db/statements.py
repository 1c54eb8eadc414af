"""Two statements the ORM cannot write: adding to counters on conflict, and an UPDATE that returns its rows.

Both save a read before a write in the session save's transaction, where every round trip is paid by
every learner's save. PostgreSQL and SQLite (3.35+) accept both forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models import sql


def add_to_counters(model: type[models.Model], *, unique_fields: Sequence[str], counters: Sequence[str],
                    rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert each row, or add its `counters` to the row that already holds its `unique_fields`, in one statement.

    A row maps the attname of each unique field and counter ("user_id" for the field "user") to its value;
    the unique fields must be a unique constraint of the model. bulk_create(update_conflicts=True) can only
    overwrite a column with the new value, which would need the old one read first.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in (*unique_fields, *counters)]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    conflict = ", ".join(quote(field.column) for field in fields[:len(unique_fields)])
    additions = ", ".join(f"{quote(field.column)} = {table}.{quote(field.column)} + EXCLUDED.{quote(field.column)}"
                          for field in fields[len(unique_fields):])
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    params = [field.get_db_prep_save(row[field.attname], connection) for row in rows for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders} "
                       f"ON CONFLICT ({conflict}) DO UPDATE SET {additions}", params)


def update_returning(queryset: models.QuerySet, values: Mapping[str, Any], returning: Sequence[str]) -> list[tuple]:
    """`queryset.update(**values)` that answers the updated rows' `returning` fields (attnames), as tuples.

    The statement is the ORM's own UPDATE (expressions such as F("xp") + 1 included) with RETURNING added;
    like update(), it sets no auto_now field by itself.
    """
    alias = queryset._db or router.db_for_write(queryset.model)  # where update() would write
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    compiler = query.get_compiler(alias)
    compiler.pre_sql_setup()
    statement, params = compiler.as_sql()
    connection = connections[alias]
    meta = queryset.model._meta
    columns = [meta.get_field(name).get_col(meta.db_table) for name in returning]
    # What the ORM's own reads apply to a column: the backend's converters, then the field's (SQLite's UUIDs).
    converters = [(column, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)])
                  for column in columns]
    names = ", ".join(connection.ops.quote_name(column.target.column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"{statement} RETURNING {names}", params)
        rows = cursor.fetchall()
    return [tuple(_converted(value, column, funcs, connection)
                  for value, (column, funcs) in zip(row, converters, strict=True)) for row in rows]


def _converted(value: Any, column: Any, funcs: list, connection: Any) -> Any:
    for func in funcs:
        value = func(value, column, connection)
    return value
