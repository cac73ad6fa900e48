"""The catalog for account managers: the provider record, the games (soft delete only) and their bet lines."""

from __future__ import annotations

from django.contrib import admin

from core.admin import BOTH_LOCATIONS

from . import services
from .models import BetLine, Game, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "min_age", "updated_at")
    readonly_fields = ("id", "updated_at")

    def has_delete_permission(self, request, obj=None):
        return False


class BetLineInline(admin.TabularInline):
    model = BetLine
    extra = 0
    fields = ("currency", "position", "max_bet", "max_multiplier")
    ordering = ("currency", "position")


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "status", "rtp", "has_free_spins", "deleted_at", "updated_at")
    list_filter = ("status", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "slug", "id")
    readonly_fields = ("id", "deleted_at", "updated_at")
    inlines = [BetLineInline]
    actions = ["soft_delete", "restore"]

    def get_readonly_fields(self, request, obj=None):
        # The slug is the partners' game_id: fixed once the game exists.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete only: partners must see the deletion in a delta sync

    @admin.action(description="Soft-delete (hide from partners)", permissions=["change"], location=BOTH_LOCATIONS)
    def soft_delete(self, request, queryset):
        for game in queryset:
            services.game_soft_delete(game=game)
        self.message_user(request, f"{queryset.count()} game(s) hidden; partners see it in their next delta sync.")

    @admin.action(description="Restore", permissions=["change"], location=BOTH_LOCATIONS)
    def restore(self, request, queryset):
        for game in queryset:
            services.game_restore(game=game)
        self.message_user(request, f"{queryset.count()} game(s) restored.")
