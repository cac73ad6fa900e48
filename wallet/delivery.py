"""The delivery engine: wins and refunds retried until the partner answers 200.

- A delivery is *claimed* before it is sent: a row lock (SKIP LOCKED on
  PostgreSQL; SQLite serializes writers) sets a lease longer than the HTTP
  timeout, so two workers never send the same attempt at once.
- Retries reuse the transaction id; backoff is exponential with jitter, capped.
- The sweeper re-enqueues every due delivery (a lost broker message, a killed
  worker or a restart only delays a payout), flags deliveries older than
  HUB_STUCK_AFTER, and declines-and-refunds bets whose request died mid-flight.
- Per partner: a cap on concurrent deliveries and a circuit breaker (after
  repeated failures, pause, then let one probe through). Waiting for the
  breaker or the cap does not count as an attempt.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import (
    AttemptOutcome,
    DeliveryAttempt,
    GameSession,
    PartnerDeliveryState,
    Transaction,
    TxKind,
    TxStatus,
)
from .transport import transport_for

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


def lease_seconds() -> int:
    return _setting("HUB_DELIVERY_LEASE_SECONDS", 30)


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s … capped at 10 min (jitter 50–100 %)."""
    base = _setting("HUB_RETRY_BASE_SECONDS", 5.0)
    cap = _setting("HUB_RETRY_MAX_SECONDS", 600.0)
    raw = min(cap, base * (2 ** max(0, attempts - 1)))
    return raw * (0.5 + 0.5 * (rng or random).random())


# ---------------------------------------------------------- circuit breaker --


def _breaker_threshold() -> int:
    return _setting("HUB_BREAKER_FAILURES", 5)


def _breaker_cooldown(opened_count: int) -> float:
    base = _setting("HUB_BREAKER_COOLDOWN_SECONDS", 10.0)
    return min(300.0, base * (2 ** min(opened_count, 5)))


def breaker_allows(partner_id, now) -> tuple[bool, object]:
    """(allowed, retry_at). Closed → allowed. Open → not allowed until open_until; then one probe at a time."""
    if partner_id is None:
        return True, None
    state = PartnerDeliveryState.objects.filter(partner_id=partner_id).first()
    if state is None or state.open_until is None:
        return True, None
    if state.open_until > now:
        return False, state.open_until
    # Half-open: let exactly one probe through by pushing open_until forward atomically.
    probe_window = now + timedelta(seconds=lease_seconds())
    took = PartnerDeliveryState.objects.filter(pk=state.pk, open_until=state.open_until).update(open_until=probe_window)
    return (took == 1), (None if took == 1 else probe_window)


