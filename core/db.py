"""Small query helpers shared by the apps."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.fields import AutoFieldMixin

# A primary key as callers hold it: the UUID itself, or its text (task arguments, URL parts, form values).
Pk = uuid.UUID | str


def get_or_none[Row](qs: QuerySet[Any, Row], **lookup: Any) -> Row | None:
    """The row a unique lookup names, or None.

    ``get()`` rather than ``filter().first()``: ``first()`` orders by the model's ordering (or the primary
    key), and compiling that ORDER BY was a fifth of the CPU of a request on the hot paths (session
    lookup, sandbox tenant and transaction lookups). Only for lookups a unique constraint covers.
    """
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:  # type: ignore[misc]  # the model's own exception class
        return None


# ----------------------------------------------------------------- hot paths --
#
# A bet runs a handful of statements whose SQL never changes: the session look-up (with its partner, ExtCID
# and game), the pending round and bet, the confirming UPDATE. Compiling them through the ORM cost more CPU
# than PostgreSQL spent running them (issue #15: a select_related get 3.8 ms of CPU against 0.6 ms for the
# same SQL sent as it is; a create 1.5 ms). The helpers below compile a statement's SQL once per process and
# database vendor and then only bind the values; the rows still go through the fields' own conversions
# (``get_db_prep_save`` in, the compiler's converters and ``Model.from_db`` out), so what the models hold is
# what the ORM would have given.


def insert_row(obj: Model, *, using: str = "default") -> None:
    """``INSERT`` ``obj`` as ``obj.save(force_insert=True)`` would, without the ORM's per-save machinery.

    Nothing is read back: an auto-increment key stays None on ``obj`` (for rows nothing refers to later, like a
    log entry); a key the constructor sets (``default=uuid.uuid4``) is the row's. Field
    defaults come from the constructor, ``auto_now``/``auto_now_add`` from ``pre_save``; no model signals are
    sent (the hot-path models have no receivers). Integrity errors propagate as Django's ``IntegrityError``.
    """
    connection = connections[using]
    model = type(obj)
    key = (model, connection.vendor)
    compiled = _INSERTS.get(key)
    if compiled is None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        compiled = _INSERTS[key] = (sql, fields)
    sql, fields = compiled
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
    obj._state.adding, obj._state.db = False, using


_INSERTS: dict[tuple[type, str], tuple[str, list[Field]]] = {}


def update_where(model: type[Model], where: dict[str, Any], values: dict[str, Any], *, using: str = "default") -> int:
    """``model.objects.filter(**where).update(**values)`` for equality filters on concrete fields, compiled once
    per (model, filter fields, updated fields); returns the number of rows updated."""
    connection = connections[using]
    key = (model, tuple(where), tuple(values), connection.vendor)
    compiled = _UPDATES.get(key)
    if compiled is None:
        meta, quote = model._meta, connection.ops.quote_name
        set_fields = [meta.get_field(name) for name in values]
        where_fields = [meta.get_field(name) for name in where]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in set_fields)} "
            f"WHERE {' AND '.join(f'{quote(f.column)} = %s' for f in where_fields)}"
        )
        compiled = _UPDATES[key] = (sql, set_fields, where_fields)
    sql, set_fields, where_fields = compiled
    params = [f.get_db_prep_save(v, connection) for f, v in zip(set_fields, values.values(), strict=True)]
    params += [f.get_db_prep_value(v, connection) for f, v in zip(where_fields, where.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


_UPDATES: dict[tuple, tuple[str, list[Field], list[Field]]] = {}


class PreparedGet[M: Model]:
    """A by-primary-key ``get`` (``select_related`` included) whose SQL is compiled once per process.

    ``PreparedGet(lambda: GameSession.objects.select_related("partner", "game"))`` then ``.get(pk)``: the
    instance, its related instances cached as ``select_related`` leaves them, or None. The queryset is built
    and compiled on the first call per database vendor, exactly as Django would run it (``ModelIterable``);
    each later call only executes the SQL with the new key and builds the instances from the row.
    """

    def __init__(self, queryset: Callable[[], QuerySet[M]]):
        self._queryset = queryset
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def get(self, pk: Any, *, using: str = "default") -> M | None:
        connection = connections[using]
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(connection.vendor) or self._compile(using)
                self._compiled[connection.vendor] = compiled
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [compiled.pk_field.get_db_prep_value(pk, connection)])
            row = cursor.fetchone()
        if row is None:
            return None
        (row,) = compiled.compiler.apply_converters([row], compiled.converters)
        obj = compiled.from_db(using, compiled.init_list, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj

    def _compile(self, using: str) -> _Compiled:
        from django.db.models.query import _get_from_db, get_related_populators

        queryset = self._queryset()
        model = queryset.model
        pk_field = model._meta.pk
        assert pk_field is not None
        compiler = queryset.filter(pk=_PLACEHOLDER_PK).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if len(params) != 1:  # the placeholder must be the statement's only parameter
            raise ValueError(f"PreparedGet takes a plain queryset (got {len(params)} parameters)")
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None
        fields = klass_info["select_fields"]
        fetch_mode = queryset._fetch_mode
        return _Compiled(
            sql=sql,
            pk_field=pk_field,
            compiler=compiler,
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            init_list=[f[0].target.attname for f in select[fields[0] : fields[-1] + 1]],
            start=fields[0],
            end=fields[-1] + 1,
            from_db=_get_from_db(model, fetch_mode),
            populators=get_related_populators(klass_info, select, using, fetch_mode),
        )


_PLACEHOLDER_PK = uuid.UUID(int=0)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    pk_field: Field
    compiler: Any
    converters: dict
    init_list: list[str]
    start: int
    end: int
    from_db: Callable[..., Any]
    populators: list[Any]
