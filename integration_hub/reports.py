"""What both protocols' lookup edges share: the reconciliation report answered as JSON or CSV for the signing
partner (``?format=csv``), and the content negotiation that leaves that ``format`` parameter to the report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from core.api.pagination import paginate
from core.errors import ApplicationError
from wallet import reconciliation
from wallet import selectors as wallet_selectors

if TYPE_CHECKING:
    from tenants.models import Partner
    from wallet.models import Transaction


class ReconciliationQuery(serializers.Serializer):
    date = serializers.DateField(help_text="UTC day (YYYY-MM-DD) on which the transactions were confirmed.")
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class FormatParamIsOurs(DefaultContentNegotiation):
    """``?format=csv`` is the report's own parameter (the CSV is written by hand), not DRF's renderer override
    (which would answer 404 for a format it has no renderer for): negotiate on the Accept header only."""

    def select_renderer(self, request, renderers, format_suffix=None):
        query = request.query_params
        request._request.GET = request._request.GET.copy()
        request._request.GET.pop(self.settings.URL_FORMAT_OVERRIDE, None)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        finally:
            request._request.GET = query


def reconciliation_response(request, rows_to_json):
    """Shared by both protocols: the report for the signing partner, as JSON or as the admin's CSV."""
    query = ReconciliationQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    partner, day = request.user.partner, query.validated_data["date"]
    rows = reconciliation.reconciliation_report(partner=partner, date=day)
    if query.validated_data["format"] == "csv":
        response = HttpResponse(reconciliation.reconciliation_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{reconciliation.reconciliation_filename(partner, day)}"'
        )
        return response
    return Response(rows_to_json(day, rows))


def transactions_page(
    partner: Partner, *, cursor: str | None, limit: int, **filters: Any
) -> tuple[list[Transaction], dict[str, Any], dict[str, Any]]:
    """Shared by both protocols' ``GET …/transactions``: one cursor page of the partner's transactions, oldest
    first (``wallet.selectors.transactions_lookup`` filters; each edge maps its own parameter names), within
    :func:`lookup_window`."""
    point = bool(filters.get("transaction_id") or filters.get("round_id"))
    filters["since"], filters["until"] = lookup_window(filters.get("since"), filters.get("until"), point=point)
    qs = wallet_selectors.transactions_lookup(partner=partner, **filters)
    return paginate(qs, cursor=cursor, limit=limit, field="created_at")


def lookup_window(
    since: datetime | None, until: datetime | None, *, point: bool = False
) -> tuple[datetime | None, datetime | None]:
    """[since, until) spans at most HUB_LOOKUP_MAX_RANGE_DAYS (400 ``range_too_large`` beyond); ``until`` defaults
    to now and ``since`` to ``until`` minus the cap. A look-up of one transaction or round id (``point``) without
    since/until is not bounded: its index finds the row whatever its age."""
    if point and since is None and until is None:
        return None, None
    days = int(settings.HUB_LOOKUP_MAX_RANGE_DAYS)
    cap = timedelta(days=days)
    end = until or timezone.now()
    start = since or end - cap
    if start > end:
        raise ApplicationError("since must not be after until.")
    if end - start > cap:
        raise ApplicationError(
            f"since/until span at most {days} days; ask for a longer period in several windows.",
            code="range_too_large",
        )
    return start, end