def _breaker_record(partner_id, ok: bool, now) -> None:
    if partner_id is None:
        return
    if ok:
        PartnerDeliveryState.objects.filter(partner_id=partner_id).filter(
            Q(consecutive_failures__gt=0) | Q(open_until__isnull=False)
        ).update(consecutive_failures=0, open_until=None, opened_count=0)
        return
    state, _ = PartnerDeliveryState.objects.get_or_create(partner_id=partner_id)
    # Increment in the database: concurrent failures must not lose counts.
    PartnerDeliveryState.objects.filter(pk=state.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    state.refresh_from_db(fields=["consecutive_failures", "opened_count"])
    if state.consecutive_failures >= _breaker_threshold():  # open, or re-open after a failed probe
        PartnerDeliveryState.objects.filter(pk=state.pk).update(
            open_until=now + timedelta(seconds=_breaker_cooldown(state.opened_count)),
            opened_count=F("opened_count") + 1)


# ------------------------------------------------------------------ claim --


def _in_flight(partner_id, now) -> int:
    return Transaction.objects.filter(partner_id=partner_id, status=TxStatus.PENDING, lease_until__gt=now,
                                      kind__in=[TxKind.WIN, TxKind.REFUND]).count()


def _defer(tx_id, until) -> None:
    Transaction.objects.filter(pk=tx_id, status=TxStatus.PENDING).update(next_attempt_at=until)


def claim(tx_id, now=None) -> Transaction | None:
    """Take the lease on a due delivery, or None if someone else has it / it is not due / it is done."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = Transaction.objects.filter(
            pk=tx_id, status=TxStatus.PENDING, kind__in=[TxKind.WIN, TxKind.REFUND],
        ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        tx = qs.first()
        if tx is None:
            return None
        tx.lease_until = now + timedelta(seconds=lease_seconds())
        tx.attempts += 1
        tx.save(update_fields=["lease_until", "attempts", "updated_at"])
        return tx


# ---------------------------------------------------------------- deliver --


def deliver(tx_id, now=None) -> str:
    """One delivery attempt of a win or refund. Returns what happened (for tasks, tests and metrics)."""
    now = now or timezone.now()
    row = Transaction.objects.filter(pk=tx_id).values("partner_id", "status", "kind").first()
    if row is None or row["status"] != TxStatus.PENDING or row["kind"] not in (TxKind.WIN, TxKind.REFUND):
        return "not_pending"
    partner_id = row["partner_id"]
    allowed, retry_at = breaker_allows(partner_id, now)
    if not allowed:
        until = retry_at + timedelta(seconds=random.uniform(0, 2))
        _defer(tx_id, until)
        _schedule_retry(tx_id, max(0.0, (until - now).total_seconds()))
        return "breaker_open"
    cap = _setting("HUB_PARTNER_MAX_IN_FLIGHT", 32)
    if partner_id is not None and _in_flight(partner_id, now) >= cap:
        delay = random.uniform(0.5, 1.5)
        _defer(tx_id, now + timedelta(seconds=delay))
        _schedule_retry(tx_id, delay)
        return "throttled"
    tx = claim(tx_id, now)
    if tx is None:
        return "not_claimed"

    session = GameSession.objects.select_related("partner", "ext_client", "game").get(pk=tx.session_id)
    tx.session = session
    transport = transport_for(session.protocol)
    started = timezone.now()
    result = transport.win(tx) if tx.kind == TxKind.WIN else transport.refund(tx)
    finished = timezone.now()

    with transaction.atomic():
        DeliveryAttempt.objects.create(
            transaction_id=tx.pk, partner_id=partner_id, started_at=started, duration_ms=result.duration_ms,
            http_status=result.http_status, outcome=result.outcome, error=result.error[:500],
            error_code=result.error_code[:64], response=result.error_body(),
        )
        if result.ok:
            balance = result.balance
            updated = Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(
                status=TxStatus.CONFIRMED, confirmed_at=finished, lease_until=None,
                partner_tx_id=result.partner_tx_id, partner_balance=balance, last_error="", updated_at=finished)
            if updated and balance is not None:
                GameSession.objects.filter(pk=session.pk).update(last_balance=balance)
            _breaker_record(partner_id, True, finished)
            return "delivered"
        delay = backoff_seconds(tx.attempts)
        Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(
            lease_until=None, next_attempt_at=finished + timedelta(seconds=delay),
            last_error=(result.error or result.message)[:500], error_code=result.error_code[:64],
            error_message=result.message[:500], updated_at=finished)
        if result.failed:  # 5xx, timeout, connection error; a 4xx means the partner is up
            _breaker_record(partner_id, False, finished)
    _schedule_retry(tx.pk, delay)
    return "retry"


def _schedule_retry(tx_id, delay: float) -> None:
    from .tasks import deliver_transaction

    try:
        deliver_transaction.apply_async(args=[str(tx_id)], countdown=delay)
    except Exception as exc:  # noqa: BLE001 - the sweeper will find it
        logger.warning("retry enqueue failed for %s: %s", tx_id, type(exc).__name__)


# ---------------------------------------------------------------- sweeper --


def sweep(now=None, *, limit: int = 2000) -> dict[str, int]:
    """Re-enqueue due deliveries, flag stuck ones, resolve bets orphaned mid-request."""
    from .tasks import deliver_transaction

    now = now or timezone.now()
    # Only rows overdue by a grace period: their own task (enqueued on commit, or scheduled with the
    # retry's countdown) had its chance. Re-enqueueing every due row each sweep floods the broker with
    # duplicates during a backlog.
    overdue = now - timedelta(seconds=_setting("HUB_SWEEP_GRACE_SECONDS", lease_seconds()))
    due = list(
        Transaction.objects.filter(status=TxStatus.PENDING, kind__in=[TxKind.WIN, TxKind.REFUND])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=overdue))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    enqueued = 0
    for tx_id in due:
        try:
            deliver_transaction.delay(str(tx_id))
            enqueued += 1
        except Exception as exc:  # noqa: BLE001
            logger.warning("sweeper could not enqueue: %s", type(exc).__name__)
            break
    stuck_before = now - timedelta(seconds=settings.HUB_STUCK_AFTER)
    stuck = Transaction.objects.filter(status=TxStatus.PENDING, stuck=False, created_at__lt=stuck_before,
                                       kind__in=[TxKind.WIN, TxKind.REFUND]).update(stuck=True)
    orphans = orphaned_bets_resolve(now=now)
    return {"enqueued": enqueued, "stuck_flagged": stuck, "orphaned_bets": orphans}


def orphaned_bets_resolve(*, now=None) -> int:
    """A bet still pending long after its request must have died: decline it and refund it (seed: timeout → refund)."""
    from .services import refund_record

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=_setting("HUB_ORPHAN_BET_SECONDS", 60))
    count = 0
    for tx_id in Transaction.objects.filter(kind=TxKind.BET, status=TxStatus.PENDING,
                                            created_at__lt=cutoff).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            tx = Transaction.objects.select_for_update().filter(pk=tx_id, status=TxStatus.PENDING).first()
            if tx is None:
                continue
            tx.status, tx.last_error = TxStatus.DECLINED, "request ended before the wallet answered"
            tx.save(update_fields=["status", "last_error", "updated_at"])
            refund_record(bet_tx=tx)
            count += 1
    return count


# ------------------------------------------------------- account managers --


def delivery_retry_now(*, tx: Transaction, actor) -> None:
    from tenants.services import audit_record

    with transaction.atomic():
        Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(next_attempt_at=timezone.now(),
                                                                             lease_until=None)
        audit_record(actor=actor, action="delivery.retry_now", obj=tx, partner=tx.partner, changes={})
        transaction.on_commit(lambda: _schedule_retry(tx.pk, 0))


def delivery_resolve_manually(*, tx: Transaction, actor, reason: str) -> None:
    from integration_hub.errors import ApplicationError
    from tenants.services import audit_record

    if not reason.strip():
        raise ApplicationError("A reason is required to resolve a delivery manually.")
    with transaction.atomic():
        updated = Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(
            status=TxStatus.RESOLVED, resolution_note=reason[:500], lease_until=None)
        if updated:
            audit_record(actor=actor, action="delivery.resolve_manually", obj=tx, partner=tx.partner,
                         changes={"reason": reason[:500], "kind": tx.kind, "amount": str(tx.amount)})
