"""The partners' inbound hooks in the admin (read-only), filtered by their outcome."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from wallet.models import InboundHook

from .base import LedgerAdmin, PartnerFilter


class HookOutcome:
    """A hook's reconciliation outcome, read from what we answered the partner (``InboundHook.response``)."""

    MISMATCH, RECONCILED, STALE, UNMATCHED = "mismatch", "reconciled", "stale", "unmatched"
    LABELS = {
        MISMATCH: "Mismatch",
        RECONCILED: "Reconciled",
        STALE: "Stale (balance older than ours)",
        UNMATCHED: "Not matched",
    }

    @classmethod
    def of(cls, hook: InboundHook) -> str:
        response = hook.response if isinstance(hook.response, dict) else {}
        if hook.mismatch:
            return cls.MISMATCH
        if response.get("reconciled"):
            return cls.RECONCILED
        if response.get("stale"):
            return cls.STALE
        return cls.UNMATCHED


class HookOutcomeFilter(admin.SimpleListFilter):
    title = "reconciliation outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: ModelAdmin[Any]) -> list[tuple[str, str]]:
        return list(HookOutcome.LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == HookOutcome.MISMATCH:
            return queryset.filter(mismatch=True)
        if value == HookOutcome.RECONCILED:
            return queryset.filter(mismatch=False, response__reconciled=True)
        if value == HookOutcome.STALE:
            return queryset.filter(mismatch=False, response__stale=True).exclude(response__reconciled=True)
        if value == HookOutcome.UNMATCHED:
            return queryset.filter(mismatch=False).exclude(response__reconciled=True).exclude(response__stale=True)
        return queryset


@admin.register(InboundHook)
class InboundHookAdmin(LedgerAdmin):
    """The wallet events partners report to ``POST /igsp/v1/hooks`` and how each reconciled against our ledger:
    mismatches first (an amount, kind or currency that differs from ours, or a movement our ledger does not know)."""

    list_display = ("received_at", "partner", "action", "transaction_id", "outcome", "session", "response_status")
    list_filter = (HookOutcomeFilter, PartnerFilter, "action", "received_at")
    list_select_related = ("partner",)
    search_fields = ("=transaction_id", "session__id__exact")
    date_hierarchy = "received_at"
    ordering = ("-mismatch", "-received_at")
    fields = (
        "partner",
        "received_at",
        "action",
        "transaction_id",
        "outcome",
        "session",
        "payload",
        "response",
        "response_status",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("session").defer("session__key_hash")

    @admin.display(description="outcome", ordering="mismatch")
    def outcome(self, obj: InboundHook) -> SafeString:
        value = HookOutcome.of(obj)
        return format_html('<span class="hook-outcome hook-{}">{}</span>', value, HookOutcome.LABELS[value])
