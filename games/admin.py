"""Game operations for account managers (the catalog's admin is ``catalog/admin.py``).

Market status changes call ``games/markets/lifecycle.py`` (suspend, resume) or queue a settlement
(resolve, cancel, void: ``games/markets/settlement.py`` in a worker, which pays every position through the
wallet). Positions and jackpot rounds are read-only.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join

from core.admin import BOTH_LOCATIONS, ReadOnlyAdminMixin, actor_of
from core.errors import ApplicationError

from .markets import lifecycle, lmsr
from .models import JackpotRound, JackpotRoundStatus, Market, MarketEvent, MarketStatus, Outcome, Position

RECENT_EVENTS = 50


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


# ---------------------------------------------------------------- markets --


def _amounts(totals: dict) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(totals.items())) or "nothing"


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "price_yes", "price_no", "b", "q_yes", "q_no", "close_at", "outcome")
    list_filter = ("status", "outcome")
    search_fields = ("title", "id")
    fields = (
        "id",
        "title",
        "description",
        "close_at",
        "b",
        "q_yes",
        "q_no",
        "status",
        "outcome",
        "resolved_at",
        "created_at",
        "updated_at",
        "currency_books",
        "recent_events",
    )
    readonly_fields = (
        "id",
        "status",
        "outcome",
        "resolved_at",
        "created_at",
        "updated_at",
        "currency_books",
        "recent_events",
    )
    actions = ["suspend", "resume", "resolve_yes", "resolve_no", "cancel", "void"]

    def get_readonly_fields(self, request, obj=None):
        # Pricing state only changes through trades once the market exists.
        return (*self.readonly_fields, "b", "q_yes", "q_no") if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Opening YES")
    def price_yes(self, obj: Market):
        return lmsr.prices(obj.q_yes, obj.q_no, obj.b)[0]

    @admin.display(description="Opening NO")
    def price_no(self, obj: Market):
        return lmsr.prices(obj.q_yes, obj.q_no, obj.b)[1]

    @admin.display(description="Books (each currency trades against its own; demo play against its own)")
    def currency_books(self, obj: Market):
        if obj.pk is None:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    book.currency,
                    "demo (play money)" if book.demo else "real",
                    book.q_yes,
                    book.q_no,
                    *lmsr.prices(book.q_yes, book.q_no, obj.b),
                )
                for book in obj.books.order_by("demo", "currency")
            ),
        )
        return (
            format_html(
                "<table><tr><th>currency</th><th>book</th><th>q YES</th><th>q NO</th><th>YES</th>"
                "<th>NO</th></tr>{}</table>",
                rows,
            )
            if rows
            else "No bets yet: every currency opens at the opening q."
        )

    @admin.display(description=f"Audit (last {RECENT_EVENTS})")
    def recent_events(self, obj: Market):
        if obj.pk is None:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (e.at, e.action, e.actor, json.dumps(e.details, cls=DjangoJSONEncoder))
                for e in obj.events.order_by("-at", "-id")[:RECENT_EVENTS]
            ),
        )
        return format_html("<table><tr><th>at</th><th>action</th><th>actor</th><th>details</th></tr>{}</table>", rows)

    def save_model(self, request, obj, form, change):
        if change:
            fields = {
                name: form.cleaned_data[name] for name in lifecycle.MARKET_EDITABLE_FIELDS if name in form.changed_data
            }
            if fields:
                lifecycle.market_update(market_id=obj.pk, actor=actor_of(request), **fields)
            return
        created = lifecycle.market_create(
            title=obj.title,
            description=obj.description,
            b=obj.b,
            q_yes=obj.q_yes,
            q_no=obj.q_no,
            close_at=obj.close_at,
            actor=actor_of(request),
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db

    def _apply(self, request, queryset, verb: str, service, **kwargs):
        for market in queryset:
            try:
                change = service(market_id=market.pk, actor=actor_of(request), **kwargs)
            except ApplicationError as exc:
                self.message_user(request, f"{market.title}: {exc.message}", messages.ERROR)
                continue
            text = f"{market.title}: {verb}."
            if change.payouts:
                text += (
                    f" {len(change.payouts)} position(s) settled; owed to players: {_amounts(change.total)}"
                    " (wallet payouts are not wired yet)."
                )
            self.message_user(request, text, messages.SUCCESS)

    @admin.action(description="Suspend trading", permissions=["change"], location=BOTH_LOCATIONS)
    def suspend(self, request, queryset):
        self._apply(request, queryset, "suspended", lifecycle.market_suspend)

    @admin.action(description="Resume trading", permissions=["change"], location=BOTH_LOCATIONS)
    def resume(self, request, queryset):
        self._apply(request, queryset, "resumed", lifecycle.market_resume)

    def _settle(self, request, queryset, action: str, outcome: str | None = None):
        """Resolve / cancel / void: the settlement and every payout run in a worker (thousands of positions
        never settle inside a request); the delivery engine then pays them."""
        from .markets import settlement

        for market in queryset:
            if market.status not in (MarketStatus.OPEN, MarketStatus.SUSPENDED):
                self.message_user(
                    request, f"{market.title}: cannot {action} a market that is {market.status}.", messages.ERROR
                )
                continue
            settlement.market_settle_async(market_id=market.pk, action=action, outcome=outcome, actor=actor_of(request))
            counts = market.positions.filter(status="open").aggregate(
                real=Count("pk", filter=Q(demo=False)), demo=Count("pk", filter=Q(demo=True))
            )
            text = (
                f"{market.title}: {action} queued; {counts['real']} open position(s) will be paid through the "
                "delivery engine."
            )
            if counts["demo"]:
                text += f" {counts['demo']} demo position(s) are settled in play money."
            self.message_user(request, text, messages.SUCCESS)

    @admin.action(description="Resolve: YES wins", permissions=["change"], location=BOTH_LOCATIONS)
    def resolve_yes(self, request, queryset):
        self._settle(request, queryset, "resolve", Outcome.YES)

    @admin.action(description="Resolve: NO wins", permissions=["change"], location=BOTH_LOCATIONS)
    def resolve_no(self, request, queryset):
        self._settle(request, queryset, "resolve", Outcome.NO)

    @admin.action(description="Cancel (refund stakes)", permissions=["change"], location=BOTH_LOCATIONS)
    def cancel(self, request, queryset):
        self._settle(request, queryset, "cancel")

    @admin.action(description="Void (refund stakes)", permissions=["change"], location=BOTH_LOCATIONS)
    def void(self, request, queryset):
        self._settle(request, queryset, "void")


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("id", "market", "outcome", "stake", "currency", "demo", "shares", "status", "payout", "created_at")
    list_filter = ("demo", "status", "outcome", "currency")
    search_fields = ("id", "round_id", "session_id", "market__title")
    list_select_related = ("market",)


@admin.register(JackpotRound)
class JackpotRoundAdmin(ReadOnlyAdmin):
    list_display = ("id", "direction", "stake", "currency", "status", "tier", "multiplier", "payout", "created_at")
    list_filter = ("status", "direction", "tier", "currency")
    search_fields = ("id", "round_id", "session_id")
    exclude = ("server_seed",)
    readonly_fields = ("revealed_server_seed",)

    @admin.display(description="Server seed")
    def revealed_server_seed(self, obj: JackpotRound):
        if obj.status == JackpotRoundStatus.OPEN:
            return format_html("<em>{}</em>", "hidden until the round is settled")
        return obj.server_seed


@admin.register(MarketEvent)
class MarketEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "market", "action", "actor")
    list_filter = ("action",)
    search_fields = ("market__title", "market__id", "actor")
    list_select_related = ("market",)
