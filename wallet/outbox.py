"""The outbox's hand-over to the workers: a committed win or refund *kicks* its partner's pump.

The write side of the delivery engine (``wallet.services`` writes pending rows and calls
:func:`enqueue` after commit); the worker side is ``wallet.delivery``. One conditional UPDATE of
``PartnerDeliveryState.pump_until`` decides who publishes the pump task, so a burst of wins is one
broker message; the flag expires after the lease (a killed worker only delays). Tasks are published
by name (``core.tasks.publish``): nothing here imports a ``tasks`` module.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.db import Pk
from core.tasks import publish

from .models import PartnerDeliveryState, Transaction

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return settings.HUB_DELIVERY_LEASE_SECONDS


def state_row(partner_id: Pk) -> PartnerDeliveryState:
    try:
        with transaction.atomic():
            state, _ = PartnerDeliveryState.objects.get_or_create(partner_id=partner_id)
    except IntegrityError:  # created concurrently
        state = PartnerDeliveryState.objects.get(partner_id=partner_id)
    return state


def pump_ttl() -> int:
    """Seconds the pump's flag stays taken without a refresh (a dead worker's pump is kicked again after)."""
    return lease_seconds()


_state_rows_seen: set[Pk] = set()  # partners whose PartnerDeliveryState row this process has seen


def kick(partner_id: Pk, now: datetime | None = None, *, ensure_row: bool = False) -> bool:
    """Make sure the partner's pump is queued or running; True if this call enqueued it.

    One conditional UPDATE when the pump is already queued or running (the common case under load).
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    # Free flag, and no circuit-breaker pause: a paused partner's pump is kicked by the sweeper when the
    # pause ends (not once per new win while it lasts).
    free = (Q(pump_until__isnull=True) | Q(pump_until__lt=now)) & (Q(open_until__isnull=True) | Q(open_until__lte=now))
    values = {"pump_until": now + timedelta(seconds=pump_ttl()), "pump_token": token}
    took = PartnerDeliveryState.objects.filter(free, partner_id=partner_id).update(**values)
    if not took and (ensure_row or partner_id not in _state_rows_seen):
        state_row(partner_id)
        _state_rows_seen.add(partner_id)
        took = PartnerDeliveryState.objects.filter(free, partner_id=partner_id).update(**values)
    if not took:
        return False  # queued or running already: it will find the new rows
    try:
        publish("wallet.deliver_partner", str(partner_id), str(token))
    except Exception as exc:  # noqa: BLE001 - the sweeper kicks again once the flag is free
        pump_release(partner_id, token)
        logger.warning("could not enqueue the delivery pump of %s: %s", partner_id, type(exc).__name__)
        return False
    return True


def kick_quietly(partner_id: Pk) -> None:
    """``kick`` after a commit: a broker or database hiccup must not fail the player's request."""
    try:
        kick(partner_id)
    except Exception as exc:  # noqa: BLE001 - the sweeper kicks every partner with due rows
        logger.warning("delivery kick failed for %s (the sweeper will retry): %s", partner_id, type(exc).__name__)


def pump_refresh(partner_id: Pk, token: uuid.UUID | str) -> bool:
    """Extend the pump's flag while ``token`` still holds it; False if another pump took it over."""
    return (
        PartnerDeliveryState.objects.filter(partner_id=partner_id, pump_token=token).update(
            pump_until=timezone.now() + timedelta(seconds=pump_ttl())
        )
        == 1
    )


def pump_release(partner_id: Pk, token: uuid.UUID | str) -> None:
    """Free the pump's flag if ``token`` still holds it."""
    PartnerDeliveryState.objects.filter(partner_id=partner_id, pump_token=token).update(
        pump_until=None, pump_token=None
    )


def enqueue(tx: Transaction) -> None:
    """Hand a committed win/refund to the workers: its partner's pump (or a task of its own)."""
    if tx.partner_id is not None:
        kick_quietly(tx.partner_id)
        return
    try:
        publish("wallet.deliver_transaction", str(tx.pk))
    except Exception as exc:  # noqa: BLE001 - the sweeper will find it
        logger.warning("enqueue failed for %s (the sweeper will pick it up): %s", tx.pk, type(exc).__name__)
