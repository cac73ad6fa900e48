"""The hub's own Core API operations that change something act once: a ``requestId`` and a ``timestamp`` in the body.

The Core API signs the body alone (X-REQUEST-SIGN over its canonical JSON) and has no timestamp, so a captured
request verifies forever. The operations the hub adds to it that change state (``POST /terminate-sessions``,
``POST /certification/runs``) therefore take two more body fields, inside the signed bytes:

- ``requestId``: a UUID the partner makes up for each request. The first use is remembered in the store that
  remembers IGSP signatures (``integration_hub.replay``) for twice the clock-skew window; a second use answers
  409, whatever the rest of the body.
- ``timestamp``: when the partner sent it, as Unix seconds (a JSON integer) or an ISO-8601 date-time with a UTC
  offset (``2026-12-07T13:00:00Z``); more than ``HUB_CLOCK_SKEW_SECONDS`` from our clock, either way, is a 400.
  An id is remembered as long as a request carrying it could still be on time, so an old capture is refused by
  its timestamp once the store has forgotten its id.

``OnceBody`` declares both fields (subclass it); ``request_once`` records the id, after the body validated (a
refused body does not use up its id) and before the operation's service runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from core.errors import Conflict
from integration_hub import replay
from tenants.models import Partner

STORE_KEY = "core-api-request:{partner}"


class RequestReplayed(Conflict):
    code = "request_replayed"


class RequestTimestampField(serializers.Field):
    """Unix seconds (a JSON integer) or an ISO-8601 date-time with an offset, within ±HUB_CLOCK_SKEW_SECONDS."""

    default_error_messages = {
        "invalid": "Must be Unix seconds (an integer) or an ISO-8601 date-time with a UTC offset.",
        "stale": "Must be within {window} seconds of the hub's clock (now {now}); send the time of the request.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if isinstance(data, int) and not isinstance(data, bool):
            try:
                when = datetime.fromtimestamp(data, tz=UTC)
            except (OverflowError, OSError, ValueError):
                self.fail("invalid")
        elif isinstance(data, str):
            try:
                parsed = parse_datetime(data.strip())
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                self.fail("invalid")
            when = parsed
        else:
            self.fail("invalid")
        now, window = timezone.now(), settings.HUB_CLOCK_SKEW_SECONDS
        if abs((now - when).total_seconds()) > window:
            self.fail("stale", window=window, now=int(now.timestamp()))
        return when

    def to_representation(self, value: datetime) -> int:
        return int(value.timestamp())


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string (DRF's own field also takes an integer)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class OnceBody(serializers.Serializer):
    requestId = StrictUUIDField(
        help_text="A new UUID for each request. A requestId already used answers 409: to repeat an operation, "
        "send it again with a new requestId (and the current timestamp)."
    )
    timestamp = RequestTimestampField(
        help_text="When you sent the request: Unix seconds (an integer, e.g. 1796648400) or an ISO-8601 "
        "date-time with a UTC offset (e.g. 2026-12-07T13:00:00Z). Refused (400) when more than 300 seconds "
        "from the hub's clock, either way."
    )


def request_once(*, partner: Partner, validated: dict[str, Any]) -> None:
    """Record the body's ``requestId`` for ``partner``; ``RequestReplayed`` (409) if it was used before."""
    request_id = str(validated["requestId"])
    if not replay.signature_first_use(key_id=STORE_KEY.format(partner=partner.pk), signature=request_id):
        raise RequestReplayed(
            f"requestId {request_id} was already used: nothing was done again. Send each request with a new "
            "requestId and the current timestamp."
        )
