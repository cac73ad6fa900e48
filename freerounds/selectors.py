"""Reads of free-rounds campaigns, scoped by partner: a campaign's or a player's free rounds, granted, used,
remaining and won so far (the Core API's ``GET /free-rounds``), and the count a game session still has (the
game page's state)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from tenants.models import Partner
from wallet.models import GameSession

from .models import FreeRoundsCampaign, FreeRoundsProgress, ProgressStatus


@dataclass(frozen=True)
class FreeRoundsLine:
    campaign: FreeRoundsCampaign
    player_id: str | None  # None: a campaign for every player that nobody has started yet
    used: int
    winnings: Decimal
    finished: bool
    bonus_transaction: uuid.UUID | None

    @property
    def granted(self) -> int:
        return self.campaign.quantity

    @property
    def remaining(self) -> int:
        if self.finished or self.campaign.status != "active":
            return 0
        return max(0, self.campaign.quantity - self.used)


def campaigns_for_partner(*, partner: Partner) -> QuerySet[FreeRoundsCampaign]:
    return FreeRoundsCampaign.objects.filter(partner=partner).select_related("ext_client")


def campaign_for_partner(*, partner: Partner, campaign_id=None, ext_id: str | None = None) -> FreeRoundsCampaign | None:
    qs = campaigns_for_partner(partner=partner)
    if campaign_id is not None:
        qs = qs.filter(pk=campaign_id)
    if ext_id:
        qs = qs.filter(ext_id=ext_id)
    return qs.first() if (campaign_id is not None or ext_id) else None


def _line(campaign: FreeRoundsCampaign, player_id: str | None, progress: FreeRoundsProgress | None) -> FreeRoundsLine:
    return FreeRoundsLine(
        campaign=campaign,
        player_id=player_id,
        used=progress.rounds_used if progress else 0,
        winnings=progress.total_win if progress else Decimal(0),
        finished=bool(progress and progress.status == ProgressStatus.FINISHED),
        bonus_transaction=progress.bonus_transaction if progress else None,
    )


def free_rounds_status(
    *,
    partner: Partner,
    ext_cid: str | None = None,
    campaign: FreeRoundsCampaign | None = None,
    player_id: str | None = None,
) -> list[FreeRoundsLine]:
    """One line per (campaign, player): with ``campaign``, its players (those named in ``userIDs`` and those who
    started it; a campaign for every player with nobody started yet gives one line without a player); with
    ``player_id``, every campaign of the partner that grants the player free rounds (named, or open to all)."""
    campaigns = campaigns_for_partner(partner=partner).order_by("created_at", "pk")
    if ext_cid:
        campaigns = campaigns.filter(ext_client__ext_cid=ext_cid)
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign.pk)
    lines: list[FreeRoundsLine] = []
    for c in campaigns[:200]:
        progress = {p.player_id: p for p in FreeRoundsProgress.objects.filter(campaign=c)}
        if player_id is not None:
            if c.user_ids and player_id not in c.user_ids and player_id not in progress:
                continue
            lines.append(_line(c, player_id, progress.get(player_id)))
            continue
        players = list(dict.fromkeys([*(c.user_ids or []), *sorted(progress)]))
        if not players:
            lines.append(_line(c, None, None))
        lines.extend(_line(c, pid, progress.get(pid)) for pid in players)
    return lines


def free_rounds_left_for_session(session: GameSession) -> dict | None:
    """What the game page shows: the campaign this session plays now and its rounds left, or ``None``."""
    from . import services

    campaign = services.campaign_for(session)
    if campaign is None:
        return None
    progress = FreeRoundsProgress.objects.filter(Q(campaign=campaign) & Q(player_id=session.player_id)).first()
    used = progress.rounds_used if progress else 0
    return {
        "id": str(campaign.pk),
        "extID": campaign.ext_id,
        "granted": campaign.quantity,
        "used": used,
        "remaining": max(0, campaign.quantity - used),
        "betAmount": str(campaign.bet_amount),
    }
