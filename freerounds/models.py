"""Free-rounds campaigns (Public API) and each player's progress through one."""

from __future__ import annotations

import uuid

from django.db import models

from core.money import Digits

MONEY: Digits = {"max_digits": 24, "decimal_places": 8}


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


class FreeRoundsCampaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="free_rounds")
    ext_client = models.ForeignKey("tenants.ExtClient", on_delete=models.CASCADE, related_name="free_rounds")
    ext_id = models.CharField("extID", max_length=200)
    game_ids = models.JSONField(default=list, blank=True, help_text="Game ids (UUIDs); empty = any game.")
    user_ids = models.JSONField(default=list, blank=True, help_text="Player ids; empty = every player.")
    currency = models.CharField(max_length=10)
    quantity = models.PositiveSmallIntegerField()
    bet_line = models.PositiveSmallIntegerField()
    bet_amount = models.DecimalField(**MONEY, help_text="The line's max bet: the stake of each free round.")
    max_multiplier = models.DecimalField(max_digits=12, decimal_places=4)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["partner", "ext_id"], name="free_rounds_unique_ext_id")]

    def __str__(self) -> str:
        return self.ext_id


class ProgressStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    FINISHED = "finished", "Finished (bonus sent)"


class FreeRoundsProgress(models.Model):
    campaign = models.ForeignKey(FreeRoundsCampaign, on_delete=models.CASCADE, related_name="progress")
    player_id = models.CharField(max_length=200)
    game = models.ForeignKey("catalog.Game", on_delete=models.PROTECT, help_text="Locked to the game it started in.")
    rounds_used = models.PositiveSmallIntegerField(default=0)
    total_win = models.DecimalField(**MONEY, default=0)
    status = models.CharField(max_length=20, choices=ProgressStatus.choices, default=ProgressStatus.IN_PROGRESS)
    bonus_transaction = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "player_id"], name="free_rounds_one_per_player")]

    def __str__(self) -> str:
        return f"{self.player_id} in campaign {self.campaign_id}"
