"""Incidents: one row per open incident (a unique constraint), notified once when it opens and once when it
resolves. Written only by ``alerts.services``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class IncidentKind(models.TextChoices):
    BREAKER_OPEN = "breaker_open", "Circuit breaker open"
    DELIVERY_STUCK = "delivery_stuck", "Stuck deliveries"
    CERTIFICATION_FAILED = "certification_failed", "Certification failed"


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
