"""Small query helpers shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet


def get_or_none(qs: QuerySet, **lookup: Any) -> Model | None:
    """The row a unique lookup names, or None.

    ``get()`` rather than ``filter().first()``: ``first()`` orders by the model's ordering (or the primary
    key), and compiling that ORDER BY was a fifth of the CPU of a request on the hot paths (session
    lookup, sandbox tenant and transaction lookups). Only for lookups a unique constraint covers.
    """
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:
        return None
