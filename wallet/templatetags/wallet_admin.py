"""Admin template tags of the wallet: the operations dashboard and the stuck-deliveries box on the admin index."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.template import Context
from django.urls import reverse

from ..dashboard import RANGES, operations_overview
from ..reconciliation import format_amount
from ..selectors import stuck_deliveries_count_for

register = template.Library()

STUCK_FILTER = {"status__exact": "pending", "stuck__exact": "1"}


@register.simple_tag(takes_context=True)
def wallet_stuck_deliveries(context: Context) -> dict[str, Any] | None:
    """{count, url, reconciliation_url} for the current user (only the partners they may see), or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff or not user.has_perm("wallet.view_transaction"):
        return None
    changelist = reverse("admin:wallet_transaction_changelist")
    return {
        "count": stuck_deliveries_count_for(user),
        "url": f"{changelist}?{urlencode(STUCK_FILTER)}",
        "reconciliation_url": reverse("admin:wallet_transaction_reconciliation"),
    }


@register.simple_tag(takes_context=True)
def ops_dashboard(context: Context) -> dict[str, Any] | None:
    """The operations dashboard for the current user (their partners; every partner for a superuser), its charts
    over the page's ``?range=`` (24h, 7d, 30d; anything else is 24 h)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff or not user.has_perm("wallet.view_transaction"):
        return None
    overview = operations_overview(user=user, span=request.GET.get("range") if request is not None else None)
    changelist = reverse("admin:wallet_transaction_changelist")
    return {
        "overview": overview,
        "panels": overview.panels,
        "charts": overview.charts(),
        "attention": overview.attention,
        "ranges": [{"key": r.key, "label": r.label, "current": r is overview.span} for r in RANGES.values()],
        "stuck_url": f"{changelist}?{urlencode(STUCK_FILTER)}",
    }


@register.filter
def money(value: Decimal, currency: str) -> str:
    """``value`` at ``currency``'s precision, as the reconciliation report's CSV writes it."""
    return format_amount(value, currency)
