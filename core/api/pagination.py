"""Opaque keyset cursors over a stable (updated_at, id) order, both directions.

The cursor is base64url(JSON {"u": updated_at, "i": id, "d": "n"|"p"}): "n" pages
forward after that row, "p" backwards before it. Clients treat it as opaque.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def encode_cursor(updated_at: datetime, pk: object, direction: str) -> str:
    raw = json.dumps({"u": updated_at.isoformat(), "i": str(pk), "d": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


@dataclass
class Cursor:
    updated_at: datetime
    pk: str
    direction: str


def decode_cursor(token: str) -> Cursor:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        updated_at = parse_datetime(data["u"])
        if updated_at is None or data["d"] not in ("n", "p") or not isinstance(data["i"], str):
            raise ValueError
        return Cursor(updated_at, data["i"], data["d"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise serializers.ValidationError({"cursor": "Invalid cursor."}) from None


class CursorParams(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=500)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    # A timestamp without an offset is read as UTC.
    updated_after = serializers.DateTimeField(required=False)


def paginate(qs: QuerySet, *, cursor: str | None, limit: int, field: str = "updated_at") -> tuple[list, dict, dict]:
    """Returns (rows, cursor block, meta block). ``qs`` must be ordered by (``field``, id): ``updated_at`` for the
    catalog's delta syncs, ``created_at`` for the transaction lookup."""
    direction = "n"
    if cursor:
        c = decode_cursor(cursor)
        direction = c.direction
        after = Q(**{f"{field}__gt": c.updated_at}) | Q(**{field: c.updated_at, "pk__gt": c.pk})
        before = Q(**{f"{field}__lt": c.updated_at}) | Q(**{field: c.updated_at, "pk__lt": c.pk})
        qs = qs.filter(after) if direction == "n" else qs.filter(before).order_by(f"-{field}", "-pk")
    rows = list(qs[: limit + 1])
    extra = len(rows) > limit
    rows = rows[:limit]
    if direction == "p":
        rows.reverse()
    has_more_forward = extra if direction == "n" else bool(cursor)
    has_more_backward = bool(cursor) if direction == "n" else extra
    nxt = encode_cursor(getattr(rows[-1], field), rows[-1].pk, "n") if rows and has_more_forward else None
    prev = encode_cursor(getattr(rows[0], field), rows[0].pk, "p") if rows and has_more_backward else None
    meta = {"limit": limit, "returned": len(rows), "has_more": nxt is not None}
    return rows, {"next": nxt, "previous": prev}, meta
