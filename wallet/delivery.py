"""The delivery engine: wins and refunds retried until the partner answers 200.

- A delivery is *claimed* before it is sent: a row lock (SKIP LOCKED on
  PostgreSQL; SQLite serializes writers) sets a lease longer than the HTTP
  timeout, so two workers never send the same attempt at once.
- Retries reuse the transaction id; backoff is exponential with jitter, capped.
- Each partner has one *pump*: a Celery task (``wallet.deliver_partner``) that
  claims that partner's due rows in batches, keeps up to the partner's cap
  (``Partner.max_in_flight``, else HUB_PARTNER_MAX_IN_FLIGHT) calls in flight on the pooled HTTP client, and
  writes the results in bulk (attempts, outcomes, breaker) in one transaction
  per batch. A committed win or refund *kicks* the pump: one conditional UPDATE
  of ``PartnerDeliveryState.pump_until`` decides who enqueues it, so a burst of
  10,000 wins is one task, not 10,000. The flag expires (a killed worker only
  delays), the token in the message makes stale duplicates exit at once.
- The sweeper kicks every partner with due deliveries (a lost broker message,
  a killed worker, a retry coming due, the end of a breaker pause), flags
  deliveries older than HUB_STUCK_AFTER, and declines-and-refunds bets whose
  request died mid-flight.
- Per partner: a cap on concurrent deliveries and a circuit breaker (after
  repeated failures, pause, then let one probe through). Waiting for the
  breaker or the cap does not count as an attempt.
- ``deliver(tx_id)`` delivers one row the same way (tests, the legacy
  per-row task).
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.db import get_or_none
from core.tasks import publish

from . import outbox
from .models import (
    DeliveryAttempt,
    PartnerDeliveryState,
    Transaction,
    TxKind,
    TxStatus,
)
from .outbox import _pump_release, _pump_ttl, _state_row, enqueue, lease_seconds
from .services import refund_record
from .transport import FAILED, WalletResult, transport_for

logger = logging.getLogger(__name__)


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s … capped at 10 min (jitter 50–100 %)."""
    base = settings.HUB_RETRY_BASE_SECONDS
    cap = settings.HUB_RETRY_MAX_SECONDS
    raw = min(cap, base * (2 ** max(0, attempts - 1)))
    return raw * (0.5 + 0.5 * (rng or random).random())


# ---------------------------------------------------------- circuit breaker --


def _breaker_threshold() -> int:
    return settings.HUB_BREAKER_FAILURES


def _breaker_cooldown(opened_count: int) -> float:
    base = settings.HUB_BREAKER_COOLDOWN_SECONDS
    return min(300.0, base * (2 ** min(opened_count, 5)))


CLOSED, PROBE, OPEN = "closed", "probe", "open"


def _breaker_gate(partner_id, now) -> tuple[str, object]:
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


def breaker_allows(partner_id, now) -> tuple[bool, object]:
    """(allowed, retry_at). Closed → allowed. Open → not allowed until open_until; then one probe at a time."""
    gate, retry_at = _breaker_gate(partner_id, now)
    return gate != OPEN, retry_at


def _breaker_record(partner_id, ok: bool, now, failures: int = 1) -> bool:
    """Record a success or ``failures`` failures; True when the breaker is open afterwards."""
    if partner_id is None:
        return False
    if ok:
        PartnerDeliveryState.objects.filter(partner_id=partner_id).filter(
            Q(consecutive_failures__gt=0) | Q(open_until__isnull=False)
        ).update(consecutive_failures=0, open_until=None, opened_count=0)
        return False
    state = _state_row(partner_id)
    # Increment in the database: concurrent failures must not lose counts.
    PartnerDeliveryState.objects.filter(pk=state.pk).update(consecutive_failures=F("consecutive_failures") + failures)
    state.refresh_from_db(fields=["consecutive_failures", "opened_count"])
    if state.consecutive_failures >= _breaker_threshold():  # open, or re-open after a failed probe
        PartnerDeliveryState.objects.filter(pk=state.pk).update(
            open_until=now + timedelta(seconds=_breaker_cooldown(state.opened_count)),
            opened_count=F("opened_count") + 1,
        )
        return True
    return False


# ------------------------------------------------------------------ claim --


def partner_cap(partner_id) -> int:
    """Concurrent deliveries to a partner: its own setting (admin), else HUB_PARTNER_MAX_IN_FLIGHT."""
    from tenants.models import Partner

    own = get_or_none(Partner.objects.values_list("max_in_flight", flat=True), pk=partner_id)
    return max(1, int(own or settings.HUB_PARTNER_MAX_IN_FLIGHT))


