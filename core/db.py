"""Small query helpers shared by the apps."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

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
