"""The money path: sessions, bets, wins, refunds. Every write to the ledger is here.

Policies (PROTOCOLS.md, seed 004):
- bet: synchronous, never retried. 200 → confirmed. 5xx / timeout / connection
  error → declined and a refund created in the same database transaction.
  Any other error → declined, nothing else; the partner's code and message
  reach the game.
- win / refund: written as pending (the outbox), delivered by Celery after
  commit, retried with the same id until the partner answers 200
  (``wallet.delivery``).
- demo sessions: the balance is ours (row lock, atomic update); no partner call.
- bulkhead: a partner holds at most half of a web process's threads with bet calls, and at most
  ``Partner.max_bets_in_flight`` across the cluster when set; over either a bet is refused at once with
  ``PartnerBusy`` (503, Retry-After), nothing written (``wallet.bulkhead``).
- account managers' actions on a delivery (``delivery_retry_now``, ``delivery_resolve_manually``): the
  admin (``wallet/admin/transactions.py``) calls them with ``actor=request.user``; they write the audit entry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from core.db import Pk, insert_row, write_rows
from core.errors import (
    AccountBlocked,
    ApplicationError,
    Conflict,
    Declined,
    DeclineReason,
    Gone,
    TooManyRequests,
    UpstreamUnavailable,
)

from . import bulkhead, calllog, session_cache
from . import currency as money
from .models import GameSession, Round, RoundStatus, SessionStatus, Transaction, TxKind, TxStatus, WalletCallKind
from .outbox import enqueue
from .transport import transport_for

if TYPE_CHECKING:
    from catalog.models import Game
    from tenants.models import ExtClient, Partner
    from tenants.services import Actor

MAX_AMOUNT = Decimal(10) ** 15  # the ledger's columns hold 16 integer digits


class BetDeclined(Declined):
    """The partner refused the bet (insufficient funds, limits, …): its code and message reach the game."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "bet_declined",
        action: str = "",
        action_data: str = "",
        reason: DeclineReason = DeclineReason.REFUSED,
    ):
        extra = {}
        if action:
            extra["action"] = action
        if action_data:
            extra["actionData"] = action_data
        super().__init__(
            message or "The bet was declined by the casino wallet.",
            code=code or "bet_declined",
            reason=reason,
            extra=extra,
        )


def hash_session_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# --------------------------------------------------------------- sessions --


@dataclass(frozen=True)
class NewSession:
    session: GameSession
    key: str  # plaintext session key, handed to the player once (launch URL fragment)

    def __repr__(self) -> str:
        return f"NewSession({self.session.pk})"


def session_create(
    *,
    protocol: str,
    game: Game,
    player_id: str,
    currency: str,
    partner: Partner | None = None,
    ext_client: ExtClient | None = None,
    player_name: str = "",
    partner_session_ref: str = "",
    device: str = "mobile",
    language: str = "en",
    return_url: str = "",
    deposit_url: str = "",
    is_demo: bool = False,
    demo_balance: Decimal | None = None,
    balance: Decimal | None = None,
    settings_snapshot: dict[str, Any] | None = None,
    key_prefix: str = "",
) -> NewSession:
    """Create a game session and its key (``key_prefix`` + a secret, stored hashed). A duplicate session_id: 409."""
    key = key_prefix + secrets.token_urlsafe(32)
    session = GameSession(
        partner=partner,
        ext_client=ext_client,
        protocol=protocol,
        game=game,
        player_id=player_id,
        player_name=player_name,
        currency=currency,
        partner_session_ref=partner_session_ref or "",
        key_hash=hash_session_key(key),
        device=device,
        language=language,
        return_url=return_url or "",
        deposit_url=deposit_url or "",
        is_demo=is_demo,
        demo_balance=(Decimal(demo_balance) if is_demo else None),
        last_balance=balance,
        last_balance_at=timezone.now() if balance is not None else None,
        expires_at=timezone.now() + timedelta(seconds=settings.HUB_SESSION_TTL_SECONDS),
        settings_snapshot=settings_snapshot or {},
    )
    try:
        with transaction.atomic():
            session.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(
            "A session with this session_id already exists for this partner.", code="duplicate_session"
        ) from exc
    return NewSession(session=session, key=key)


def session_check_open(session: GameSession) -> None:
    if session.partner is not None and session.partner.is_blocked:
        raise AccountBlocked("The casino's account is suspended.", code="account_blocked")
    if session.status != SessionStatus.ACTIVE:
        raise Gone("The game session is closed.", code="session_closed")
    if session.expires_at <= timezone.now():
        raise Gone("The game session has expired.", code="session_expired")


