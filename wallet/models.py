"""The ledger: game sessions, rounds, money transactions and delivery attempts.

Nothing here is protocol-specific beyond the ``protocol`` tag that selects the
transport. Uniqueness is enforced by database constraints.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q

MONEY: dict[str, Any] = {"max_digits": 24, "decimal_places": 8}


class Protocol(models.TextChoices):
    IGSP = "igsp", "IGSP"
    PUBLIC_API = "public_api", "Public API"


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class GameSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="Our session id (gsID).")
    partner = models.ForeignKey(
        "tenants.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="game_sessions",
        help_text="Empty for public demo sessions.",
    )
    ext_client = models.ForeignKey(
        "tenants.ExtClient", null=True, blank=True, on_delete=models.PROTECT, related_name="game_sessions"
    )
    protocol = models.CharField(max_length=20, choices=Protocol.choices)
    game = models.ForeignKey("catalog.Game", on_delete=models.PROTECT, related_name="sessions")
    player_id = models.CharField(max_length=200)
    player_name = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=10)
    partner_session_ref = models.CharField(
        max_length=200, blank=True, help_text="The partner's session_id / sessionID, echoed in wallet calls."
    )
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the session key.")
    device = models.CharField(max_length=20, default="mobile")
    language = models.CharField(max_length=20, default="en")
    return_url = models.CharField(max_length=1000, blank=True)
    deposit_url = models.CharField(max_length=1000, blank=True)
    is_demo = models.BooleanField(default=False)
    demo_balance = models.DecimalField(**MONEY, null=True, blank=True)
    last_balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Last balance the partner reported.")
    last_balance_at = models.DateTimeField(
        null=True, blank=True, help_text="When last_balance was reported: an older balance hook does not overwrite it."
    )
    balance_mismatch = models.BooleanField(default=False, help_text="A partner hook disagreed with our ledger.")
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    settings_snapshot = models.JSONField(default=dict, blank=True, help_text="Bet limits etc. fixed at creation.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # IGSP: a duplicate session_id answers 409. The Public API may open several games on one
            # partner sessionID (it is only echoed back in reverse calls), so it is not unique there.
            models.UniqueConstraint(
                fields=["partner", "partner_session_ref"],
                condition=~Q(partner_session_ref="") & Q(is_demo=False, protocol="igsp"),
                name="session_unique_igsp_partner_ref",
            ),
            models.CheckConstraint(
                condition=Q(demo_balance__gte=0) | Q(demo_balance__isnull=True),
                name="session_demo_balance_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "player_id"]),
            models.Index(fields=["partner", "partner_session_ref"]),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.player_id})"


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    SETTLED = "settled", "Settled"
    CANCELLED = "cancelled", "Cancelled"


class Round(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="roundID")
    session = models.ForeignKey(GameSession, on_delete=models.PROTECT, related_name="rounds")
    partner = models.ForeignKey(
        "tenants.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="rounds"
    )
    status = models.CharField(max_length=20, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    free_rounds_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)


class TxKind(models.TextChoices):
    BET = "bet", "Bet"
    WIN = "win", "Win"
    REFUND = "refund", "Refund"


class TxStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # bet: in flight; win/refund: in the outbox, to deliver
    CONFIRMED = "confirmed", "Confirmed"  # the partner answered 200 (or demo money moved)
    DECLINED = "declined", "Declined"  # bet refused (or failed: then a refund exists)
    RESOLVED = "resolved", "Resolved manually"


class Transaction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="txID / transaction_id")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="transactions")
    session = models.ForeignKey(GameSession, on_delete=models.PROTECT, related_name="transactions")
    # No index of its own: (partner, created_at) and the other partner-led indexes serve every look-up by
    # partner, and each index is one more entry every ledger write makes (wallet/migrations/0012_…).
    partner = models.ForeignKey(
        "tenants.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
    )
    kind = models.CharField(max_length=10, choices=TxKind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=10)
    tx_type = models.CharField(
        max_length=20, default="regular", help_text="regular/free (Public API); bet/tip/freespin, win/jackpot/… (IGSP)."
    )
    free_rounds_id = models.CharField(max_length=200, blank=True)
    # No database foreign key into the ledger: PostgreSQL cannot reference a partitioned table without its
    # partition key (wallet/migrations/0007_partition_ledger.py); ledger rows are never deleted.
    refunds = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # indexed where set only (tx_refunds_idx): a bet or a win never names one
        related_name="refunded_by",
        help_text="For refunds: the bet it reverses.",
    )
    status = models.CharField(max_length=20, choices=TxStatus.choices, default=TxStatus.PENDING, db_index=True)
    finished = models.BooleanField(default=False, help_text="Closes the round (IGSP `finished`).")
    partner_tx_id = models.CharField(max_length=200, blank=True)
    partner_balance = models.DecimalField(**MONEY, null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    stuck = models.BooleanField(default=False, help_text="Undelivered for longer than HUB_STUCK_AFTER.")
    resolution_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="tx_amount_non_negative"),
            # One bet and at most one win per round: a bet cashes out once.
            models.UniqueConstraint(
                fields=["round", "kind"], condition=Q(kind__in=["bet", "win"]), name="tx_one_bet_one_win_per_round"
            ),
            # A bet is refunded at most once.
            models.UniqueConstraint(fields=["refunds"], condition=Q(kind="refund"), name="tx_one_refund_per_bet"),
            models.CheckConstraint(
                condition=~Q(kind="refund") | Q(refunds__isnull=False), name="tx_refund_names_its_bet"
            ),
        ]
        indexes = [
            models.Index(fields=["refunds"], name="tx_refunds_idx", condition=Q(refunds__isnull=False)),
            models.Index(fields=["status", "next_attempt_at"], name="tx_due_idx", condition=Q(status="pending")),
            models.Index(fields=["partner", "created_at"]),
            # The admin's list filtered by partner and status, newest first (a rare status on a big ledger).
            models.Index(fields=["partner", "status", "created_at"], name="tx_partner_status_created_idx"),
            models.Index(fields=["partner", "confirmed_at"]),
            # The transaction look-ups and the portal's search by the partner's own transaction id.
            models.Index(fields=["partner", "partner_tx_id"], name="tx_partner_txid_idx"),
            # The per-partner in-flight count reads only leased rows.
            models.Index(
                fields=["partner", "lease_until"],
                name="tx_inflight_idx",
                condition=Q(status="pending", lease_until__isnull=False),
            ),
            # The partner pump claims its due rows in next_attempt_at order.
            models.Index(
                fields=["partner", "next_attempt_at"],
                name="tx_partner_due_idx",
                condition=Q(status="pending", kind__in=["win", "refund"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.status})"


class AttemptOutcome(models.TextChoices):
    OK = "ok", "OK"
    DECLINED = "declined", "Declined"
    FAILED = "failed", "Failed"


class DeliveryAttempt(models.Model):
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="delivery_attempts", db_constraint=False
    )
    partner = models.ForeignKey(
        "tenants.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    error = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    response = models.JSONField(null=True, blank=True, help_text="The partner's error body (message, code, action).")
    request = models.JSONField(
        null=True, blank=True, help_text="What was sent (method, URL, payload; redacted, bounded; never a signature)."
    )
    response_body = models.JSONField(
        null=True, blank=True, help_text="The partner's whole answer, success or not (redacted, bounded)."
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["partner", "started_at"], name="attempt_partner_started_idx")]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.outcome} {self.http_status}"


class WalletCallKind(models.TextChoices):
    BET = "bet", "Bet"
    BALANCE = "balance", "Balance"


class WalletCall(models.Model):
    """A synchronous call to a partner's wallet (bet, balance) for the delivery log; wins and refunds are
    ``DeliveryAttempt`` rows. Written by ``wallet.calllog`` after the call, never inside the money's transaction."""

    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="wallet_calls")
    session = models.ForeignKey(GameSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    transaction = models.ForeignKey(  # no database constraint: the ledger is partitioned on PostgreSQL
        Transaction, null=True, blank=True, on_delete=models.CASCADE, related_name="wallet_calls", db_constraint=False
    )
    kind = models.CharField(max_length=10, choices=WalletCallKind.choices)
    player_id = models.CharField(max_length=200, blank=True)
    round_id = models.UUIDField(null=True, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    error = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    request = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["partner", "started_at"], name="walletcall_partner_started_idx"),
            models.Index(fields=["partner", "player_id"], name="walletcall_partner_player_idx"),
            # The portal's search by round.
            models.Index(
                fields=["partner", "round_id"], name="walletcall_partner_round_idx", condition=Q(round_id__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome} {self.http_status}"


class PartnerDeliveryState(models.Model):
    """Circuit breaker per partner: after repeated failures, pause, then probe."""

    partner = models.OneToOneField("tenants.Partner", on_delete=models.CASCADE, related_name="delivery_state")
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveIntegerField(default=0)
    # The partner's delivery pump: at most one batch task per partner is queued or running. Whoever
    # sets pump_until (with a fresh token) enqueues the task; a task whose token no longer matches exits.
    pump_until = models.DateTimeField(null=True, blank=True)
    pump_token = models.UUIDField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"delivery state of partner {self.partner_id}"


class InboundHook(models.Model):
    """A wallet event the partner sent us (IGSP POST /hooks): idempotent per (partner, transaction_id)."""

    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="inbound_hooks")
    transaction_id = models.CharField(max_length=200)
    action = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    response = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(default=200)
    session = models.ForeignKey(GameSession, null=True, blank=True, on_delete=models.SET_NULL)
    mismatch = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "transaction_id"], name="inbound_hook_unique_tx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.transaction_id}"


class MetricTally(models.Model):
    """Running totals behind /metrics (wallet/tallies.py): written by database triggers in the same
    transaction as each ledger change and delivery attempt, never by the application.

    Append-only deltas (no unique key, so no row two writers wait for), folded into one row per series
    by ``tallies.fold``. ``metric`` is ``tx`` (``kind``, ``status``: +1/-1 as a row enters or leaves a
    status; demo sessions' rows are not counted) or ``attempt`` (``outcome``, ``kind``, ``le``: the
    smallest histogram bucket that holds the attempt; ``ms`` its duration)."""

    metric = models.CharField(max_length=10)
    kind = models.CharField(max_length=10)
    status = models.CharField(max_length=10, blank=True)
    outcome = models.CharField(max_length=10, blank=True)
    le = models.CharField(max_length=8, blank=True)
    n = models.BigIntegerField()
    ms = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        labels = ", ".join(v for v in (self.kind, self.status, self.outcome, self.le) if v)
        return f"{self.metric} ({labels}): {self.n}"
