"""The audit log admin: read-only, each entry of the partners the user manages (superusers: all)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from tenants.models import AuditLog

from .base import PartnerScopedAdminMixin


@admin.register(AuditLog)
class AuditLogAdmin(PartnerScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "partner", "object_type", "object_id", "changes_summary")
    list_filter = ("action", ("partner", admin.RelatedOnlyFieldListFilter), "object_type")
    list_select_related = ("partner",)
    search_fields = ("actor_label", "action", "object_id", "partner__name", "partner__slug")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "actor_label", "action", "partner", "object_type", "object_id", "changes_pretty")
    readonly_fields = fields
    actions = None

    @admin.display(description="changes")
    def changes_summary(self, obj: AuditLog) -> str:
        text = json.dumps(obj.changes, sort_keys=True, default=str)
        return text if len(text) <= 160 else text[:157] + "…"

    @admin.display(description="changes")
    def changes_pretty(self, obj: AuditLog):
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, sort_keys=True, indent=2, default=str))
