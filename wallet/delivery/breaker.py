"""The per-partner circuit breaker of the delivery engine (``wallet.delivery``).

After ``HUB_BREAKER_FAILURES`` consecutive failed calls (5xx, timeout, connection error; a 4xx means the
partner is up) the partner is *open*: nothing is sent to it until ``PartnerDeliveryState.open_until``,
a pause that doubles each time it re-opens (``HUB_BREAKER_COOLDOWN_SECONDS``, capped at 5 min). After
the pause exactly one caller gets the *probe* (:func:`gate`); its answer closes the breaker again or
re-opens it (:func:`record`). Waiting for the breaker never counts as an attempt. The state row is
``wallet.models.PartnerDeliveryState`` (created by ``wallet.outbox.state_row``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from core.db import Pk, get_or_none

from ..models import PartnerDeliveryState
from ..outbox import lease_seconds, state_row


def threshold() -> int:
    return settings.HUB_BREAKER_FAILURES


def cooldown(opened_count: int) -> float:
    base = settings.HUB_BREAKER_COOLDOWN_SECONDS
    return min(300.0, base * (2 ** min(opened_count, 5)))


CLOSED, PROBE, OPEN = "closed", "probe", "open"


def gate(partner_id: Pk | None, now: datetime) -> tuple[str, datetime | None]:
    """(closed | probe | open, retry_at). After the pause, exactly one caller gets the probe."""
    if partner_id is None:
        return CLOSED, None
    state = get_or_none(PartnerDeliveryState.objects.values("pk", "open_until"), partner_id=partner_id)
    if state is None or state["open_until"] is None:
        return CLOSED, None
    if state["open_until"] > now:
        return OPEN, state["open_until"]
    # Half-open: let exactly one probe through by pushing open_until forward atomically.
    probe_window = now + timedelta(seconds=lease_seconds())
    took = PartnerDeliveryState.objects.filter(pk=state["pk"], open_until=state["open_until"]).update(
        open_until=probe_window
    )
    return (PROBE, None) if took == 1 else (OPEN, probe_window)


def allows(partner_id: Pk | None, now: datetime) -> tuple[bool, datetime | None]:
    """(allowed, retry_at). Closed → allowed. Open → not allowed until open_until; then one probe at a time."""
    state, retry_at = gate(partner_id, now)
    return state != OPEN, retry_at


def record(partner_id: Pk | None, ok: bool, now: datetime, failures: int = 1) -> bool:
    """Record a success or ``failures`` failures; True when the breaker is open afterwards."""
    if partner_id is None:
        return False
    if ok:
        PartnerDeliveryState.objects.filter(partner_id=partner_id).filter(
            Q(consecutive_failures__gt=0) | Q(open_until__isnull=False)
        ).update(consecutive_failures=0, open_until=None, opened_count=0)
        return False
    state = state_row(partner_id)
    # Increment in the database: concurrent failures must not lose counts.
    PartnerDeliveryState.objects.filter(pk=state.pk).update(consecutive_failures=F("consecutive_failures") + failures)
    state.refresh_from_db(fields=["consecutive_failures", "opened_count"])
    if state.consecutive_failures >= threshold():  # open, or re-open after a failed probe
        PartnerDeliveryState.objects.filter(pk=state.pk).update(
            open_until=now + timedelta(seconds=cooldown(state.opened_count)),
            opened_count=F("opened_count") + 1,
        )
        return True
    return False
