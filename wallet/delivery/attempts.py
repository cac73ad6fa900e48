"""Attempts of the delivery engine (``wallet.delivery``): send a claimed row, record what happened.

- :func:`start`: a claimed row sent without waiting (the pump's calls in flight): from the process's event
  loop when the transport prepares its calls, else :func:`send` on a worker thread;
- :func:`send`: one HTTP call through the session's transport (``wallet.transport``); never raises,
  never touches the database when the signing key is cached.
- :func:`record`: a batch's ``DeliveryAttempt`` rows and outcomes written in one transaction, with the
  breaker (``wallet.delivery.breaker``). A success confirms the row; a failure keeps it pending with the
  same transaction id and the next attempt after :func:`backoff_seconds` (exponential, jitter, capped).
  Only rows still pending are updated: one resolved manually meanwhile keeps its resolution.
- :func:`deliver`: one attempt of one row, the same way (tests, the per-row task
  ``wallet.deliver_transaction`` for rows without a partner).
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import Executor, Future
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from core.db import Pk, insert_batch, insert_batch_sql, prepared_cursor, update_batch_sql, update_where
from core.tasks import publish

from .. import calllog
from ..models import DeliveryAttempt, Transaction, TxKind, TxStatus
from ..transport import FAILED, PreparedCall, WalletResult, transport_for
from . import breaker, lease

logger = logging.getLogger("wallet.delivery")  # the engine's one logger: the same records as before the split


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s … capped at 10 min (jitter 50–100 %)."""
    base = settings.HUB_RETRY_BASE_SECONDS
    cap = settings.HUB_RETRY_MAX_SECONDS
    raw = min(cap, base * (2 ** max(0, attempts - 1)))
    return raw * (0.5 + 0.5 * (rng or random).random())


def send(tx: Transaction, *, in_worker_thread: bool) -> tuple[datetime, WalletResult]:
    """One HTTP call (no database access when the signing key is cached). Never raises."""
    started = timezone.now()
    try:
        transport = transport_for(tx.session.protocol)
        result = transport.win(tx) if tx.kind == TxKind.WIN else transport.refund(tx)
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the row: it is retried
        result = _internal_error(tx, exc)
    finally:
        if in_worker_thread:  # a signing-key lookup may have opened this thread's own connection
            for conn in connections.all(initialized_only=True):
                conn.close()
    return started, result


def start(tx: Transaction, threads: Executor) -> Future[tuple[datetime, WalletResult]]:
    """Send one claimed row without waiting: a future of ``send``'s (started, result). A transport that prepares
    its calls (``prepare_win``/``prepare_refund``) is signed here and sent from this process's event loop
    (``core.http.send_soon``: one thread for every call in flight); another one's ``send`` runs on ``threads``.
    Never raises, and the future never holds an exception (a bug is a failed call, retried)."""
    started = timezone.now()
    try:
        transport = transport_for(tx.session.protocol)
        prepare = getattr(transport, "prepare_win" if tx.kind == TxKind.WIN else "prepare_refund", None)
        if prepare is None:
            return threads.submit(send, tx, in_worker_thread=True)
        call = prepare(tx)
        if not isinstance(call, PreparedCall):  # the transport answered without a call (not configured)
            return _done((started, call))
        pending = call.run_soon()
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the row: it is retried
        return _done((started, _internal_error(tx, exc)))
    outcome: Future[tuple[datetime, WalletResult]] = Future()

    def settle(future: Future[WalletResult]) -> None:
        try:
            outcome.set_result((started, future.result()))
        except Exception as exc:  # noqa: BLE001 - the transport's finish raised: a failed call
            outcome.set_result((started, _internal_error(tx, exc)))

    pending.add_done_callback(settle)
    return outcome


