"""JSON rendering that writes Decimal as an exact JSON number (never through float)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import simplejson
from rest_framework.renderers import JSONRenderer


def _default(obj: Any) -> Any:
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, datetime.datetime):
        text = obj.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "__iter__"):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def dumps_exact(value: Any, **kwargs: Any) -> bytes:
    """Compact JSON bytes; Decimal('100.50') is written as 100.50."""
    return simplejson.dumps(
        value, use_decimal=True, default=_default, separators=(",", ":"), ensure_ascii=False, **kwargs
    ).encode("utf-8")


class DecimalJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        return dumps_exact(data)


if dumps_exact({"a": Decimal("1.10")}) != b'{"a":1.10}':
    raise ImportError("orjson no longer passes Decimal digits through as written")
