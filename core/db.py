"""Small query helpers shared by the apps."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, overload

import psycopg  # the PostgreSQL driver (requirements.txt), installed with SQLite as the database too
from django.db import connections, models, transaction
from django.db.models import Field, Manager, Model, QuerySet
from django.db.models.fields import AutoFieldMixin

# A primary key as callers hold it: the UUID itself, or its text (task arguments, URL parts, form values).
Pk = uuid.UUID | str


@overload
def get_or_none[M: Model](qs: Manager[M], **lookup: Any) -> M | None: ...
@overload
def get_or_none[Row](qs: QuerySet[Any, Row], **lookup: Any) -> Row | None: ...
def get_or_none(qs: Any, **lookup: Any) -> Any:
    """The row a unique lookup names, or None.

    ``get()`` rather than ``filter().first()``: ``first()`` orders by the model's ordering (or the primary
    key), and compiling that ORDER BY is a large share of a hot-path request's CPU (session lookup, sandbox
    tenant and transaction lookups). Only for lookups a unique constraint covers.
    """
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:  # type: ignore[misc]  # the model's own exception class
        return None


# ----------------------------------------------------------------- hot paths --
#
# A bet runs a handful of statements whose SQL never changes: the session look-up (with its partner, ExtCID
# and game), the pending round and bet, the confirming UPDATE. Compiling them through the ORM costs more CPU
# than PostgreSQL spends running them (docs/performance.md). The helpers below compile a statement's SQL once per process and
# database vendor and then only bind the values; the rows still go through the fields' own conversions
# (``get_db_prep_save`` in, the compiler's converters and ``Model.from_db`` out), so what the models hold is
# what the ORM would have given.
#
# On PostgreSQL they also run as prepared statements (``_hot_cursor``): PostgreSQL then parses and plans each once
# per connection instead of on every bet, and psycopg binds the values instead of quoting them into the text.


def _hot_cursor(connection: Any) -> Any:
    """A cursor for one of the fixed statements above: Django's own wrapper (execute_wrapper, query logging,
    database errors raised as Django's), on PostgreSQL around a psycopg cursor that has the server bind the
    values and prepares the statement on its first run on the connection. A connection that prepares nothing
    (``prepare_threshold`` None: behind PgBouncer in transaction mode, ``config/settings/base.py``) still has
    the server bind the values (unnamed statements: nothing outlives the transaction), unprepared."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    _trust_fresh_connection(connection)
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID  # type: ignore[attr-defined]
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
        raw.hub_prepare = connection.connection.prepare_threshold is not None
        # As Django's create_cursor does: the connection's time zone, if it changed since it connected.
        if (
            connection.timezone
            != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, psycopg.pq.Format.TEXT).timezone
        ):
            register_tzloader(connection.timezone, raw)
    return connection._prepare_cursor(raw)  # noqa: SLF001 - Django's CursorWrapper (its debug wrapper under DEBUG)


def prepared_cursor(using: str = "default") -> Any:
    """A cursor for a statement whose SQL never changes (a fixed text, values bound): on PostgreSQL prepared on
    its first run on the connection and bound by the server (as ``_hot_cursor``), elsewhere Django's own."""
    return _hot_cursor(connections[using])


# A connection a statement went out on less than this long ago, with no error since, is taken as alive: Django's
# health check (CONN_HEALTH_CHECKS) would otherwise send a ``SELECT 1`` at the start of every request, a round trip
# that was one of a bet's six. An idle connection (the ones a restart or an idle timeout cut) is still checked.
FRESH_CONNECTION_SECONDS = 1.0


def _trust_fresh_connection(connection: Any) -> None:
    now = time.monotonic()
    if (
        connection.connection is not None
        and not connection.health_check_done
        and not connection.errors_occurred
        and now - connection.__dict__.get("hub_used_at", float("-inf")) < FRESH_CONNECTION_SECONDS
    ):
        connection.health_check_done = True
    connection.hub_used_at = now


