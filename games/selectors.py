"""Reads of the catalog, markets, positions and jackpot rounds.

The catalog is the same for every partner (we are the only provider), so its
reads take no partner. Player data (positions, jackpot rounds) is scoped by the
wallet's GameSession id: another session's betId answers ``None``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog.models import BetLine, Game, Provider

from . import catalog
from .models import JackpotRound, JackpotRoundStatus, Market, MarketStatus, Position
from .traderhero import fairness


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


# ---------------------------------------------------------------- catalog --


def provider_get() -> Provider | None:
    """Our provider record (seeded with ``catalog.PROVIDER_ID``)."""
    return Provider.objects.filter(pk=catalog.PROVIDER_ID).first()


def providers_list(updated_after: datetime | None = None) -> QuerySet[Provider]:
    qs = Provider.objects.all()
    if updated_after is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    return qs.order_by("updated_at", "id")


def game_get(ref) -> Game | None:
    """A game by its UUID (object or string) or its slug; ``None`` when unknown or soft-deleted."""
    if ref is None or ref == "":
        return None
    pk = _as_uuid(ref)
    lookup = {"pk": pk} if pk is not None else {"slug": str(ref)}
    return Game.objects.select_related("provider").filter(deleted_at__isnull=True, **lookup).first()


def games_list(updated_after: datetime | None = None, *, include_deleted: bool | None = None) -> QuerySet[Game]:
    """Games in a stable order (``updated_at``, ``id``), suitable for cursor pagination.

    With ``updated_after`` (a delta sync) soft-deleted games are included, so the
    partner sees their ``deleted_at`` and hides them; a full listing leaves them
    out. ``include_deleted`` overrides that default.
    """
    qs = Game.objects.select_related("provider")
    if updated_after is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    if include_deleted is None:
        include_deleted = updated_after is not None
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs.order_by("updated_at", "id")


def games_with_bet_lines(*, currencies: list[str] | None = None) -> QuerySet[Game]:
    """Live games with their bet lines prefetched (``game.bet_lines.all()``), optionally for some currencies."""
    lines = BetLine.objects.order_by("currency", "position")
    if currencies is not None:
        lines = lines.filter(currency__in=currencies)
    return (
        Game.objects.select_related("provider")
        .filter(deleted_at__isnull=True)
        .prefetch_related(Prefetch("bet_lines", queryset=lines))
        .order_by("name", "id")
    )


def bet_lines_for(*, game: Game, currency: str | None = None) -> dict[str, list[BetLine]]:
    """A game's bet lines grouped by currency, each list ordered by position (1-based)."""
    qs = BetLine.objects.filter(game=game).order_by("currency", "position")
    if currency is not None:
        qs = qs.filter(currency=currency)
    grouped: dict[str, list[BetLine]] = {}
    for line in qs:
        grouped.setdefault(line.currency, []).append(line)
    return grouped


# ---------------------------------------------------------------- markets --


def market_get(market_id) -> Market | None:
    pk = _as_uuid(market_id)
    return Market.objects.filter(pk=pk).first() if pk else None


def markets_list(*, status: str | None = MarketStatus.OPEN) -> QuerySet[Market]:
    qs = Market.objects.all()
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("close_at", "id")


def position_get(*, bet_id, session_id) -> Position | None:
    """A position by betId, only within its own game session."""
    pk, sid = _as_uuid(bet_id), _as_uuid(session_id)
    if pk is None or sid is None:
        return None
    return Position.objects.select_related("market").filter(pk=pk, session_id=sid).first()


def positions_for_session(*, session_id, status: str | None = None) -> QuerySet[Position]:
    sid = _as_uuid(session_id)
    if sid is None:
        return Position.objects.none()
    qs = Position.objects.select_related("market").filter(session_id=sid)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "id")


# ---------------------------------------------------------- jackpot rounds --


def jackpot_round_get(*, bet_id, session_id) -> JackpotRound | None:
    pk, sid = _as_uuid(bet_id), _as_uuid(session_id)
    if pk is None or sid is None:
        return None
    return JackpotRound.objects.filter(pk=pk, session_id=sid).first()


def jackpot_rounds_due(*, now: datetime | None = None) -> QuerySet[JackpotRound]:
    """Open rounds whose settle time has come (for the settling task / sweeper)."""
    now = now or timezone.now()
    return JackpotRound.objects.filter(status=JackpotRoundStatus.OPEN, settle_at__lte=now).order_by("settle_at", "id")


def jackpot_round_state(rnd: JackpotRound) -> dict:
    """A round as the player may see it: the server seed only once the round is over."""
    state = {
        "betId": rnd.pk,
        "roundId": rnd.round_id,
        "direction": rnd.direction,
        "stake": rnd.stake,
        "currency": rnd.currency,
        "status": rnd.status,
        "serverSeedHash": rnd.server_seed_hash,
        "clientSeed": rnd.client_seed,
        "nonce": rnd.nonce,
        "settleAt": rnd.settle_at,
        "table": fairness.tier_table(rnd.rtp).as_dict(),
    }
    if rnd.status != JackpotRoundStatus.OPEN:
        state.update(
            serverSeed=rnd.server_seed,
            tier=rnd.tier or None,
            multiplier=rnd.multiplier,
            payout=rnd.payout,
            path=rnd.path,
        )
    return state
