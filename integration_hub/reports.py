"""What both protocols' lookup edges share: the reconciliation report answered as JSON or CSV for the signing
partner (``?format=csv``), and the content negotiation that leaves that ``format`` parameter to the report."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from wallet import reconciliation


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
