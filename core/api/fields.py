"""Serializer fields that take the JSON type the contracts name, nothing it could be coerced from.

DRF's own fields are lenient: ``CharField`` turns ``0`` into ``"0"``, ``BooleanField`` reads ``"yes"``
and ``1``, ``IntegerField`` reads ``"5"`` and ``5.0``. A partner's bug should get a clear 400, not be
stored as something it did not mean.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false only."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (not a string, a boolean or a float)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
