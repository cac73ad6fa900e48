"""Incidents in the admin, read-only, scoped to the partners the user may see."""

from __future__ import annotations

from django.contrib import admin

from tenants.selectors import partners_visible_to

from .models import Incident, Notification


class NotificationInline(admin.TabularInline):
    """Each email and webhook call of the incident: when it was taken by a worker, and how it went."""

    model = Notification
    fields = ("event", "channel", "created_at", "claimed_at", "finished_at", "result")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    inlines = [NotificationInline]
    list_display = ("opened_at", "partner", "kind", "summary", "resolved_at", "webhook_result")
    list_filter = ("kind", "resolved_at")
    list_select_related = ("partner",)
    readonly_fields = [f.name for f in Incident._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(partner__in=partners_visible_to(request.user).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
