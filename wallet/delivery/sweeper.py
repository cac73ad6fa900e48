"""The sweeper of the delivery engine (``wallet.delivery``): the periodic task ``wallet.sweep_deliveries``.

- kicks every partner with due deliveries (``wallet.outbox.kick``): a lost broker message, a killed
  worker, a retry coming due, the end of a breaker pause (a paused partner is left alone until then);
- publishes one ``wallet.deliver_transaction`` per due row without a partner, once its own task had
  ``HUB_SWEEP_GRACE_SECONDS``;
- flags deliveries pending for longer than ``HUB_STUCK_AFTER`` (``Transaction.stuck``, for account
  managers; never dropped);
- declines and refunds bets whose request died before the wallet answered (:func:`orphaned_bets_resolve`,
  the bet policy's "timeout → refund", through ``wallet.services.refund_record``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.tasks import publish

from .. import outbox
from ..models import Transaction, TxKind, TxStatus
from ..services import refund_record
from . import lease

logger = logging.getLogger("wallet.delivery")  # the engine's one logger: the same records as before the split


def sweep(now: datetime | None = None, *, limit: int = 2000) -> dict[str, int]:
    """Kick every partner with due deliveries, flag stuck ones, resolve bets orphaned mid-request."""
    now = now or timezone.now()
    partner_ids = list(
        Transaction.objects.filter(lease.due(now, slack=0), partner_id__isnull=False)
        .exclude(partner__delivery_state__open_until__gt=now)  # paused: kicked when the pause ends
        .values_list("partner_id", flat=True)
        .order_by()  # without it the model's ordering (-created_at) joins the DISTINCT: one kick per row
        .distinct()[:limit]
    )
    kicked = 0
    for partner_id in partner_ids:
        try:
            kicked += outbox.kick(partner_id, now, ensure_row=True)
        except Exception as exc:  # noqa: BLE001
            logger.warning("sweeper could not kick %s: %s", partner_id, type(exc).__name__)
    # Rows without a partner have no pump: one task each, once their own task had its chance.
    overdue = now - timedelta(seconds=settings.HUB_SWEEP_GRACE_SECONDS)
    enqueued = 0
    for tx_id in Transaction.objects.filter(lease.due(overdue, slack=0), partner_id__isnull=True).values_list(
        "pk", flat=True
    )[:limit]:
        try:
            publish("wallet.deliver_transaction", str(tx_id))
            enqueued += 1
        except Exception as exc:  # noqa: BLE001
            logger.warning("sweeper could not enqueue: %s", type(exc).__name__)
            break
    stuck_before = now - timedelta(seconds=settings.HUB_STUCK_AFTER)
    stuck = Transaction.objects.filter(
        status=TxStatus.PENDING, stuck=False, created_at__lt=stuck_before, kind__in=[TxKind.WIN, TxKind.REFUND]
    ).update(stuck=True)
    if stuck:
        try:  # the alerts app opens its stuck-delivery incidents now (its beat task catches up otherwise)
            publish("alerts.evaluate")
        except Exception as exc:  # noqa: BLE001
            logger.warning("alert not published: %s", type(exc).__name__)
    orphans = orphaned_bets_resolve(now=now)
    return {"kicked": kicked, "enqueued": enqueued, "stuck_flagged": stuck, "orphaned_bets": orphans}


def orphaned_bets_resolve(*, now: datetime | None = None) -> int:
    """A bet still pending long after its request must have died: decline it and refund it (seed: timeout → refund)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.HUB_ORPHAN_BET_SECONDS)
    count = 0
    for tx_id in Transaction.objects.filter(
        kind=TxKind.BET, status=TxStatus.PENDING, created_at__lt=cutoff
    ).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            tx = Transaction.objects.select_for_update().filter(pk=tx_id, status=TxStatus.PENDING).first()
            if tx is None:
                continue
            tx.status, tx.last_error = TxStatus.DECLINED, "request ended before the wallet answered"
            tx.save(update_fields=["status", "last_error", "updated_at"])
            refund_record(bet_tx=tx)
            count += 1
    return count
