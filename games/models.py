"""The games' own records: prediction markets (books, positions, events, cash-out days) and TraderHero rounds.

The catalog (provider, games, bet lines) is the ``catalog`` app's."""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from catalog.models import MONEY
from core.money import Digits

# Amounts as the catalog stores them (up to 8 places, crypto units); shares and LMSR state with 6.
SHARES: Digits = {"max_digits": 24, "decimal_places": 6}


# --------------------------------------------------------- prediction markets --


class Outcome(models.TextChoices):
    YES = "YES", "Yes"
    NO = "NO", "No"


class MarketStatus(models.TextChoices):
    OPEN = "open", "Open"
    SUSPENDED = "suspended", "Suspended"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"
    VOIDED = "voided", "Voided"


class Market(models.Model):
    """A two-outcome market priced by LMSR (``games/markets/lmsr.py``) with liquidity ``b``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=MarketStatus.choices, default=MarketStatus.OPEN, db_index=True)
    b = models.DecimalField(**SHARES, help_text="LMSR liquidity: larger = prices move less per share.")
    q_yes = models.DecimalField(**SHARES, default=0, help_text="Opening YES shares: where each currency's book starts.")
    q_no = models.DecimalField(**SHARES, default=0, help_text="Opening NO shares: where each currency's book starts.")
    close_at = models.DateTimeField(help_text="No bets or cash-outs from this time on.")
    outcome = models.CharField(max_length=3, choices=Outcome.choices, null=True, blank=True)  # noqa: DJ001 - NULL until resolved
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["close_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(b__gt=0), name="games_market_b_gt_0"),
            models.CheckConstraint(condition=models.Q(q_yes__gte=0, q_no__gte=0), name="games_market_q_gte_0"),
        ]

    def __str__(self) -> str:
        return self.title


class MarketBook(models.Model):
    """One currency's LMSR book in a market (outstanding shares per outcome), real or demo.

    Stakes in different currencies never price each other: 500 units of a currency worth a
    thousandth of a dollar must not move the price a dollar player pays. Demo play (free, open to
    anyone) trades against its own books: play money must never move the price real money pays.
    A book starts at the market's opening ``q`` on its first bet; it is written only under the
    market's row lock.
    """

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="books")
    currency = models.CharField(max_length=12)
    demo = models.BooleanField(default=False, help_text="The book demo sessions trade against (play money).")
    q_yes = models.DecimalField(**SHARES, default=0, help_text="Outstanding YES shares in this currency.")
    q_no = models.DecimalField(**SHARES, default=0, help_text="Outstanding NO shares in this currency.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["market", "demo", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["market", "currency", "demo"], name="games_marketbook_unique_book"),
            models.CheckConstraint(condition=models.Q(q_yes__gte=0, q_no__gte=0), name="games_marketbook_q_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.currency}{' (demo)' if self.demo else ''}"


class PositionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CASHED_OUT = "cashed_out", "Cashed out"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    REFUNDED = "refunded", "Refunded"


class Position(models.Model):
    """A player's bet on a market. ``id`` is the betId; ``round_id`` the wallet Round."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="positions")
    session_id = models.UUIDField(db_index=True, help_text="The wallet GameSession id (no FK across apps).")
    round_id = models.UUIDField(unique=True, help_text="The wallet Round id.")
    outcome = models.CharField(max_length=3, choices=Outcome.choices)
    stake = models.DecimalField(**MONEY)
    shares = models.DecimalField(**SHARES)
    currency = models.CharField(max_length=12)
    demo = models.BooleanField(default=False, help_text="Opened by a demo session: play money, on the demo book.")
    status = models.CharField(max_length=20, choices=PositionStatus.choices, default=PositionStatus.OPEN)
    cash_out_value = models.DecimalField(**MONEY, null=True, blank=True)
    payout = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="What the settlement pays (win, refund, cash-out; 0 when lost)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["market", "status"], name="games_pos_market_status"),
            models.Index(fields=["session_id", "status", "settled_at"], name="games_pos_session_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(stake__gt=0, shares__gt=0), name="games_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.shares} @ {self.market_id} ({self.status})"


class MarketEvent(models.Model):
    """Audit trail of every market operation (bets, sells, status changes)."""

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=32)
    actor = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor or '-'}"


# ---------------------------------------------------------- TraderHero jackpot --


class Direction(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class JackpotRoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    SETTLED = "settled", "Settled"
    REFUNDED = "refunded", "Refunded"


class JackpotRound(models.Model):
    """One TraderHero round (provably fair, see ``games/traderhero/fairness.py``). ``id`` is the betId."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session_id = models.UUIDField(db_index=True, help_text="The wallet GameSession id (no FK across apps).")
    round_id = models.UUIDField(unique=True, help_text="The wallet Round id.")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    stake = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=12)
    rtp = models.DecimalField(max_digits=5, decimal_places=4, help_text="Target RTP of the table used.")
    server_seed = models.CharField(max_length=64, help_text="Secret until the round is settled.")
    server_seed_hash = models.CharField(max_length=64)
    client_seed = models.CharField(max_length=64)
    nonce = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=JackpotRoundStatus.choices, default=JackpotRoundStatus.OPEN)
    tier = models.CharField(max_length=16, blank=True)
    multiplier = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    payout = models.DecimalField(**MONEY, null=True, blank=True)
    path = models.JSONField(null=True, blank=True)
    settle_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "settle_at"], name="games_jackpot_due")]
        constraints = [models.CheckConstraint(condition=models.Q(stake__gt=0), name="games_jackpot_stake_gt_0")]

    def __str__(self) -> str:
        return f"{self.direction} {self.stake} {self.currency} ({self.status})"


class CashOutDay(models.Model):
    """Cash-outs a player made on one UTC day, for ``HUB_CASHOUT_LIMIT_PER_DAY``.

    ``player_key`` is ``<partner id>:<player id>`` for real money; demo play counts apart, never against a
    real player: ``demo:<partner id>:<player id>``, or ``session:<id>`` for a partner-less demo session.
    The count is taken with one conditional UPDATE in the cash-out's transaction, so two cash-outs at
    once cannot both take the last slot, and a cash-out that fails gives it back.
    """

    player_key = models.CharField(max_length=300)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player_key", "day"], name="games_cashoutday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.player_key} {self.day}: {self.count}"
