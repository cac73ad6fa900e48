"""Certification in the admin: "Certify" per partner → a run on a worker → its progress and result page, the
history of runs, and the report as JSON or printable HTML. Account managers see their own partners' runs only."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.errors import ApplicationError
from tenants import services as tenant_services
from tenants.selectors import partners_visible_to

from . import reports, selectors, services
from .forms import CertifyForm
from .models import CertificationRun, RunProtocol


@admin.register(CertificationRun)
class CertificationRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "partner", "protocol", "status", "score", "full_run", "hub_short", "report")
    list_filter = ("status", "protocol", ("partner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("partner",)
    search_fields = ("partner__name", "partner__slug", "hub_version")
    ordering = ("-created_at",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(partner__in=partners_visible_to(request.user).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="passed")
    def score(self, obj):
        return f"{obj.passed_count}/{obj.total}"

    @admin.display(description="full", boolean=True)
    def full_run(self, obj):
        return obj.is_full

    @admin.display(description="hub version")
    def hub_short(self, obj):
        return obj.hub_version[:12]

    @admin.display(description="report")
    def report(self, obj):
        return format_html('<a href="{}">open</a>', reverse("admin:certification_run_report", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:certification_run_report", object_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("certify/<uuid:partner_id>/", view(self.certify_view), name="certification_certify"),
            path("<uuid:run_id>/report/", view(self.report_view), name="certification_run_report"),
            path("<uuid:run_id>/report.json", view(self.report_json_view), name="certification_run_json"),
            path("<uuid:run_id>/print/", view(self.report_print_view), name="certification_run_print"),
            *super().get_urls(),
        ]

    # ------------------------------------------------------------ views --
    def _partner(self, request, partner_id):
        return get_object_or_404(partners_visible_to(request.user), pk=partner_id)

    def _run(self, request, run_id) -> CertificationRun:
        run = get_object_or_404(self.get_queryset(request).select_related("partner", "ext_client"), pk=run_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def certify_view(self, request, partner_id):
        partner = self._partner(request, partner_id)
        if not request.user.has_perm("certification.add_certificationrun"):
            raise PermissionDenied
        initial = {
            "protocol": RunProtocol.IGSP if partner.igsp_enabled else RunProtocol.PUBLIC_API,
            "currency": partner.default_currency,
        }
        form = CertifyForm(request.POST or None, initial=initial)
        status = 200
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = services.run_start(
                    partner=partner,
                    protocol=data["protocol"],
                    actor=request.user,
                    via="admin",
                    currency=data["currency"],
                    player_id=data.get("player_id", ""),
                    session_id=data.get("session_id", ""),
                    ext_cid=data.get("ext_cid", ""),
                    groups=data.get("groups") or [],
                )
            except ApplicationError as exc:  # shown on the page, answered with its status (409, 429, 503 …)
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                self.message_user(request, "Certification run queued: a worker runs it now.", messages.SUCCESS)
                return redirect("admin:certification_run_report", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Certify {partner.name}",
            "partner": partner,
            "form": form,
            "opts": self.opts,
            "runs": selectors.runs_for_partner(partner=partner)[:20],
            "missing": services.missing_certifications(
                scope=tenant_services.go_live_scope(partner=partner, from_status="")
            ),
            "hub_version": services.hub_version(),
        }
        return TemplateResponse(request, "certification/certify.html", context, status=status)

    def report_view(self, request, run_id):
        run = self._run(request, run_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Certification of {run.partner.name}",
            "run": run,
            "report": selectors.run_report(run=run),
            "opts": self.opts,
        }
        return TemplateResponse(request, "certification/run.html", context)

    def report_json_view(self, request, run_id):
        run = self._run(request, run_id)
        body = json.dumps(reports.run_document(run), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="certification-{run.partner.slug}-{run.pk}.json"'
        return response

    def report_print_view(self, request, run_id):
        run = self._run(request, run_id)
        return TemplateResponse(
            request, "certification/print.html", {"run": run, "report": selectors.run_report(run=run)}
        )
