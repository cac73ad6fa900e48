"""Rounds in the admin (read-only), each with a link to its details page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from wallet.models import Round

from .base import LedgerAdmin, PartnerFilter, changelist_url, round_details_anchor


@admin.register(Round)
class RoundAdmin(LedgerAdmin):
    list_display = (
        "id",
        "created_at",
        "partner",
        "session",
        "status",
        "free_rounds_id",
        "settled_at",
        "round_details",
    )
    list_filter = (PartnerFilter, "status", "created_at")
    list_select_related = ("partner",)
    search_fields = ("id__exact", "session__id__exact", "^session__player_id", "=free_rounds_id")
    fields = (
        "id",
        "partner",
        "session",
        "status",
        "free_rounds_id",
        "created_at",
        "settled_at",
        "round_details",
        "ledger_links",
    )

    @admin.display(description="round details")
    def round_details(self, obj: Round) -> str:
        return round_details_anchor(obj.pk)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The session column prints "<id> (<player>)": load only what that needs.
        return super().get_queryset(request).select_related("session").defer("session__key_hash")

    @admin.display(description="ledger")
    def ledger_links(self, obj: Round) -> SafeString:
        return format_html('<a href="{}">Transactions</a>', changelist_url("transaction", round__exact=obj.pk))