def session_close(*, session: GameSession) -> None:
    GameSession.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED)
    session_cache.forget(session.pk)


def sessions_terminate(
    *,
    partner: Partner,
    actor: Actor,
    player_id: str | None = None,
    session_ref: str | None = None,
    session_id: Pk | None = None,
    protocol: str | None = None,
    ext_client_id: int | None = None,
    reason: str = "",
) -> list[GameSession]:
    """Close ``partner``'s open sessions of a player, of one partner session reference, or one of our session
    ids (responsible gaming, account closure). At least one filter is required; ``protocol`` and
    ``ext_client_id`` narrow it to the sessions opened through one protocol, or for one ExtCID (a player id is
    only unique within one of the partner's casinos). The game page's next call answers 410 ``session_closed``
    (``session_check_open``); bets already in flight finish, their wins still go out.
    One audit entry per closed session. Returns the sessions closed (none: nothing matched or already closed)."""
    from tenants.services import audit_record

    from .selectors import active_sessions_for_partner

    if not (player_id or session_ref or session_id):
        raise ApplicationError("Name a player, a session reference or a session id to terminate.")
    with transaction.atomic():
        rows = list(
            active_sessions_for_partner(
                partner=partner,
                player_id=player_id,
                session_ref=session_ref,
                session_id=session_id,
                protocol=protocol,
                ext_client_id=ext_client_id,
            )
            .select_for_update()
            .order_by("pk")
        )
        if rows:
            GameSession.objects.filter(pk__in=[s.pk for s in rows], status=SessionStatus.ACTIVE).update(
                status=SessionStatus.CLOSED
            )
            transaction.on_commit(lambda: session_cache.forget(*(s.pk for s in rows)))
        for session in rows:
            session.status = SessionStatus.CLOSED
            audit_record(
                actor=actor,
                action="session_terminate",
                obj=session,
                partner=partner,
                changes={"status": SessionStatus.CLOSED, "player_id": session.player_id, "reason": reason[:500]},
            )
    return rows


def session_balance(*, session: GameSession) -> Decimal:
    """The player's balance: ours for demo sessions, else live from the partner's wallet."""
    if session.is_demo:
        return GameSession.objects.values_list("demo_balance", flat=True).get(pk=session.pk)
    result = transport_for(session.protocol).balance(session)
    calllog.record_call(kind=WalletCallKind.BALANCE, session=session, result=result)
    if result.ok and result.balance is not None:
        GameSession.objects.filter(pk=session.pk).update(last_balance=result.balance, last_balance_at=timezone.now())
        return result.balance
    if result.failed or result.ok:
        raise UpstreamUnavailable("The casino wallet is unreachable.", code="partner_unreachable")
    raise BetDeclined(
        result.message,
        code=result.error_code or "balance_unavailable",
        action=result.action,
        action_data=result.action_data,
        reason=_decline_reason(result.http_status, result.error_code),
    )


def _decline_reason(http_status: int | None, code: str = "") -> DeclineReason:
    """What a partner's refusal means for the player: the partner's HTTP status and code read as a reason."""
    if http_status in (401, 403):
        return DeclineReason.INTEGRATION_FAULT  # the partner rejected our signature
    if http_status == 404 or code in ("session_expired", "session_not_found"):
        return DeclineReason.SESSION_GONE
    return DeclineReason.INSUFFICIENT_FUNDS if code == "insufficient_funds" else DeclineReason.REFUSED


# ------------------------------------------------------------------- bets --


@dataclass
class BetResult:
    round: Round
    transaction: Transaction
    balance: Decimal | None


Hook = Callable[..., None] | None


def _validate_amount(amount: Decimal, currency: str, *, allow_zero: bool = False) -> Decimal:
    amount = Decimal(amount)
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise ApplicationError("The amount must be a positive number.", code="invalid_amount")
    if not money.has_valid_precision(amount, currency):
        raise ApplicationError(f"The amount has more decimals than {currency} allows.", code="invalid_amount")
    if amount >= MAX_AMOUNT:
        raise ApplicationError("The amount is too large.", code="invalid_amount")
    return amount


