"""Delivery attempts in the admin (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from wallet.models import DeliveryAttempt, TxKind

from .base import LedgerAdmin, PartnerFilter


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(LedgerAdmin):
    list_display = (
        "started_at",
        "transaction_link",
        "partner",
        "kind",
        "outcome",
        "http_status",
        "duration_ms",
        "error_code",
        "error",
    )
    list_filter = (PartnerFilter, "outcome", "transaction__kind", "started_at")
    list_select_related = ("partner",)
    search_fields = ("transaction__id__exact", "^transaction__session__player_id", "=error_code")
    fields = (
        "transaction",
        "partner",
        "started_at",
        "duration_ms",
        "outcome",
        "http_status",
        "error_code",
        "error",
        "response",
        "request",
        "response_body",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(tx_kind=F("transaction__kind"))

    @admin.display(description="transaction", ordering="transaction")
    def transaction_link(self, obj: DeliveryAttempt) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:wallet_transaction_change", args=[obj.transaction_id]),
            obj.transaction_id,
        )

    @admin.display(description="kind", ordering="transaction__kind")
    def kind(self, obj: DeliveryAttempt) -> str:
        kind = getattr(obj, "tx_kind", None)  # annotated by get_queryset
        return str(TxKind(kind).label) if kind else ""
