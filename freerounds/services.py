"""Free-rounds play: the player's allotment, free bets and the bonus withdrawal.

- While a campaign is available to a Public API session, each bet is a free round
  at the bet line's fixed stake: it goes out with ``type: "free"`` and ``frID``
  and moves no real balance at the partner.
- Each free round's win goes out as ``type: "free"`` too.
- When the allotment is used up and its last round settled, one ``win`` with
  ``type: "regular"`` and ``frID`` pays the bonus: the free wins, capped at
  quantity × max bet × max multiplier of the line.
- A cancelled campaign starts no new free rounds; rounds already started finish,
  and the player's bonus so far is paid when the last one settles.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApplicationError, Conflict, NotFound
from games import selectors as game_selectors
from tenants import selectors as tenant_selectors
from tenants.validators import normalize_currency
from wallet import currency as money
from wallet.models import GameSession, Protocol, Round, RoundStatus

from .models import CampaignStatus, FreeRoundsCampaign, FreeRoundsProgress, ProgressStatus

if TYPE_CHECKING:
    from catalog.models import BetLine, Game
    from tenants.models import Partner


def campaign_create(
    *,
    partner: Partner,
    ext_cid: str,
    ext_id: str,
    currency: str,
    quantity: int,
    bet_line: int,
    valid_from: datetime,
    valid_until: datetime | None = None,
    game_refs: Sequence[str] = (),
    user_ids: Sequence[str] = (),
) -> FreeRoundsCampaign:
    """Grant ``quantity`` free rounds at bet line ``bet_line`` to the players of one of the partner's ExtCIDs.

    ``game_refs`` names the games (ids or slugs), each of which must have the line; none means every live game
    with free spins that has it. ``user_ids`` names the players; none means every player. ``ext_id`` is the
    partner's id for the campaign, unique per partner (a second one is a ``Conflict``)."""
    ext = tenant_selectors.ext_client_active_get(partner=partner, ext_cid=ext_cid)
    currency = normalize_currency(currency)
    if currency not in tenant_selectors.ext_client_currencies(ext):
        raise ApplicationError(f"Currency {currency} is not supported.", code="currency_not_supported")
    games = []
    for ref in game_refs:
        game = game_selectors.game_get(ref)
        if game is None:
            raise NotFound(f"Game {ref!r} not found.", code="game_not_found")
        games.append(game)
    if games:
        # Named games: each must have the line (the campaign may start in any of them).
        lines = []
        for game in games:
            match = _bet_line(game, currency, bet_line)
            if match is None:
                raise ApplicationError(
                    f"Bet line {bet_line} is not configured for {game.slug} in {currency}.", details="betLine"
                )
            lines.append(match)
        line = lines[0]
    else:
        # No games named: "the campaign can be started in any game", i.e. every live game with free spins and
        # the line (a game without free spins is not a reason to refuse). The eligible games are stored, so a
        # game without the line never plays it.
        eligible = [
            (game, match)
            for game in game_selectors.games_with_bet_lines(currencies=[currency])
            if game.status == "active"
            and game.has_free_spins
            and (match := next((bl for bl in game.bet_lines.all() if bl.position == bet_line), None))
        ]
        if not eligible:
            raise ApplicationError(f"No game with free spins has bet line {bet_line} in {currency}.", details="betLine")
        games = [game for game, _ in eligible]
        line = eligible[0][1]
    try:
        with transaction.atomic():
            return FreeRoundsCampaign.objects.create(
                partner=partner,
                ext_client=ext,
                ext_id=ext_id,
                game_ids=[str(g.pk) for g in games],
                user_ids=list(dict.fromkeys(user_ids)),
                currency=currency,
                quantity=quantity,
                bet_line=bet_line,
                bet_amount=line.max_bet,
                max_multiplier=line.max_multiplier,
                valid_from=valid_from,
                valid_until=valid_until,
            )
    except IntegrityError as exc:
        raise Conflict(f"A free rounds campaign with extID {ext_id!r} already exists.") from exc


def _bet_line(game: Game, currency: str, position: int) -> BetLine | None:
    lines = game_selectors.bet_lines_for(game=game, currency=currency).get(currency, [])
    return next((bl for bl in lines if bl.position == position), None)


def campaign_cancel(
    *, partner: Partner, ext_cid: str, campaign_id: uuid.UUID | None = None, ext_id: str | None = None
) -> FreeRoundsCampaign:
    """Cancel one of the partner's campaigns on an ExtCID, named by our id, its ``ext_id`` or both.

    No new free round starts after it; the players whose rounds have all finished are paid their bonus so far
    (``campaign_cancelled``). Cancelling a cancelled campaign changes nothing."""
    tenant_selectors.ext_client_active_get(partner=partner, ext_cid=ext_cid)
    qs = FreeRoundsCampaign.objects.filter(partner=partner, ext_client__ext_cid=ext_cid)
    if campaign_id:
        qs = qs.filter(pk=campaign_id)
    if ext_id:
        qs = qs.filter(ext_id=ext_id)
    campaign = qs.first()
    if campaign is None:
        raise NotFound("Free rounds campaign not found.")
    if campaign.status != CampaignStatus.CANCELLED:
        with transaction.atomic():
            FreeRoundsCampaign.objects.filter(pk=campaign.pk).update(
                status=CampaignStatus.CANCELLED, cancelled_at=timezone.now()
            )
            campaign.refresh_from_db()
            campaign_cancelled(campaign=campaign)
    return campaign