def bet_place(
    *,
    session: GameSession,
    amount: Decimal,
    tx_type: str = "regular",
    free_rounds_id: str = "",
    on_reserve: Hook = None,
    on_confirm: Hook = None,
    on_decline: Hook = None,
    confirm_savepoint: bool = True,
    confirm_rows: Callable[[Round], list[Model]] | None = None,
) -> BetResult:
    """Debit a stake. Hooks let the game reserve and release its own state:

    ``on_reserve(round)`` runs in the transaction that creates the pending bet,
    ``on_confirm(round, tx)`` in the one that confirms it and ``on_decline(round)``
    in the one that declines it (with the refund, when there is one).
    ``confirm_savepoint`` False: ``on_confirm`` refuses (``ApplicationError``) only before it writes anything,
    so it needs no savepoint of its own (two round trips less while it holds a hot row lock, as
    ``position_open`` does).
    ``confirm_rows(round)``: for a game that cannot refuse a confirmed bet, the rows it writes with the
    confirmation, built before the wallet call (a refusal then writes nothing) and inserted in the confirming
    statement itself (one round trip, no transaction of its own: ``core.db.write_rows``). Not with ``on_confirm``.
    """
    if confirm_rows is not None and on_confirm is not None:
        raise TypeError("bet_place takes on_confirm or confirm_rows, not both")
    session_check_open(session)
    amount = _validate_amount(amount, session.currency)
    if session.is_demo:
        if confirm_rows is not None:
            rows_for = confirm_rows

            def on_confirm(rnd: Round, tx: Transaction) -> None:
                for row in rows_for(rnd):
                    insert_row(row)

        return _demo_bet(session, amount, tx_type, free_rounds_id, on_reserve, on_confirm, confirm_savepoint)

    # The bulkhead (wallet.bulkhead): a slot before anything is written, given back once the partner
    # answered; over the partner's share of this process's threads, or its own cap, the bet is refused at once
    # (PartnerBusy, 503) and nothing is written.
    with bulkhead.bet_slot(session.partner):
        rnd = _new_round(session, free_rounds_id)
        tx = _new_bet(rnd, amount, tx_type, status=TxStatus.PENDING)
        game_rows = confirm_rows(rnd) if confirm_rows is not None else []
        if on_reserve:
            with transaction.atomic():
                write_rows([rnd, tx], [])
                on_reserve(rnd)
        else:  # the pending bet and its round: one statement on PostgreSQL, committed on its own
            write_rows([rnd, tx], [])

        result = transport_for(session.protocol).bet(tx)
    # The delivery log's row for this call is written off the request's thread (a log, not the ledger).
    calllog.record_call(kind=WalletCallKind.BET, session=session, result=result, tx=tx)

    if result.ok and on_confirm is None:
        # The confirmation, the session's balance and the game's rows: one statement, its own transaction.
        if not write_rows(game_rows, _outcome_updates(session, tx, result), inserts_if_updated=True)[0]:
            raise UpstreamUnavailable("The casino wallet did not answer in time.", code="partner_unreachable")
        return BetResult(round=rnd, transaction=tx, balance=tx.partner_balance)
    with transaction.atomic():
        if not write_rows([], _outcome_updates(session, tx, result))[0]:
            # The sweeper already gave up on it (and refunded); nothing was written (the statement is rolled back).
            raise UpstreamUnavailable("The casino wallet did not answer in time.", code="partner_unreachable")
        if result.ok:
            rejected = _confirm_or_refund(rnd, tx, on_confirm, confirm_savepoint)
        else:
            rejected = None
            Round.objects.filter(pk=rnd.pk).update(status=RoundStatus.CANCELLED, settled_at=tx.updated_at)
            if result.failed:
                refund_record(bet_tx=tx)
            if on_decline:
                on_decline(rnd)
    if result.ok:
        if rejected is not None:
            raise rejected
        return BetResult(round=rnd, transaction=tx, balance=tx.partner_balance)
    if result.failed:
        raise UpstreamUnavailable(
            "The casino wallet is unreachable; the bet was not placed.", code="partner_unreachable"
        )
    raise BetDeclined(
        result.message,
        code=result.error_code or "bet_declined",
        action=result.action,
        action_data=result.action_data,
        reason=_decline_reason(result.http_status, result.error_code),
    )


