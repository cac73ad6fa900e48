"""The partner portal's magic links. Only a SHA-256 of the token is stored: the link is shown once."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PortalLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the token.")
    label = models.CharField(max_length=200, blank=True, help_text="Who it is for (e.g. the partner's developer).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "portal link"

    def __str__(self) -> str:
        return f"portal link {str(self.pk)[:8]} ({self.label or self.partner_id})"