def _done[T](value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


def _internal_error(tx: Transaction, exc: Exception) -> WalletResult:
    logger.error("delivery of %s raised %s", tx.pk, type(exc).__name__)
    return WalletResult(
        FAILED, error=f"internal error: {type(exc).__name__}", message="The delivery could not be sent."
    )


OK_FIELDS = ["status", "confirmed_at", "lease_until", "partner_tx_id", "partner_balance", "last_error", "updated_at"]
RETRY_FIELDS = ["lease_until", "next_attempt_at", "last_error", "error_code", "error_message", "updated_at"]


def record(
    partner_id: Pk | None, sent: list[tuple[Transaction, datetime, WalletResult]], *, breaker_clean: bool = False
) -> tuple[list[str], bool]:
    """Write a batch's attempts and outcomes in one transaction; (outcome per row, breaker now open).

    ``breaker_clean``: the caller knows the breaker has no failures on record (skips the reset).
    """
    finished = timezone.now()
    attempts: list[DeliveryAttempt] = []
    ok_rows: list[Transaction] = []
    retry_rows: list[Transaction] = []
    outcomes: list[str] = []
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
                request=calllog.request_record(result),
                response_body=calllog.response_record(result),
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
    reset = bool(ok_rows) and not (breaker_clean and not failures)
    trip = bool(failures) and not ok_rows
    # A clean batch after a clean one is one statement (its own transaction): nothing for the breaker to write.
    with transaction.atomic() if reset or trip or connection.vendor != "postgresql" else nullcontext():
        _write_outcomes(attempts, ok_rows, retry_rows)
        if reset:
            breaker.record(partner_id, True, finished)
        elif trip:
            opened = breaker.record(partner_id, False, finished, failures=failures)
    if opened:
        _alert(partner_id)
    if calllog.watching():  # the contract watch reads the answers on a batch thread, not the pump's
        calllog.answers_later(
            [
                calllog.Answer(tx.partner_id, tx.session.protocol, tx.kind, result, finished)
                for tx, _, result in sent
                if tx.partner_id is not None
            ]
        )
    return outcomes, opened


def _alert(partner_id: Pk | None) -> None:
    """The breaker opened: the alerts app opens its incident now (task by name; its beat task catches up
    when the broker is down)."""
    try:
        publish("alerts.evaluate", str(partner_id))
    except Exception as exc:  # noqa: BLE001
        logger.warning("alert not published: %s", type(exc).__name__)


def _write_outcomes(attempts: list[DeliveryAttempt], ok_rows: list[Transaction], retry_rows: list[Transaction]) -> None:
    """The attempts inserted and the rows' outcomes written; only rows still pending (one resolved manually
    meanwhile keeps its resolution). On PostgreSQL one statement (an INSERT and two UPDATEs as ``WITH`` clauses,
    the values as arrays: one text for any batch, prepared once per connection); elsewhere one per row."""
    if connection.vendor != "postgresql":
        insert_batch(attempts)
        for rows, fields in ((ok_rows, OK_FIELDS), (retry_rows, RETRY_FIELDS)):
            for row in rows:
                update_where(
                    Transaction, {"id": row.pk, "status": TxStatus.PENDING}, {f: getattr(row, f) for f in fields}
                )
        return
    pending = {"status": TxStatus.PENDING}
    insert_sql, insert_params = insert_batch_sql(attempts)
    ok_sql, ok_params = update_batch_sql(Transaction, ok_rows, OK_FIELDS, month="created_at", only=pending)
    retry_sql, retry_params = update_batch_sql(Transaction, retry_rows, RETRY_FIELDS, month="created_at", only=pending)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"WITH a AS ({insert_sql}), ok AS ({ok_sql}), retry AS ({retry_sql}) SELECT 1",
            [*insert_params, *ok_params, *retry_params],
        )
    for attempt in attempts:
        attempt._state.adding, attempt._state.db = False, "default"


def deliver(tx_id: Pk, now: datetime | None = None) -> str:
    """One delivery attempt of one win or refund. Returns what happened (for tasks, tests and metrics)."""
    now = now or timezone.now()
    row = Transaction.objects.filter(pk=tx_id).values("partner_id", "status", "kind").first()
    if row is None or row["status"] != TxStatus.PENDING or row["kind"] not in (TxKind.WIN, TxKind.REFUND):
        return "not_pending"
    partner_id = row["partner_id"]
    allowed, retry_at = breaker.allows(partner_id, now)
    if not allowed:  # the sweeper kicks the partner's pump when the pause is over
        if retry_at is None:  # an open breaker always says until when
            raise RuntimeError("the breaker refused without a retry time")
        lease.defer(tx_id, retry_at + timedelta(seconds=random.uniform(0, 2)))  # noqa: S311 - jitter, not a secret
        return "breaker_open"
    if partner_id is not None and lease.in_flight(partner_id, now) >= lease.partner_cap(partner_id):
        lease.defer(tx_id, now + timedelta(seconds=random.uniform(0.5, 1.5)))  # noqa: S311 - jitter, not a secret
        return "throttled"
    tx = lease.claim(tx_id, now)
    if tx is None:
        return "not_claimed"
    started, result = send(tx, in_worker_thread=False)
    outcomes, _ = record(partner_id, [(tx, started, result)])
    return outcomes[0]