class _PreparingCursor(psycopg.Cursor):
    """A psycopg ``Cursor`` (server-side binding: ``%b`` binary parameters work) that asks for every statement to be
    prepared (psycopg keeps the connection's prepared statements, at most ``prepared_max``, and prepares again after
    a ROLLBACK), unless the connection prepares nothing (``hub_prepare`` False: behind PgBouncer in transaction mode,
    where a prepared statement would be left on a server connection the next transaction may not get)."""

    hub_prepare = True

    def execute(  # type: ignore[override]
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        if prepare is None:
            prepare = self.hub_prepare
        return super().execute(query, params, prepare=prepare, binary=binary)


@contextmanager
def one_round_trip(using: str = "default") -> Iterator[None]:
    """The statements run inside go out together and are answered together, on PostgreSQL (psycopg's pipeline
    mode): a fetch sends what is queued and waits once for every answer. Outside a transaction they are one
    implicit transaction (all or nothing, one commit): when one fails, none is written, and the error is raised at
    the fetch or at the end of the block. Elsewhere they run one by one, as without it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def insert_row(obj: Model, *, using: str = "default") -> None:
    """``INSERT`` ``obj`` as ``obj.save(force_insert=True)`` would, without the ORM's per-save machinery.

    Nothing is read back: an auto-increment key stays None on ``obj`` (for rows nothing refers to later, like a
    log entry); a key the constructor sets (``default=uuid.uuid4``) is the row's. Field defaults come from the
    constructor, ``auto_now``/``auto_now_add`` from ``pre_save``; no model signals are sent (the hot-path models
    have no receivers). Integrity errors propagate as Django's ``IntegrityError``.
    """
    connection = connections[using]
    sql, values = _insert_sql(obj, connection)
    with _hot_cursor(connection) as cursor:
        cursor.execute(sql, values)
    obj._state.adding, obj._state.db = False, using


def insert_rows(objs: Sequence[Model], *, using: str = "default") -> None:
    """``insert_row`` each of ``objs`` (rows of one model) in one transaction: on PostgreSQL one prepared INSERT
    run for every row in one round trip (psycopg's pipelined ``executemany``), instead of a ``bulk_create``
    whose multi-row SQL the ORM compiles again for every number of rows. All or nothing."""
    if not objs:
        return
    if any(type(obj) is not type(objs[0]) for obj in objs):
        raise TypeError("insert_rows takes rows of one model")
    connection = connections[using]
    sql = _insert_sql(objs[0], connection)[0]
    rows = [_insert_sql(obj, connection)[1] for obj in objs]
    with transaction.atomic(using=using, savepoint=False), _hot_cursor(connection) as cursor:
        cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding, obj._state.db = False, using


def insert_batch(objs: Sequence[Model], *, using: str = "default") -> None:
    """``insert_rows``, as one statement on PostgreSQL: ``INSERT … SELECT * FROM unnest(<one array per column>)``,
    whose text is the same for any number of rows (prepared once per connection), so a statement-level trigger
    runs once for the batch. Elsewhere ``insert_rows``."""
    if not objs:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        insert_rows(objs, using=using)
        return
    sql, columns = insert_batch_sql(objs, using=using)
    with transaction.atomic(using=using, savepoint=False), _hot_cursor(connection) as cursor:
        cursor.execute(sql, columns)
    for obj in objs:
        obj._state.adding, obj._state.db = False, using


def insert_batch_sql(objs: Sequence[Model], *, using: str = "default") -> tuple[str, list[list[Any]]]:
    """``insert_batch``'s statement (PostgreSQL) and its values (one array per column), to run it alone or as a
    clause of a larger statement (``WITH a AS (<insert>), …``). The caller marks the rows as saved."""
    if not objs or any(type(obj) is not type(objs[0]) for obj in objs):
        raise TypeError("insert_batch takes rows of one model")
    connection = connections[using]
    model = type(objs[0])
    key = (model, "unnest")
    compiled = _INSERTS.get(key)
    if compiled is None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
        quote = connection.ops.quote_name
        arrays = ", ".join(f"%b::{f.cast_db_type(connection)}[]" for f in fields)  # binary: 7x cheaper to dump
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)}) "
            f"SELECT * FROM unnest({arrays})"
        )
        compiled = _INSERTS[key] = (sql, fields)
    sql, fields = compiled
    rows = [[f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields] for obj in objs]
    return sql, [list(column) for column in zip(*rows, strict=True)]


def update_batch_sql(
    model: type[Model],
    objs: Sequence[Model],
    fields: Sequence[str],
    *,
    month: str,
    only: dict[str, Any] | None = None,
    using: str = "default",
) -> tuple[str, list[Any]]:
    """An UPDATE of each of ``objs``'s rows to the values its ``fields`` hold, as one statement on PostgreSQL (the
    new values as one array per column: ``UPDATE … FROM unnest(…)``, one text for any number of rows), to run
    alone or as a clause of a larger statement; ``RETURNING 1`` per row updated.

    Rows are matched by primary key and ``month`` (the partition key: its values as an array and their range, so
    PostgreSQL probes only the rows' partitions); ``only`` adds equality conditions on the current row
    (``{"status": "pending"}``: a row changed meanwhile is left as it is). An empty ``objs`` updates nothing."""
    connection = connections[using]
    meta, quote = model._meta, connection.ops.quote_name
    key = (model, tuple(fields), month, tuple(only or ()))
    compiled = _BATCH_UPDATES.get(key)
    if compiled is None:
        pk, part = _concrete(meta.pk), _concrete(meta.get_field(month))
        columns = [_concrete(meta.get_field(name)) for name in fields]
        names = [quote(str(c.column)) for c in [pk, part, *columns]]
        arrays = ", ".join(f"%b::{c.cast_db_type(connection)}[]" for c in [pk, part, *columns])
        checks = "".join(f" AND t.{quote(str(_concrete(meta.get_field(name)).column))} = %s" for name in (only or {}))
        part_column, cast = quote(str(part.column)), part.cast_db_type(connection)
        sql = (
            f"UPDATE {quote(meta.db_table)} t SET {', '.join(f'{n} = v.{n}' for n in names[2:])}"
            f" FROM unnest({arrays}) AS v({', '.join(names)})"
            f" WHERE t.{names[0]} = v.{names[0]} AND t.{part_column} = v.{part_column}"
            f" AND t.{part_column} = ANY(%b::{cast}[]) AND t.{part_column} BETWEEN %s AND %s{checks} RETURNING 1"
        )
        compiled = _BATCH_UPDATES[key] = (sql, pk, part, columns, [_concrete(meta.get_field(n)) for n in only or {}])
    sql, pk, part, columns, checked = compiled
    months = [part.get_db_prep_value(getattr(obj, part.attname), connection) for obj in objs]
    params: list[Any] = [[pk.get_db_prep_value(obj.pk, connection) for obj in objs], months]
    params += [[c.get_db_prep_save(getattr(obj, c.attname), connection) for obj in objs] for c in columns]
    params += [months, min(months, default=None), max(months, default=None)]
    params += [f.get_db_prep_value(v, connection) for f, v in zip(checked, (only or {}).values(), strict=True)]
    return sql, params


_BATCH_UPDATES: dict[tuple, tuple[str, Any, Any, list[Any], list[Any]]] = {}


def _concrete(field: object) -> Field[Any, Any]:
    """A model's own column (``_meta.get_field`` may also answer a reverse relation, which has none)."""
    if not isinstance(field, Field):
        raise TypeError(f"{field!r} is not a column of the model")
    return field


def _insert_sql(obj: Model, connection: Any, *, guarded: bool = False) -> tuple[str, list[Any]]:
    """The INSERT of ``obj``'s row and its values; ``guarded``: ``INSERT … SELECT`` the values only when the
    statement's first update clause (``u0``, ``write_rows``) changed a row (each value cast to its column's type:
    a SELECT's parameters have none of their own)."""
    model = type(obj)
    key = (model, connection.vendor, guarded)
    compiled = _INSERTS.get(key)
    if compiled is None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
        quote = connection.ops.quote_name
        head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        if guarded:
            casts = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)
            sql = f"{head}SELECT {casts} WHERE EXISTS (SELECT 1 FROM u0)"
        else:
            sql = f"{head}VALUES ({', '.join(['%s'] * len(fields))})"
        compiled = _INSERTS[key] = (sql, fields)
    sql, fields = compiled
    return sql, [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]


_INSERTS: dict[tuple, tuple[str, list[Field]]] = {}


def update_where(model: type[Model], where: dict[str, Any], values: dict[str, Any], *, using: str = "default") -> int:
    """``model.objects.filter(**where).update(**values)`` for equality filters on concrete fields, compiled once
    per (model, filter fields, updated fields); returns the number of rows updated."""
    connection = connections[using]
    sql, params = _update_sql(model, where, values, connection)
    with _hot_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _update_sql(
    model: type[Model], where: dict[str, Any], values: dict[str, Any], connection: Any
) -> tuple[str, list[Any]]:
    key = (model, tuple(where), tuple(values), connection.vendor)
    compiled = _UPDATES.get(key)
    if compiled is None:
        meta, quote = model._meta, connection.ops.quote_name
        set_fields: list[Any] = [meta.get_field(name) for name in values]
        where_fields: list[Any] = [meta.get_field(name) for name in where]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in set_fields)} "
            f"WHERE {' AND '.join(f'{quote(f.column)} = %s' for f in where_fields)}"
        )
        compiled = _UPDATES[key] = (sql, set_fields, where_fields)
    sql, set_fields, where_fields = compiled
    params = [f.get_db_prep_save(v, connection) for f, v in zip(set_fields, values.values(), strict=True)]
    params += [f.get_db_prep_value(v, connection) for f, v in zip(where_fields, where.values(), strict=True)]
    return sql, params