def _outcome_updates(
    session: GameSession, tx: Transaction, result: Any
) -> list[tuple[type[Model], dict[str, Any], dict[str, Any]]]:
    """The pending bet's outcome as ``write_rows`` updates (set on ``tx`` too): confirmed or declined, and with a
    confirmation the balance the partner reported on the session, in the same statement."""
    now = timezone.now()
    tx.error_code, tx.error_message, tx.updated_at = result.error_code[:64], result.message[:500], now
    if result.ok:
        tx.status, tx.confirmed_at = TxStatus.CONFIRMED, now
        tx.partner_tx_id, tx.partner_balance = result.partner_tx_id, result.balance
        fields = ["status", "confirmed_at", "partner_tx_id", "partner_balance"]
    else:
        tx.status, tx.last_error = TxStatus.DECLINED, result.error[:500]
        fields = ["status", "last_error"]
    # A conditional UPDATE: it also takes the row lock the orphan sweeper would need.
    changed = {name: getattr(tx, name) for name in [*fields, "error_code", "error_message", "updated_at"]}
    # ``created_at`` (the partition key, wallet/partitions.py) prunes the UPDATE to the row's month.
    updates: list[tuple[type[Model], dict[str, Any], dict[str, Any]]] = [
        (Transaction, {"id": tx.pk, "created_at": tx.created_at, "status": TxStatus.PENDING}, changed)
    ]
    if result.ok and tx.partner_balance is not None:
        updates.append((GameSession, {"id": session.pk}, {"last_balance": tx.partner_balance, "last_balance_at": now}))
    return updates


def _new_round(session: GameSession, free_rounds_id: str) -> Round:
    """A bet's round, not saved yet (the caller writes it with the bet: ``core.db.write_rows``)."""
    return Round(session=session, partner_id=session.partner_id, free_rounds_id=free_rounds_id)


def _new_bet(rnd: Round, amount: Decimal, tx_type: str, *, status: str, **extra: Any) -> Transaction:
    """The bet's ledger row (pending for a partner's wallet, confirmed for a demo session's own balance), not
    saved yet."""
    session = rnd.session
    tx = Transaction(
        round=rnd,
        session=session,
        partner_id=session.partner_id,
        kind=TxKind.BET,
        amount=amount,
        currency=session.currency,
        tx_type=tx_type,
        free_rounds_id=rnd.free_rounds_id,
        status=status,
        **extra,
    )
    return tx


def _confirm_or_refund(rnd: Round, tx: Transaction, on_confirm: Hook, savepoint: bool) -> ApplicationError | None:
    """Let the game record the confirmed bet. If the game refuses now (the market closed meanwhile…),
    the stake goes back to the player: a refund is written in the same transaction (the game's writes rolled
    back to a savepoint first, unless it refuses only before writing)."""
    if not on_confirm:
        return None
    try:
        if savepoint:
            with transaction.atomic():
                on_confirm(rnd, tx)
        else:
            on_confirm(rnd, tx)
        return None
    except ApplicationError as exc:
        refund_record(bet_tx=tx)
        return exc


def _demo_bet(
    session: GameSession,
    amount: Decimal,
    tx_type: str,
    free_rounds_id: str,
    on_reserve: Hook,
    on_confirm: Hook,
    confirm_savepoint: bool,
) -> BetResult:
    with transaction.atomic():
        locked = GameSession.objects.select_for_update().get(pk=session.pk)
        if locked.demo_balance < amount:
            raise BetDeclined("Insufficient funds.", code="insufficient_funds", reason=DeclineReason.INSUFFICIENT_FUNDS)
        GameSession.objects.filter(pk=session.pk).update(demo_balance=F("demo_balance") - amount)
        rnd = _new_round(session, free_rounds_id)
        insert_row(rnd)
        if on_reserve:
            on_reserve(rnd)
        tx = _new_bet(
            rnd,
            amount,
            tx_type,
            status=TxStatus.CONFIRMED,
            confirmed_at=timezone.now(),
            partner_balance=locked.demo_balance - amount,
        )
        insert_row(tx)
        rejected = _confirm_or_refund(rnd, tx, on_confirm, confirm_savepoint)
    if rejected is not None:
        raise rejected
    return BetResult(round=rnd, transaction=tx, balance=tx.partner_balance)


# ---------------------------------------------------------- wins, refunds --


