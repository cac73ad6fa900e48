"""TraderHero round services: open, play, settle and refund a round (the record of a bet). No money moves here:
the wallet does that (``games/traderhero/settlement.py`` pays a played round through it).

Flow for the wallet: ``jackpot_round_open`` after the partner confirmed the debit (the round's
``server_seed_hash`` is shown to the player), then, from ``settle_at`` on, ``jackpot_round_settle`` (payout ≥ 0
to credit, seed revealed), or ``jackpot_round_refund`` when the bet must be reversed. The outcome itself is the
pure provably-fair algorithm of ``games/traderhero/fairness.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Game
from core.db import insert_row
from core.errors import ApplicationError, Conflict, NotFound
from core.money import fits, precision, to_decimal

from .. import catalog
from ..models import JackpotRound, JackpotRoundStatus
from . import fairness

CLIENT_SEED_MAX = 64


def jackpot_rtp() -> Decimal:
    """The advertised RTP of TraderHero (the catalog row), used for new rounds."""
    rtp = Game.objects.filter(pk=catalog.TRADERHERO_JACKPOT_ID).values_list("rtp", flat=True).first()
    return fairness.check_rtp(rtp if rtp is not None else fairness.DEFAULT_RTP)


def _round_error(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, code=code)


def jackpot_round_new(
    *,
    session_id,
    round_id,
    direction: str,
    stake,
    currency: str,
    client_seed: str | None = None,
    nonce: int = 0,
    rtp=None,
    places: int | None = None,
    now: datetime | None = None,
) -> JackpotRound:
    """A round's row, validated and committed to a fresh server seed, not saved (``jackpot_round_open`` saves it;
    a bet's confirming statement may insert it itself)."""
    if direction not in fairness.DIRECTIONS:
        raise _round_error("invalid_direction", "Direction must be up or down.")
    try:
        stake = to_decimal(stake)
    except (TypeError, ArithmeticError, ValueError):
        raise _round_error("invalid_amount", "The stake must be a decimal amount.") from None
    places_ = precision(currency, places)
    if not stake.is_finite() or stake <= 0 or not fits(stake, places_):
        raise _round_error("invalid_amount", f"The stake must be a positive amount with at most {places_} decimals.")
    if client_seed is None:
        client_seed = fairness.new_client_seed()
    if not isinstance(client_seed, str) or not client_seed or len(client_seed) > CLIENT_SEED_MAX:
        raise _round_error("invalid_client_seed", f"The client seed must be 1–{CLIENT_SEED_MAX} characters.")
    if isinstance(nonce, bool) or not isinstance(nonce, int) or nonce < 0:
        raise _round_error("invalid_nonce", "The nonce must be an integer >= 0.")
    rtp = fairness.check_rtp(rtp) if rtp is not None else jackpot_rtp()
    server_seed = fairness.new_server_seed()
    now = now or timezone.now()
    return JackpotRound(
        session_id=session_id,
        round_id=round_id,
        direction=direction,
        stake=stake,
        currency=currency,
        rtp=rtp,
        server_seed=server_seed,
        server_seed_hash=fairness.hash_server_seed(server_seed),
        client_seed=client_seed,
        nonce=nonce,
        settle_at=now + timedelta(seconds=settings.HUB_JACKPOT_ROUND_SECONDS),
    )


def jackpot_round_open(
    *,
    session_id,
    round_id,
    direction: str,
    stake,
    currency: str,
    client_seed: str | None = None,
    nonce: int = 0,
    rtp=None,
    places: int | None = None,
    now: datetime | None = None,
    new_round: bool = False,
) -> JackpotRound:
    """Start a round: commit to a fresh server seed (only its hash is public until settlement).

    Idempotent on ``round_id`` (a replay returns the same round; ``Conflict`` if it differs).
    ``new_round``: the caller created ``round_id`` in the transaction it holds, so no replay can exist
    and the insert needs no savepoint of its own (two round trips less on every bet).
    """
    jr = jackpot_round_new(
        session_id=session_id,
        round_id=round_id,
        direction=direction,
        stake=stake,
        currency=currency,
        client_seed=client_seed,
        nonce=nonce,
        rtp=rtp,
        places=places,
        now=now,
    )
    try:
        with transaction.atomic(savepoint=not new_round):
            insert_row(jr)  # core.db: the INSERT compiled once, not on every bet
            return jr
    except IntegrityError:
        if new_round:
            raise
        existing = JackpotRound.objects.filter(round_id=round_id).first()
        if existing is None:
            raise
        return _same_round(existing, direction, stake, currency)


def _same_round(existing: JackpotRound, direction: str, stake: Decimal, currency: str) -> JackpotRound:
    if (existing.direction, existing.stake, existing.currency) != (direction, stake, currency):
        raise Conflict("This round already has a different bet.", code="duplicate_round")
    return existing


def _lock_round(bet_id) -> JackpotRound:
    try:
        return JackpotRound.objects.select_for_update().get(pk=bet_id)
    except (JackpotRound.DoesNotExist, ValueError, TypeError):
        raise NotFound("Bet not found.", code="bet_not_found") from None


def jackpot_round_settle(
    *, bet_id, places: int | None = None, now: datetime | None = None, force: bool = False
) -> JackpotRound:
    """Play the round out: tier, multiplier, path and payout (stake × multiplier, rounded down); reveal the seed.

    Idempotent: a settled round is returned as is. Before ``settle_at`` it
    refuses with ``round_not_due`` unless ``force``.
    """
    with transaction.atomic():
        return jackpot_round_play(_lock_round(bet_id), places=places, now=now, force=force)


def jackpot_round_play(
    rnd: JackpotRound, *, places: int | None = None, now: datetime | None = None, force: bool = False
) -> JackpotRound:
    """``jackpot_round_settle`` for a round the caller holds (locked, or created in its transaction)."""
    now = now or timezone.now()
    if rnd.status == JackpotRoundStatus.SETTLED:
        return rnd
    if rnd.status != JackpotRoundStatus.OPEN:
        raise Conflict(f"The round is {rnd.status}.", code="round_closed")
    if not force and now < rnd.settle_at:
        raise _round_error("round_not_due", "The round has not finished yet.")
    outcome = fairness.play(rnd.server_seed, rnd.client_seed, rnd.nonce, rnd.direction, rnd.rtp)
    rnd.tier = outcome.tier
    rnd.multiplier = outcome.multiplier
    rnd.payout = fairness.payout(rnd.stake, outcome.multiplier, precision(rnd.currency, places))
    rnd.path = outcome.path
    rnd.status = JackpotRoundStatus.SETTLED
    rnd.settled_at = now
    rnd.save(update_fields=["tier", "multiplier", "payout", "path", "status", "settled_at"])
    return rnd


def jackpot_round_refund(*, bet_id, now: datetime | None = None) -> JackpotRound:
    """Reverse an open round (e.g. the debit failed): nothing is played; the stake is owed back."""
    with transaction.atomic():
        rnd = _lock_round(bet_id)
        if rnd.status == JackpotRoundStatus.REFUNDED:
            return rnd
        if rnd.status != JackpotRoundStatus.OPEN:
            raise Conflict(f"The round is {rnd.status}.", code="round_closed")
        rnd.status = JackpotRoundStatus.REFUNDED
        rnd.payout = rnd.stake
        rnd.settled_at = now or timezone.now()
        rnd.save(update_fields=["status", "payout", "settled_at"])
    return rnd
