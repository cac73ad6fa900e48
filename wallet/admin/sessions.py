"""Game sessions in the admin (read-only; the key hash is never shown)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from wallet.models import GameSession

from .base import LedgerAdmin, PartnerFilter, changelist_url


@admin.register(GameSession)
class GameSessionAdmin(LedgerAdmin):
    list_display = (
        "id",
        "created_at",
        "partner",
        "protocol",
        "game",
        "player_id",
        "currency",
        "is_demo",
        "status",
        "balance_mismatch",
    )
    list_filter = (PartnerFilter, "status", "protocol", "is_demo", "balance_mismatch", "created_at")
    list_select_related = ("partner", "game")
    search_fields = ("id__exact", "^player_id", "=partner_session_ref")
    # Never key_hash: the session key is the player's bearer credential.
    fields = (
        "id",
        "partner",
        "ext_client",
        "protocol",
        "game",
        "player_id",
        "player_name",
        "currency",
        "partner_session_ref",
        "is_demo",
        "demo_balance",
        "last_balance",
        "balance_mismatch",
        "status",
        "device",
        "language",
        "return_url",
        "deposit_url",
        "created_at",
        "expires_at",
        "settings_snapshot",
        "ledger_links",
    )
    exclude = ("key_hash",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("key_hash")

    @admin.display(description="ledger")
    def ledger_links(self, obj: GameSession) -> SafeString:
        return format_html(
            '<a href="{}">Rounds</a> · <a href="{}">Transactions</a>',
            changelist_url("round", session__exact=obj.pk),
            changelist_url("transaction", session__exact=obj.pk),
        )
