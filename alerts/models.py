"""Incidents: one row per open incident (a unique constraint), notified once when it opens and once when it
resolves: one ``Notification`` row (and one Celery task) per email and per webhook call. Written only by
``alerts.services``."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class IncidentKind(models.TextChoices):
    BREAKER_OPEN = "breaker_open", "Circuit breaker open"
    DELIVERY_STUCK = "delivery_stuck", "Stuck deliveries"
    CERTIFICATION_FAILED = "certification_failed", "Certification failed"
    CONTRACT_DRIFT = "contract_drift", "Wallet answers break the contract"


class Incident(models.Model):
    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(max_length=32, choices=IncidentKind.choices)
    key = models.CharField(max_length=100, blank=True, help_text="What within the kind (a certification run id).")
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=500, blank=True)
    opened_notified_at = models.DateTimeField(null=True, blank=True)
    resolved_notified_at = models.DateTimeField(null=True, blank=True)
    webhook_result = models.CharField(max_length=300, blank=True, help_text="The alert webhook's last answer.")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind", "key"], condition=Q(resolved_at__isnull=True), name="incident_one_open"
            ),
        ]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "open"
        return f"{self.get_kind_display()} ({state})"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class Notification(models.Model):
    """One email or one webhook call for one event of an incident: its own Celery task
    (``alerts.send_notification``), sent at most once (the task claims the row with a conditional UPDATE before it
    sends, so a redelivered or retried message sends nothing)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="X-Hub-Delivery.")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=16, help_text="opened | resolved")
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(default=timezone.now, help_text="Last handed to Celery.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="A worker took it: never sent again.")
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "event", "channel"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["published_at"], condition=Q(claimed_at__isnull=True), name="notification_unclaimed")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} ({'sent' if self.finished_at else 'pending'})"