_UPDATES: dict[tuple, tuple[str, list[Any], list[Any]]] = {}


def write_rows(
    inserts: list[Model],
    updates: list[tuple[type[Model], dict[str, Any], dict[str, Any]]],
    *,
    inserts_if_updated: bool = False,
    using: str = "default",
) -> list[int]:
    """``insert_row`` each of ``inserts`` and ``update_where`` each of ``updates`` (model, where, values); returns
    the updates' row counts. All or nothing: on PostgreSQL one statement (data-modifying ``WITH`` clauses: one
    round trip, atomic even outside a transaction; for a caller holding a hot row lock, or a bet's pending rows
    committed on their own), elsewhere one statement each inside ``transaction.atomic``. The statements must not
    depend on each other's effects (PostgreSQL runs a statement's clauses on one snapshot).

    ``inserts_if_updated``: the rows are inserted only when the first update changed a row (a bet's confirmation
    and the game's row that goes with it: nothing is written for a bet the sweeper already refunded)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using, savepoint=False):  # a caller's transaction, or one of its own
            if inserts_if_updated:
                changed = [update_where(model, where, values, using=using) for model, where, values in updates]
                if changed[0]:
                    for obj in inserts:
                        insert_row(obj, using=using)
                return changed
            for obj in inserts:
                insert_row(obj, using=using)
            return [update_where(model, where, values, using=using) for model, where, values in updates]
    insert_clauses: list[str] = []
    insert_params: list[Any] = []
    for i, obj in enumerate(inserts):
        sql, row = _insert_sql(obj, connection, guarded=inserts_if_updated)
        insert_clauses.append(f"i{i} AS ({sql})")
        insert_params += row
    update_clauses: list[str] = []
    update_params: list[Any] = []
    for i, (model, where, values) in enumerate(updates):
        sql, bound = _update_sql(model, where, values, connection)
        update_clauses.append(f"u{i} AS ({sql} RETURNING 1)")
        update_params += bound
    if inserts_if_updated:  # a clause reads only the ones before it: the updates first
        clauses, params = update_clauses + insert_clauses, update_params + insert_params
    else:
        clauses, params = insert_clauses + update_clauses, insert_params + update_params
    counts = ", ".join(f"(SELECT count(*) FROM u{i})" for i in range(len(updates))) or "1"
    with _hot_cursor(connection) as cursor:
        cursor.execute(f"WITH {', '.join(clauses)} SELECT {counts}", params)
        row = cursor.fetchone()
    for obj in inserts:
        obj._state.adding, obj._state.db = False, using
    return list(row) if updates else []


class PreparedGet[M: Model]:
    """A ``get`` by a unique key (``select_related`` and ``select_for_update`` included) whose SQL is compiled
    once per process.

    ``PreparedGet(lambda: GameSession.objects.select_related("partner", "game"))`` then ``.get(pk)``: the
    instance, its related instances cached as ``select_related`` leaves them, or None. ``by`` names other
    unique fields (``by=("market_id", "currency")``, then ``.get(market_id, "EUR")``); the queryset may carry
    filters that compile to no parameter (``filter(demo=True)``). It is built and compiled on the first call
    per database vendor, exactly as Django would run it (``ModelIterable``); each later call only executes the
    SQL with the new values and builds the instances from the row. A ``select_for_update`` queryset must be
    used inside ``transaction.atomic`` (Django's own check does not run here).
    """

    def __init__(self, queryset: Callable[[], QuerySet[M]], *, by: tuple[str, ...] = ("pk",)):
        self._queryset = queryset
        self._by = by
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def get(self, *values: Any, using: str = "default") -> M | None:
        connection = connections[using]
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(connection.vendor) or self._compile(using)
                self._compiled[connection.vendor] = compiled
        key = [f.get_db_prep_value(v, connection) for f, v in zip(compiled.key_fields, values, strict=True)]
        params = [
            key[slot] if slot is not None else fixed
            for slot, fixed in zip(compiled.slots, compiled.params, strict=True)
        ]
        with _hot_cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        return _build(compiled, [row], using)[0]

    def _compile(self, using: str) -> _Compiled:

        queryset = self._queryset()
        model, connection = queryset.model, connections[using]
        key_fields: list[Any] = [model._meta.pk if name == "pk" else model._meta.get_field(name) for name in self._by]
        placeholders = [_placeholder(f) for f in key_fields]
        for name, value in zip(self._by, placeholders, strict=True):  # one by one: Q(**kwargs) would sort them
            queryset = queryset.filter(**{name: value})
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        expected = [f.get_db_prep_value(v, connection) for f, v in zip(key_fields, placeholders, strict=True)]
        # Which parameters are the key's (the placeholders, in order) and which the queryset's own (kept as they are).
        slots: list[int | None] = []
        for param in params:
            found = len([s for s in slots if s is not None])
            slots.append(found if found < len(expected) and param == expected[found] else None)
        if len([s for s in slots if s is not None]) != len(expected) or len(params) > len(expected) + 2:
            raise ValueError(f"PreparedGet takes a plain queryset (its parameters: {list(params)!r})")
        return _compiled(queryset, compiler, sql, params, using, key_fields=key_fields, slots=slots)


def _build(compiled: _Compiled, rows: list[Any], using: str) -> list[Any]:
    """The instances of ``rows`` (their related instances cached as ``select_related`` leaves them), as the ORM's
    ``ModelIterable`` builds them."""
    objs = []
    for row in compiled.compiler.apply_converters(rows, compiled.converters):
        obj = compiled.from_db(using, compiled.init_list, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        objs.append(obj)
    return objs


class PreparedQuery[M: Model]:
    """A queryset run many times with other values, its SQL compiled once per process (PostgreSQL; elsewhere the
    queryset itself runs each time).

    ``PreparedQuery(build, markers)``: ``build(*values)`` returns the queryset for those values; it is compiled
    once with ``markers`` (one value per argument, each distinct from every other value the query holds, of the
    type the query compares it with) and each call binds the real values where the markers were. A LIMIT is
    part of the SQL text: pass it as ``variant`` (one compiled statement per variant). ``select_related`` and
    ``select_for_update`` work as in :class:`PreparedGet` (inside ``transaction.atomic`` for the latter).

    ``around(cte, columns)``: on PostgreSQL, the statement sent is the one it returns, built around the compiled
    SELECT, for a data-modifying ``WITH`` whose other clauses act on the rows selected, in one statement (one round
    trip, atomic on its own). ``cte`` is the SELECT as a ``WITH`` clause's column list and body (``(c0, c1, …) AS
    (<select>)``: ``f"WITH picked{cte}, … SELECT * FROM picked"``); ``columns`` maps each field of the root model
    (``attname``) to its alias ``c<i>``; the statement must return the SELECT's columns in their order. The values
    of the clauses it adds (``%s`` after the SELECT) are passed to ``rows`` as ``after``. Elsewhere the queryset
    runs alone (the caller does the rest)."""

    def __init__(
        self,
        build: Callable[..., QuerySet[M]],
        markers: tuple[Any, ...],
        *,
        around: Callable[[str, dict[str, str]], str] | None = None,
    ):
        self._build, self._markers, self._around = build, markers, around
        self._compiled: dict[Any, tuple[_Compiled, list[int | None]]] = {}
        self._lock = threading.Lock()

    def rows(self, *values: Any, variant: Any = None, after: Sequence[Any] = (), using: str = "default") -> list[M]:
        connection = connections[using]
        if connection.vendor != "postgresql":
            return list(self._build(*values, variant) if variant is not None else self._build(*values))
        compiled = self._compiled.get(variant)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(variant) or self._compile(variant, using)
                self._compiled[variant] = compiled
        statement, slots = compiled
        params = [
            values[slot] if slot is not None else fixed for slot, fixed in zip(slots, statement.params, strict=True)
        ]
        params += after
        with _hot_cursor(connection) as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        return _build(statement, rows, using)

    def _compile(self, variant: Any, using: str) -> tuple[_Compiled, list[int | None]]:

        queryset = self._build(*self._markers, variant) if variant is not None else self._build(*self._markers)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = _as_sql(compiler, connections[using])
        slots = [next((i for i, m in enumerate(self._markers) if _same(p, m)), None) for p in params]
        if sorted({s for s in slots if s is not None}) != list(range(len(self._markers))):
            raise ValueError(f"PreparedQuery: a marker is missing from the query's parameters {list(params)!r}")
        statement = _compiled(queryset, compiler, sql, params, using)
        if self._around is not None:
            columns = {name: f"c{statement.start + i}" for i, name in enumerate(statement.init_list)}
            aliases = ", ".join(f"c{i}" for i in range(len(compiler.select)))
            statement = dataclasses.replace(statement, sql=self._around(f"({aliases}) AS ({sql})", columns))
        return statement, slots


def _as_sql(compiler: Any, connection: Any) -> tuple[str, Sequence[Any]]:
    """The compiler's SQL. Django compiles a ``select_for_update`` only inside a transaction (it checks that the
    connection is not in autocommit); these statements are only compiled here, and run where the caller is (the
    pump's claim runs on its own, as one statement), so the check is lifted while compiling, without touching the
    connection itself (an ``atomic`` block would send a BEGIN when statements are queued in a pipeline)."""
    connection.ensure_connection()
    autocommit = connection.autocommit
    connection.autocommit = False
    try:
        return compiler.as_sql()
    finally:
        connection.autocommit = autocommit


def _compiled(
    queryset: QuerySet[Any],
    compiler: Any,
    sql: str,
    params: Sequence[Any],
    using: str,
    *,
    key_fields: list[Any] | None = None,
    slots: list[int | None] | None = None,
) -> _Compiled:
    """What building a row's instances needs, as Django's ``ModelIterable`` reads it from the compiler."""
    from django.db.models.query import _get_from_db, get_related_populators  # type: ignore[attr-defined]

    select, klass_info = compiler.select, compiler.klass_info
    if klass_info is None:
        raise ValueError("the compiled query selects no model")
    fields = klass_info["select_fields"]
    fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]  # noqa: SLF001 - Django 6.1's, as ModelIterable reads it
    return _Compiled(
        sql=sql,
        key_fields=key_fields or [],
        slots=slots or [],
        params=list(params),
        compiler=compiler,
        converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
        init_list=[f[0].target.attname for f in select[fields[0] : fields[-1] + 1]],
        start=fields[0],
        end=fields[-1] + 1,
        from_db=_get_from_db(queryset.model, fetch_mode),
        populators=get_related_populators(klass_info, select, using, fetch_mode),
    )


def _same(param: Any, marker: Any) -> bool:
    return type(param) is type(marker) and param == marker


def _placeholder(field: Any) -> Any:
    """A value of the key field's type to compile the statement with (only its parameter slot is kept)."""
    target = getattr(field, "target_field", field)
    if isinstance(target, models.UUIDField):
        return uuid.UUID(int=0)
    if isinstance(target, models.CharField | models.TextField):
        return "placeholder"
    if isinstance(target, models.IntegerField | models.AutoField | models.BigAutoField):
        return -987654321
    raise ValueError(f"PreparedGet: no placeholder for {field!r}")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    key_fields: list[Any]
    slots: list[int | None]  # per parameter: the key value's index, or None for the queryset's own value
    params: list[Any]
    compiler: Any
    converters: dict
    init_list: list[str]
    start: int
    end: int
    from_db: Callable[..., Any]
    populators: list[Any]
