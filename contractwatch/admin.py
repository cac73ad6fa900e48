"""The contract watch's counters in the admin, read-only, scoped to the partners the user may see: the field, the
contract's rule, how many answers broke it, when last, and the last such answer (redacted as the delivery log)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from tenants.selectors import partners_visible_to

from .models import ContractViolation


@admin.register(ContractViolation)
class ContractViolationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("last_seen_at", "partner", "protocol", "call_kind", "field", "expected", "count", "example_status")
    list_filter = ("protocol", "call_kind", "rule")
    list_select_related = ("partner",)
    search_fields = ("field",)
    fields = (
        "partner",
        "protocol",
        "call_kind",
        "field",
        "rule",
        "expected",
        "contract",
        "count",
        "first_seen_at",
        "last_seen_at",
        "example_status",
        "example_answer",
    )
    readonly_fields = fields

    @admin.display(description="Example answer (the last, redacted)")
    def example_answer(self, obj: ContractViolation) -> str:
        if obj.example is None:
            return "(no answer body)"
        return format_html("<pre>{}</pre>", json.dumps(obj.example, indent=2))

    def get_queryset(self, request):
        return super().get_queryset(request).filter(partner__in=partners_visible_to(request.user).values("pk"))
