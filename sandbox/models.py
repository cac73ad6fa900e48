"""The sandbox partner's own state: a reference casino-platform wallet.

It never reads the hub's tables; it holds the credentials a real partner would
hold. Models carry data and constraints only; every write goes through
``sandbox.services``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q

from core.money import Digits

MONEY: Digits = {"max_digits": 20, "decimal_places": 8}


class Protocol(models.TextChoices):
    IGSP = "igsp", "IGSP"
    PUBLIC = "public", "Public API"


class Action(models.TextChoices):
    BET = "bet", "Bet"
    WIN = "win", "Win"
    REFUND = "refund", "Refund"


class TxStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    # A refund that moved nothing: its bet was never seen, rejected, free, or already refunded.
    REFUND_WITHOUT_BET = "refund_without_bet", "Refund without bet"
    # Insufficient funds, or a bet whose id was refunded before it arrived.
    REJECTED = "rejected", "Rejected"


class SandboxTenant(models.Model):
    """A partner on the sandbox with the credentials the hub issued to it (plaintext: a test double)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    igsp_api_key = models.CharField("IGSP API key (public id)", max_length=200, blank=True)
    igsp_secret = models.CharField("IGSP secret", max_length=500, blank=True)
    integration_api_key = models.CharField("Integration API key", max_length=500, blank=True)
    # Older credentials that still verify (key rotation on the hub): [{"api_key", "secret"}] / ["key"].
    igsp_previous_credentials = models.JSONField(default=list, blank=True)
    integration_previous_keys = models.JSONField(default=list, blank=True)
    default_balance = models.DecimalField(**MONEY, default=Decimal("1000.00"))
    default_currency = models.CharField(max_length=12, default="USD")
    # Per-currency decimal places overriding the defaults (2 for fiat, see sandbox.money).
    currency_precision = models.JSONField(default=dict, blank=True)
    # Unknown Public API sessionID / IGSP player: 404 session_not_found instead of auto-creating.
    strict_sessions = models.BooleanField(default=False)
    # {"balance"|"bet"|"win"|"refund": {error_rate, stall_rate, stall_seconds, stall_mode,
    #  drop_rate, drop_mode, latency_ms, decline_code}} — see sandbox.faults.
    faults = models.JSONField(default=dict, blank=True)
    fault_seed = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class SandboxAccount(models.Model):
    tenant = models.ForeignKey(SandboxTenant, on_delete=models.CASCADE, related_name="accounts")
    player_id = models.CharField(max_length=255)
    currency = models.CharField(max_length=12)
    balance = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "player_id", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "player_id", "currency"], name="sandbox_account_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="sandbox_account_balance_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}:{self.player_id}:{self.currency}"


class SandboxSession(models.Model):
    """A Public API session the partner created (its sessionID) → player and currency."""

    tenant = models.ForeignKey(SandboxTenant, on_delete=models.CASCADE, related_name="sessions")
    session_id = models.CharField(max_length=255)
    player_id = models.CharField(max_length=255)
    currency = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "session_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "session_id"], name="sandbox_session_unique"),
        ]

    def __str__(self) -> str:
        return self.session_id


class SandboxTransaction(models.Model):
    """One wallet action received from the hub, keyed by the hub's transaction id.

    ``moved`` says the real balance changed (``delta`` is the signed change);
    ``response_status``/``response_body`` are replayed byte for byte.
    """

    tenant = models.ForeignKey(SandboxTenant, on_delete=models.CASCADE, related_name="transactions")
    protocol = models.CharField(max_length=10, choices=Protocol.choices)
    tx_id = models.CharField(max_length=255)
    action = models.CharField(max_length=10, choices=Action.choices)
    kind = models.CharField("protocol type", max_length=20, blank=True)
    amount = models.DecimalField(**MONEY, default=Decimal("0"))
    delta = models.DecimalField(**MONEY, default=Decimal("0"))
    moved = models.BooleanField(default=False)
    free = models.BooleanField(default=False)
    player_id = models.CharField(max_length=255)
    currency = models.CharField(max_length=12)
    session_id = models.CharField(max_length=255, blank=True)
    game_id = models.CharField(max_length=255, blank=True)
    round_id = models.CharField(max_length=255, blank=True)
    fr_id = models.CharField(max_length=255, blank=True)
    ref_tx_id = models.CharField(max_length=255, blank=True)
    refunded_by = models.CharField(max_length=255, blank=True)
    partner_tx_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=TxStatus.choices)
    note = models.CharField(max_length=50, blank=True)
    balance_after = models.DecimalField(**MONEY, null=True, blank=True)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    replays = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tx_id"], name="sandbox_tx_unique"),
            # A bet is credited back at most once, whatever the refund's own id.
            models.UniqueConstraint(
                fields=["tenant", "ref_tx_id"],
                condition=Q(action="refund", moved=True),
                name="sandbox_tx_one_refund_per_bet",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "player_id", "currency"], name="sandbox_tx_player_idx")]

    def __str__(self) -> str:
        return f"{self.action}:{self.tx_id}"


class SandboxFaultCounter(models.Model):
    """Draw counter per tenant and action: with a fault seed, the n-th draw is deterministic."""

    tenant = models.ForeignKey(SandboxTenant, on_delete=models.CASCADE, related_name="fault_counters")
    action = models.CharField(max_length=10)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "action"], name="sandbox_fault_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.action} draws: {self.count}"
