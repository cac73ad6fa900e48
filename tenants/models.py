"""Tenants: partners (casino platforms), their ExtCIDs and their credentials.

Models hold data and constraints only; every write goes through
``tenants.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .validators import (
    validate_cidr_list,
    validate_currency_list,
    validate_origin_list,
    validate_partner_url,
    validate_test_player_list,
)


class PartnerStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Partner(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="The Public API cID.")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    status = models.CharField(max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.ONBOARDING)
    igsp_enabled = models.BooleanField("IGSP enabled", default=False)
    public_api_enabled = models.BooleanField("Public API enabled", default=False)
    default_currency = models.CharField(max_length=10, default="USD")
    allowed_currencies = models.JSONField(
        default=list, blank=True, validators=[validate_currency_list], help_text="Currency codes; empty = default only."
    )
    igsp_hooks_url = models.CharField("IGSP hooks URL", max_length=500, blank=True, validators=[validate_partner_url])
    ip_allowlist = models.JSONField(
        "inbound IP allowlist",
        default=list,
        blank=True,
        validators=[validate_cidr_list],
        help_text="CIDRs allowed to call our APIs; empty = any address.",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_partners"
    )
    max_in_flight = models.PositiveSmallIntegerField(
        "concurrent payout calls",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(256)],
        help_text="Wins and refunds the hub sends this partner's wallet at once; empty = the hub's default "
        "(HUB_PARTNER_MAX_IN_FLIGHT, 32).",
    )
    max_bets_in_flight = models.PositiveSmallIntegerField(
        "concurrent bet calls",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(256)],
        help_text="Protects this partner's own wallet: bets the hub sends it at once, across every node; one "
        "more is refused at once (503, retry). Empty = no cap beyond each web process's thread guard.",
    )
    frame_origins = models.JSONField(
        "game page embedding origins",
        default=list,
        blank=True,
        validators=[validate_origin_list],
        help_text="Origins (https://casino.example) whose pages may embed the game page in an iframe and receive "
        "its events; empty = only the hub's own pages (the demo lobby).",
    )
    alert_webhook_url = models.CharField(
        "alert webhook URL",
        max_length=500,
        blank=True,
        validators=[validate_partner_url],
        help_text="Optional: the hub POSTs incidents (breaker open, stuck deliveries, failed certification) and "
        "their resolution here, signed with its own alert webhook secret (issued when the URL is set, shown once; "
        "rotate it like any key). Empty = the account manager's email only.",
    )
    certification_test_players = models.JSONField(
        "certification test players",
        default=list,
        blank=True,
        validators=[validate_test_player_list],
        help_text="The partner's test accounts: IGSP player ids and Public API sessionIDs. Once the partner is live, "
        "certification runs it starts through the API may only target these (a run bets, wins and restores the "
        "balance at the partner's wallet, outside the hub's ledger). Runs started here are not limited.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_credentials", "Can issue, rotate and revoke partner keys"),
            ("change_partner_status", "Can suspend and activate partners"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def currencies(self) -> list[str]:
        codes = [self.default_currency, *(self.allowed_currencies or [])]
        return list(dict.fromkeys(codes))

    @property
    def is_blocked(self) -> bool:
        return self.status == PartnerStatus.SUSPENDED


class ExtClient(models.Model):
    """An ExtCID: one client (casino, brand) of a Public API partner."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="ext_clients")
    ext_cid = models.CharField("ExtCID", max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    base_url = models.CharField(
        "base URL", max_length=500, validators=[validate_partner_url], help_text="Reverse calls go to this URL."
    )
    is_active = models.BooleanField(default=True)
    currencies = models.JSONField(default=list, blank=True, validators=[validate_currency_list])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ext_cid"]
        verbose_name = "ExtCID"
        verbose_name_plural = "ExtCIDs"

    def __str__(self) -> str:
        return self.ext_cid


class CredentialPurpose(models.TextChoices):
    IGSP = "igsp", "IGSP key pair"
    CORE_API = "core_api", "Core API key"
    INTEGRATION_API = "integration_api", "Integration API key"
    ALERT_WEBHOOK = "alert_webhook", "Alert webhook secret"


class CredentialState(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRING = "retiring", "Retiring"
    REVOKED = "revoked", "Revoked"


class Credential(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="credentials")
    purpose = models.CharField(max_length=20, choices=CredentialPurpose.choices)
    public_id = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    secret_encrypted = models.TextField(editable=False)
    fingerprint = models.CharField(max_length=32, editable=False, help_text="Short SHA-256 of the secret.")
    state = models.CharField(max_length=20, choices=CredentialState.choices, default=CredentialState.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When a retiring key stops verifying.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "purpose", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="retiring") | Q(expires_at__isnull=False),
                name="credential_retiring_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        label = self.public_id or f"…{self.fingerprint[:8]}"
        return f"{self.get_purpose_display()} {label} ({self.state})"


class FormSubmission(models.Model):
    """A secret-issuing admin form, accepted once: refreshing the page that shows the keys re-posts the
    form, and must not onboard the partner again or issue another key (the token is unique)."""

    token = models.CharField(max_length=64, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"form submission {self.created_at:%Y-%m-%d %H:%M:%S}"


class AuditLog(models.Model):
    """Who changed what, when. Never holds a secret."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, help_text="The user, or the script/API that acted.")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )


class SeenSignature(models.Model):
    """A signed request already accepted (``integration_hub.replay``): the embedded default's replay store,
    shared by every web process through the database. Holds a digest, never the signature; rows are purged
    once they expire (twice the clock-skew window after their first use)."""

    digest = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"seen signature {self.digest[:12]}… until {self.expires_at:%Y-%m-%d %H:%M:%S}"