def _in_flight(partner_id, now) -> int:
    return Transaction.objects.filter(
        partner_id=partner_id, status=TxStatus.PENDING, lease_until__gt=now, kind__in=[TxKind.WIN, TxKind.REFUND]
    ).count()


def _defer(tx_id, until) -> None:
    Transaction.objects.filter(pk=tx_id, status=TxStatus.PENDING).update(next_attempt_at=until)


def _due(now, *, slack: float = 1.0) -> Q:
    """Pending wins/refunds whose lease is free and whose next attempt is due."""
    return (
        Q(status=TxStatus.PENDING, kind__in=[TxKind.WIN, TxKind.REFUND])
        & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=slack)))
    )


def claim(tx_id, now=None) -> Transaction | None:
    """Take the lease on a due delivery, or None if someone else has it / it is not due / it is done."""
    rows = _claim(Transaction.objects.filter(pk=tx_id), 1, now or timezone.now())
    return rows[0] if rows else None


def claim_batch(partner_id, limit: int, now=None) -> list[Transaction]:
    """Lease up to ``limit`` of a partner's due deliveries (oldest due first)."""
    return _claim(Transaction.objects.filter(partner_id=partner_id), limit, now or timezone.now())


def _claim(qs, limit: int, now) -> list[Transaction]:
    """Lease the due rows of ``qs`` (row locks, SKIP LOCKED on PostgreSQL) and count the attempt; the rows
    come with their sessions, partners and ExtCIDs, ready to send."""
    if limit <= 0:
        return []
    with transaction.atomic():
        qs = qs.filter(_due(now)).select_related("session__partner", "session__ext_client").order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs[:limit])
        if not rows:
            return []
        lease_until = now + timedelta(seconds=lease_seconds())
        Transaction.objects.filter(pk__in=[row.pk for row in rows]).update(
            lease_until=lease_until, attempts=F("attempts") + 1, updated_at=now
        )
    for row in rows:
        row.lease_until, row.attempts = lease_until, row.attempts + 1
    return rows


# ---------------------------------------------------------- send, record --


def _send(tx: Transaction, *, in_worker_thread: bool) -> tuple[object, WalletResult]:
    """One HTTP call (no database access when the signing key is cached). Never raises."""
    started = timezone.now()
    try:
        transport = transport_for(tx.session.protocol)
        result = transport.win(tx) if tx.kind == TxKind.WIN else transport.refund(tx)
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the row: it is retried
        logger.error("delivery of %s raised %s", tx.pk, type(exc).__name__)
        result = WalletResult(
            FAILED, error=f"internal error: {type(exc).__name__}", message="The delivery could not be sent."
        )
    finally:
        if in_worker_thread:  # a signing-key lookup may have opened this thread's own connection
            for conn in connections.all(initialized_only=True):
                conn.close()
    return started, result


OK_FIELDS = ["status", "confirmed_at", "lease_until", "partner_tx_id", "partner_balance", "last_error", "updated_at"]
RETRY_FIELDS = ["lease_until", "next_attempt_at", "last_error", "error_code", "error_message", "updated_at"]


def _record(
    partner_id, sent: list[tuple[Transaction, object, WalletResult]], *, breaker_clean: bool = False
) -> tuple[list[str], bool]:
    """Write a batch's attempts and outcomes in one transaction; (outcome per row, breaker now open).

    ``breaker_clean``: the caller knows the breaker has no failures on record (skips the reset).
    """
    finished = timezone.now()
    attempts, ok_rows, retry_rows, outcomes = [], [], [], []
    failures = 0
    for tx, started, result in sent:
        attempts.append(
            DeliveryAttempt(
                transaction_id=tx.pk,
                partner_id=tx.partner_id,
                started_at=started,
                duration_ms=result.duration_ms,
                http_status=result.http_status,
                outcome=result.outcome,
                error=result.error[:500],
                error_code=result.error_code[:64],
                response=result.error_body(),
            )
        )
        tx.lease_until, tx.updated_at = None, finished
        if result.ok:
            tx.status, tx.confirmed_at = TxStatus.CONFIRMED, finished
            tx.partner_tx_id, tx.partner_balance, tx.last_error = result.partner_tx_id, result.balance, ""
            ok_rows.append(tx)  # the balance stays on the row: deliveries finish out of order, so they
            outcomes.append("delivered")  # do not overwrite the session's last known balance
        else:
            tx.next_attempt_at = finished + timedelta(seconds=backoff_seconds(tx.attempts))
            tx.last_error = (result.error or result.message)[:500]
            tx.error_code, tx.error_message = result.error_code[:64], result.message[:500]
            retry_rows.append(tx)
            failures += result.failed  # 5xx, timeout, connection error; a 4xx means the partner is up
            outcomes.append("retry")
    opened = False
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(attempts)
        # Only rows still pending: one resolved manually meanwhile keeps its resolution.
        _update_rows(Transaction, ok_rows, OK_FIELDS, only_pending=True)
        _update_rows(Transaction, retry_rows, RETRY_FIELDS, only_pending=True)
        if ok_rows and not (breaker_clean and not failures):
            _breaker_record(partner_id, True, finished)
        elif failures and not ok_rows:
            opened = _breaker_record(partner_id, False, finished, failures=failures)
    return outcomes, opened