def win_record(
    *, round: Round, amount: Decimal, tx_type: str = "regular", free_rounds_id: str = "", finished: bool = True
) -> Transaction:
    """Write a win (possibly zero) to the outbox; it is delivered after commit. One win per round (DB)."""
    session = round.session
    amount = _validate_amount(amount, session.currency, allow_zero=True)
    # No savepoint of its own inside a caller's transaction: an error propagates and rolls that back.
    with transaction.atomic(savepoint=False):
        if session.is_demo:
            GameSession.objects.filter(pk=session.pk).update(demo_balance=F("demo_balance") + amount)
            balance = GameSession.objects.values_list("demo_balance", flat=True).get(pk=session.pk)
            status, confirmed_at = TxStatus.CONFIRMED, timezone.now()
        else:
            balance, status, confirmed_at = None, TxStatus.PENDING, None
        try:
            with transaction.atomic():
                tx = Transaction.objects.create(
                    round=round,
                    session=session,
                    partner_id=round.partner_id,
                    kind=TxKind.WIN,
                    amount=amount,
                    currency=session.currency,
                    tx_type=tx_type,
                    free_rounds_id=free_rounds_id,
                    finished=finished,
                    status=status,
                    confirmed_at=confirmed_at,
                    partner_balance=balance,
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise Conflict("This round has already been paid.", code="already_settled") from exc
        Round.objects.filter(pk=round.pk).update(status=RoundStatus.SETTLED, settled_at=timezone.now())
        if status == TxStatus.PENDING:
            _enqueue_after_commit(tx)
    return tx


def refund_record(*, bet_tx: Transaction) -> Transaction:
    """Write a refund of a bet to the outbox (at most one per bet, by constraint)."""
    if bet_tx.kind != TxKind.BET:
        raise ApplicationError("Only bets can be refunded.", code="not_a_bet")
    with transaction.atomic(savepoint=False):
        session = bet_tx.session
        pending = not session.is_demo
        try:
            with transaction.atomic():
                tx = Transaction.objects.create(
                    round_id=bet_tx.round_id,
                    session_id=bet_tx.session_id,
                    partner_id=bet_tx.partner_id,
                    kind=TxKind.REFUND,
                    amount=bet_tx.amount,
                    currency=bet_tx.currency,
                    tx_type=bet_tx.tx_type,
                    free_rounds_id=bet_tx.free_rounds_id,
                    refunds=bet_tx,
                    finished=True,
                    status=TxStatus.PENDING if pending else TxStatus.CONFIRMED,
                    confirmed_at=None if pending else timezone.now(),
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise Conflict("This bet has already been refunded.", code="already_refunded") from exc
        if not pending and bet_tx.status == TxStatus.CONFIRMED:
            GameSession.objects.filter(pk=session.pk).update(demo_balance=F("demo_balance") + bet_tx.amount)
        Round.objects.filter(pk=bet_tx.round_id).exclude(status=RoundStatus.SETTLED).update(
            status=RoundStatus.CANCELLED, settled_at=timezone.now()
        )
        if pending:
            _enqueue_after_commit(tx)
    return tx


def _enqueue_after_commit(tx: Transaction) -> None:
    transaction.on_commit(lambda: enqueue(tx))


# ------------------------------------------------------- account managers --


class RetryTooSoon(TooManyRequests):
    """The same delivery was retried less than HUB_RETRY_NOW_INTERVAL_SECONDS ago."""


def delivery_retry_now(*, tx: Transaction, actor: Actor) -> None:
    """Make a pending win or refund due now and hand it to the workers (the admin's "Retry now"); audited.

    Refused while a worker holds its lease (``Conflict``: no second send of the same payout at once) and more than
    once per HUB_RETRY_NOW_INTERVAL_SECONDS per transaction (``RetryTooSoon``, 429; checked last: failed writes
    start no interval, a refusal rolls the writes back)."""
    from django.core.cache import cache

    from tenants.services import audit_record

    interval = int(settings.HUB_RETRY_NOW_INTERVAL_SECONDS)
    with transaction.atomic():
        now = timezone.now()
        row = Transaction.objects.select_for_update().filter(pk=tx.pk, status=TxStatus.PENDING).first()
        if row is None:
            return
        if row.lease_until is not None and row.lease_until > now:  # a worker holds it: no second send at once
            raise Conflict("This delivery is being sent right now: wait for its outcome.", code="delivery_in_flight")
        Transaction.objects.filter(pk=tx.pk, status=TxStatus.PENDING).update(next_attempt_at=now, lease_until=None)
        audit_record(actor=actor, action="delivery.retry_now", obj=tx, partner=tx.partner, changes={})
        if interval > 0 and not cache.add(f"hub:retry-now:{tx.pk}", 1, timeout=interval):
            raise RetryTooSoon(f"This delivery was retried less than {interval} s ago.", retry_after=interval)
        transaction.on_commit(lambda: enqueue(tx))


def delivery_resolve_manually(*, tx: Transaction, actor: Actor, reason: str) -> None:
    """Close a pending win or refund as settled outside the hub (a reason is required); audited.

    Only a row still pending changes: one the pump confirmed meanwhile keeps its confirmation, and a
    batch the pump records afterwards leaves this resolution alone (``wallet.delivery.attempts.record``).
    """
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