def campaign_for(session: GameSession) -> FreeRoundsCampaign | None:
    """The campaign this session plays now, if any (its own started one first, then a fresh one)."""
    if (
        session.protocol != Protocol.PUBLIC_API
        or session.is_demo
        or session.ext_client_id is None
        or session.partner_id is None
    ):
        return None
    if not session.game.has_free_spins:
        return None
    now = timezone.now()
    started = (
        FreeRoundsProgress.objects.select_related("campaign")
        .filter(
            campaign__partner_id=session.partner_id,
            campaign__ext_client_id=session.ext_client_id,
            campaign__currency=session.currency,
            player_id=session.player_id,
            game=session.game,
            status=ProgressStatus.IN_PROGRESS,
            campaign__status=CampaignStatus.ACTIVE,
        )
        .order_by("created_at")
        .first()
    )
    if started and started.rounds_used < started.campaign.quantity:
        return started.campaign
    for campaign in (
        FreeRoundsCampaign.objects.filter(
            partner_id=session.partner_id,
            ext_client_id=session.ext_client_id,
            currency=session.currency,
            status=CampaignStatus.ACTIVE,
            valid_from__lte=now,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("created_at")
    ):
        if campaign.user_ids and session.player_id not in campaign.user_ids:
            continue
        if campaign.game_ids and str(session.game_id) not in campaign.game_ids:
            continue
        progress = FreeRoundsProgress.objects.filter(campaign=campaign, player_id=session.player_id).first()
        if progress is None:
            return campaign
        if (
            progress.status == ProgressStatus.IN_PROGRESS
            and progress.game_id == session.game_id
            and progress.rounds_used < campaign.quantity
        ):
            return campaign
    return None


def free_round_take(*, campaign: FreeRoundsCampaign, session: GameSession) -> FreeRoundsProgress:
    """Count one free round for the player (inside the bet's transaction; row-locked)."""
    progress, _ = FreeRoundsProgress.objects.get_or_create(
        campaign=campaign, player_id=session.player_id, defaults={"game": session.game}
    )
    progress = FreeRoundsProgress.objects.select_for_update().get(pk=progress.pk)
    fresh = FreeRoundsCampaign.objects.get(pk=campaign.pk)
    if fresh.status != CampaignStatus.ACTIVE:
        raise ApplicationError("The free rounds campaign has ended.", code="free_rounds_ended", status_code=409)
    if progress.game_id != session.game_id:
        raise ApplicationError(
            "These free rounds were started in another game.", code="free_rounds_locked", status_code=409
        )
    if progress.status != ProgressStatus.IN_PROGRESS or progress.rounds_used >= fresh.quantity:
        raise ApplicationError("No free rounds left.", code="free_rounds_used", status_code=409)
    progress.rounds_used += 1
    progress.save(update_fields=["rounds_used", "updated_at"])
    return progress


def free_round_settled(*, round: Round, payout: Decimal) -> None:
    """After a free round's win is recorded: add it up; pay the bonus when the allotment is done."""
    if not round.free_rounds_id:
        return
    session = round.session
    if session.partner_id is None:  # free rounds are a partner's, never a demo's
        return
    with transaction.atomic():
        progress = (
            FreeRoundsProgress.objects.select_for_update()
            .select_related("campaign")
            .filter(
                campaign__partner_id=session.partner_id,
                campaign__ext_id=round.free_rounds_id,
                player_id=session.player_id,
            )
            .first()
        )
        if progress is None or progress.status != ProgressStatus.IN_PROGRESS:
            return
        progress.total_win += payout
        progress.save(update_fields=["total_win", "updated_at"])
        _maybe_pay_bonus(progress, session)


def _open_free_rounds(progress: FreeRoundsProgress) -> bool:
    return Round.objects.filter(
        session__partner_id=progress.campaign.partner_id,
        session__player_id=progress.player_id,
        free_rounds_id=progress.campaign.ext_id,
        status=RoundStatus.OPEN,
    ).exists()


def _maybe_pay_bonus(progress: FreeRoundsProgress, session: GameSession) -> None:
    from wallet import services as wallet

    campaign = progress.campaign
    done = progress.rounds_used >= campaign.quantity or campaign.status == CampaignStatus.CANCELLED
    if not done or _open_free_rounds(progress):
        return
    cap = campaign.bet_amount * campaign.max_multiplier * campaign.quantity
    bonus = money.quantize_down(min(progress.total_win, cap), campaign.currency)
    bonus_round = Round.objects.create(session=session, partner_id=session.partner_id, free_rounds_id=campaign.ext_id)
    win = wallet.win_record(round=bonus_round, amount=bonus, tx_type="regular", free_rounds_id=campaign.ext_id)
    progress.status, progress.bonus_transaction = ProgressStatus.FINISHED, win.pk
    progress.save(update_fields=["status", "bonus_transaction", "updated_at"])


def campaign_cancelled(*, campaign: FreeRoundsCampaign) -> int:
    """Pay the bonus so far to players whose rounds have all finished; the others get it when theirs do."""
    paid = 0
    for progress_id in FreeRoundsProgress.objects.filter(
        campaign=campaign, status=ProgressStatus.IN_PROGRESS, rounds_used__gt=0
    ).values_list("pk", flat=True):
        with transaction.atomic():
            progress = FreeRoundsProgress.objects.select_for_update().select_related("campaign").get(pk=progress_id)
            session = (
                GameSession.objects.filter(
                    partner_id=campaign.partner_id,
                    ext_client_id=campaign.ext_client_id,
                    player_id=progress.player_id,
                    currency=campaign.currency,
                    is_demo=False,
                )  # the bonus is real money: never a demo game
                .order_by("-created_at")
                .first()
            )
            if session is not None and progress.status == ProgressStatus.IN_PROGRESS:
                _maybe_pay_bonus(progress, session)
                paid += 1
    return paid
