"""Builders for games tests (plain functions; no factory library needed)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from games.markets import lifecycle, trading
from games.models import Market


def make_market(*, b="100", q_yes="0", q_no="0", days: int = 30, title: str = "Will it rain tomorrow?") -> Market:
    return lifecycle.market_create(
        title=title,
        b=Decimal(b),
        q_yes=Decimal(q_yes),
        q_no=Decimal(q_no),
        close_at=timezone.now() + timedelta(days=days),
        actor="test",
    )


def open_position(
    market: Market,
    *,
    outcome: str = "YES",
    stake="10.00",
    currency: str = "USD",
    session_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    demo: bool = False,
):
    return trading.position_open(
        market_id=market.pk,
        session_id=session_id or uuid.uuid4(),
        round_id=round_id or uuid.uuid4(),
        outcome=outcome,
        stake=Decimal(stake),
        currency=currency,
        demo=demo,
        actor="test",
    )