def _update_rows(model, rows: list, fields: list[str], *, only_pending: bool = False) -> None:
    """One parameterised UPDATE per row, sent with ``executemany`` (psycopg pipelines it: one round trip).

    ``QuerySet.bulk_update`` builds a CASE WHEN expression per row and field; at batch sizes of 8–32
    that was ~40 % of the delivery worker's CPU (``make bench``).
    """
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(c.column)} = %s' for c in columns)} "
        f"WHERE {quote(meta.pk.column)} = %s"
        + (f" AND {quote(meta.get_field('status').column)} = %s" if only_pending else "")
    )
    params = [
        [c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns]
        + [meta.pk.get_db_prep_save(row.pk, connection)]
        + ([TxStatus.PENDING] if only_pending else [])
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# ---------------------------------------------------------------- deliver --


def deliver(tx_id, now=None) -> str:
    """One delivery attempt of one win or refund. Returns what happened (for tasks, tests and metrics)."""
    now = now or timezone.now()
    row = Transaction.objects.filter(pk=tx_id).values("partner_id", "status", "kind").first()
    if row is None or row["status"] != TxStatus.PENDING or row["kind"] not in (TxKind.WIN, TxKind.REFUND):
        return "not_pending"
    partner_id = row["partner_id"]
    allowed, retry_at = breaker_allows(partner_id, now)
    if not allowed:  # the sweeper kicks the partner's pump when the pause is over
        _defer(tx_id, retry_at + timedelta(seconds=random.uniform(0, 2)))
        return "breaker_open"
    if partner_id is not None and _in_flight(partner_id, now) >= partner_cap(partner_id):
        _defer(tx_id, now + timedelta(seconds=random.uniform(0.5, 1.5)))
        return "throttled"
    tx = claim(tx_id, now)
    if tx is None:
        return "not_claimed"
    started, result = _send(tx, in_worker_thread=False)
    outcomes, _ = _record(partner_id, [(tx, started, result)])
    return outcomes[0]


# ------------------------------------------------------------------- pump --


def _pump_refresh(partner_id, token) -> bool:
    return (
        PartnerDeliveryState.objects.filter(partner_id=partner_id, pump_token=token).update(
            pump_until=timezone.now() + timedelta(seconds=_pump_ttl())
        )
        == 1
    )


def _has_due(partner_id, now=None) -> bool:
    return Transaction.objects.filter(_due(now or timezone.now(), slack=0), partner_id=partner_id).exists()


def pump(partner_id, token, *, max_seconds: float | None = None) -> Counter:
    """Deliver a partner's due rows until none is left (or the time slice ends); one pump per partner.

    Up to the partner's cap (``partner_cap``) calls are in flight at once on worker threads (which never touch
    the database: rows arrive with their sessions, the signing key is cached); the loop claims as
    slots free up and records finished calls in bulk.
    """
    stats: Counter = Counter()
    if not PartnerDeliveryState.objects.filter(partner_id=partner_id, pump_token=token).exists():
        stats["not_owner"] += 1  # a stale duplicate: the current pump has another token
        return stats
    cap = partner_cap(partner_id)
    refill = max(1, cap // 2)
    max_seconds = settings.HUB_PUMP_MAX_SECONDS if max_seconds is None else max_seconds
    started = last_refresh = time.monotonic()
    in_flight: dict = {}
    finished: list = []
    owner, paused, probing, exhausted = True, False, False, False
    breaker_clean = False  # known after the first recorded success
    executor = ThreadPoolExecutor(max_workers=cap, thread_name_prefix="hub-deliver")

    def record() -> None:
        nonlocal finished, paused, probing, breaker_clean
        outcomes, opened = _record(partner_id, finished, breaker_clean=breaker_clean)
        # A success resets the breaker's count; any failure (or a 4xx-only batch) leaves it unknown.
        breaker_clean = "delivered" in outcomes and "retry" not in outcomes
        stats.update(outcomes)
        finished = []
        paused = paused or opened
        if probing:  # the probe's answer decides: closed again, or paused again
            probing = False
            paused = paused or "delivered" not in outcomes

    try:
        while True:
            if in_flight:
                done, _ = wait(list(in_flight), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    finished.append((in_flight.pop(future), *future.result()))
            # Calls that failed are recorded before anything else is claimed (they may open the breaker);
            # a batch of successes is recorded after the next claim, while the new calls are in flight.
            clean = breaker_clean and not any(result.failed for _, _, result in finished)
            if finished and not clean and (not in_flight or len(finished) >= refill):
                record()
            now_mono = time.monotonic()
            if now_mono - last_refresh > _pump_ttl() / 3:
                owner, last_refresh = _pump_refresh(partner_id, token), now_mono
            free = cap - len(in_flight) - (0 if clean else len(finished))
            accepting = owner and not paused and not probing and not exhausted and now_mono - started < max_seconds
            if accepting and free > 0 and (free >= refill or not in_flight):
                # Only this pump sends the partner's deliveries: after a clean batch the breaker is closed.
                gate = CLOSED if clean else _breaker_gate(partner_id, timezone.now())[0]
                if gate == OPEN:
                    paused = True
                    stats["breaker_open"] += 1
                    continue
                probing = gate == PROBE
                rows = claim_batch(partner_id, 1 if probing else free)
                if rows:
                    _warm_signing_keys(rows)
                    for tx in rows:
                        in_flight[executor.submit(_send, tx, in_worker_thread=True)] = tx
                    if finished and (not in_flight or len(finished) >= refill):
                        record()
                    continue
                probing, exhausted = False, True  # rows coming due later: kicked at the end
            if finished and (not in_flight or len(finished) >= refill):
                record()
                continue
            if not in_flight and not finished:
                break
    finally:
        if in_flight:  # an exception above: let the calls finish and record them
            for future in list(in_flight):
                finished.append((in_flight.pop(future), *future.result()))
        executor.shutdown(wait=True)
        try:
            if finished:
                record()
        finally:
            _pump_release(partner_id, token)
    if owner and not paused and _has_due(partner_id):
        outbox.kick(partner_id)  # rows arrived after the last claim, or the time slice ended: next turn
    return stats


def _warm_signing_keys(rows) -> None:
    """Look the signing key up here (main thread), so worker threads find it cached."""
    from tenants import selectors
    from tenants.models import CredentialPurpose

    purposes = {"igsp": CredentialPurpose.IGSP, "public_api": CredentialPurpose.INTEGRATION_API}
    seen = set()
    for tx in rows:
        key = (tx.session.partner_id, tx.session.protocol)
        if key not in seen and tx.session.protocol in purposes:
            seen.add(key)
            selectors.partner_signing_key(partner=tx.session.partner, purpose=purposes[tx.session.protocol])


# ---------------------------------------------------------------- sweeper --


def sweep(now=None, *, limit: int = 2000) -> dict[str, int]:
    """Kick every partner with due deliveries, flag stuck ones, resolve bets orphaned mid-request."""
    now = now or timezone.now()
    partner_ids = list(
        Transaction.objects.filter(_due(now, slack=0), partner_id__isnull=False)
        .exclude(partner__delivery_state__open_until__gt=now)  # paused: kicked when the pause ends
        .values_list("partner_id", flat=True)
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
    for tx_id in Transaction.objects.filter(_due(overdue, slack=0), partner_id__isnull=True).values_list(
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
    orphans = orphaned_bets_resolve(now=now)
    return {"kicked": kicked, "enqueued": enqueued, "stuck_flagged": stuck, "orphaned_bets": orphans}


def orphaned_bets_resolve(*, now=None) -> int:
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


# ------------------------------------------------------- account managers --


def delivery_retry_now(*, tx: Transaction, actor) -> None:
    from tenants.services import audit_record

    with transaction.atomic():
        Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(
            next_attempt_at=timezone.now(), lease_until=None
        )
        audit_record(actor=actor, action="delivery.retry_now", obj=tx, partner=tx.partner, changes={})
        transaction.on_commit(lambda: enqueue(tx))


def delivery_resolve_manually(*, tx: Transaction, actor, reason: str) -> None:
    from core.errors import ApplicationError
    from tenants.services import audit_record

    if not reason.strip():
        raise ApplicationError("A reason is required to resolve a delivery manually.")
    with transaction.atomic():
        updated = Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(
            status=TxStatus.RESOLVED, resolution_note=reason[:500], lease_until=None
        )
        if updated:
            audit_record(
                actor=actor,
                action="delivery.resolve_manually",
                obj=tx,
                partner=tx.partner,
                changes={"reason": reason[:500], "kind": tx.kind, "amount": str(tx.amount)},
            )
