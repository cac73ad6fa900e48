"""The catalog: our provider record, its games and their free-rounds bet lines.

A lower layer than the ledger: a wallet ``GameSession`` and a free-rounds campaign point down at a ``Game``;
nothing here imports another app. The tables keep the names they had in the ``games`` app (``db_table``).
"""

from __future__ import annotations

import uuid

from django.db import models

from core.money import Digits


class Provider(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    currencies = models.JSONField(default=list, blank=True)
    restricted_countries = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(default=18)
    min_kyc_level = models.CharField(max_length=32, default="basic")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        db_table = "games_provider"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GameStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    PENDING = "pending", "Pending"
    DEPRECATED = "deprecated", "Deprecated"


class Game(models.Model):
    PREDICTION_MARKETS = "prediction-markets"
    TRADERHERO_JACKPOT = "traderhero-jackpot"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="games")
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    rtp = models.DecimalField(max_digits=5, decimal_places=4, help_text="Return to player, e.g. 0.9500.")
    status = models.CharField(max_length=20, choices=GameStatus.choices, default=GameStatus.ACTIVE)
    categories = models.JSONField(default=list, blank=True)
    currencies = models.JSONField(default=list, blank=True)
    locales = models.JSONField(default=list, blank=True)
    platforms = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=dict, blank=True)
    has_free_spins = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "games_game"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Amounts: Decimal with up to 8 places (crypto units).
MONEY: Digits = {"max_digits": 20, "decimal_places": 8}


class BetLine(models.Model):
    """One free-rounds bet line of a game in a currency (Public API ``betLines``; 1-based)."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="bet_lines")
    currency = models.CharField(max_length=12)
    position = models.PositiveSmallIntegerField(help_text="1-based bet line number.")
    max_bet = models.DecimalField(**MONEY)
    max_multiplier = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        db_table = "games_betline"
        ordering = ["game", "currency", "position"]
        constraints = [
            models.UniqueConstraint(fields=["game", "currency", "position"], name="games_betline_unique_position"),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="games_betline_position_gte_1"),
            models.CheckConstraint(condition=models.Q(max_bet__gt=0), name="games_betline_max_bet_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.game.slug} {self.currency} #{self.position}: {self.max_bet} × {self.max_multiplier}"
