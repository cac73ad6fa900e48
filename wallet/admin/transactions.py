"""Transactions in the admin: the ledger's rows with their delivery attempts inline, the delivery actions (retry
now, resolve manually, through ``wallet.services``) and the reconciliation report.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.admin import BOTH_LOCATIONS, SERVICE_ERRORS, ReadOnlyAdminMixin, error_text
from tenants.models import Partner
from tenants.selectors import partners_visible_to
from wallet import services
from wallet.models import DeliveryAttempt, Transaction, TxStatus
from wallet.reconciliation import (
    COLUMNS,
    format_amount,
    reconciliation_csv,
    reconciliation_filename,
    reconciliation_report,
    row_values,
)
from wallet.selectors import DELIVERY_KINDS, AnyUser

from .base import LedgerAdmin, PartnerFilter, actor, changelist_url, is_change_form_action, round_details_anchor

RESOLVE_TEMPLATE = "admin/wallet/transaction/resolve_manually.html"
RECONCILIATION_TEMPLATE = "admin/wallet/transaction/reconciliation.html"
INLINE_ATTEMPTS_SHOWN = 50


class ResolveManuallyForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=True,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why this delivery no longer needs to reach the partner (e.g. the partner credited it by hand). "
        "Kept in the audit log and on the transaction.",
    )


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    fk_name = "transaction"
    fields = ("started_at", "outcome", "http_status", "duration_ms", "error_code", "error", "response")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-started_at",)
    verbose_name_plural = f"Delivery attempts (latest {INLINE_ATTEMPTS_SHOWN})"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        request.wallet_inline_tx_pk = getattr(obj, "pk", None)  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        tx_pk = getattr(request, "wallet_inline_tx_pk", None)
        if tx_pk is None:
            return qs
        latest = list(
            DeliveryAttempt.objects.filter(transaction_id=tx_pk)
            .order_by("-started_at")
            .values_list("pk", flat=True)[:INLINE_ATTEMPTS_SHOWN]
        )
        return qs.filter(pk__in=latest)


class ReconciliationForm(forms.Form):
    partner: forms.ModelChoiceField[Partner] = forms.ModelChoiceField(queryset=None, to_field_name="slug")
    date = forms.DateField(
        help_text="UTC day (YYYY-MM-DD) on which the partner confirmed the transactions.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_visible_to(user)  # type: ignore[attr-defined]


@admin.register(Transaction)
class TransactionAdmin(LedgerAdmin):
    list_display = (
        "short_id",
        "created_at",
        "partner",
        "kind",
        "amount_display",
        "currency",
        "status",
        "stuck",
        "attempts",
        "player",
        "last_error",
    )
    list_filter = (PartnerFilter, "status", "kind", "stuck", "session__protocol", "created_at")
    list_select_related = ("partner", "session")  # the player: not an annotation, whose join the COUNT would repeat
    search_fields = ("id__exact", "round__id__exact", "session__id__exact", "=partner_tx_id", "^session__player_id")
    fields = (
        "id",
        "partner",
        "session",
        "round",
        "kind",
        "tx_type",
        "amount",
        "currency",
        "status",
        "finished",
        "free_rounds_id",
        "refunds",
        "partner_tx_id",
        "partner_balance",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "stuck",
        "last_error",
        "error_code",
        "error_message",
        "resolution_note",
        "created_at",
        "updated_at",
        "confirmed_at",
        "round_details",
        "attempt_links",
    )
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now", "resolve_manually"]  # type: ignore[assignment]  # LedgerAdmin has none

    # Change permission (wallet.change_transaction) is what the delivery actions need; the row itself stays
    # read-only: every field is read-only, the save buttons are hidden, the only POST the change form accepts
    # is one of its actions (which Django dispatches without saving the form), and the admin's own save and
    # delete paths refuse. Saving the page's copy of a row would write back stale values (a win the pump has
    # delivered meanwhile would turn pending again and be paid twice).
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and not is_change_form_action(request):
            raise PermissionDenied("Transactions are read-only; use the actions.")
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        raise PermissionDenied("Transactions are read-only; use the actions.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise PermissionDenied("Transactions are read-only; use the actions.")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        raise PermissionDenied("Transactions are read-only; use the actions.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise PermissionDenied("Transactions are read-only.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        raise PermissionDenied("Transactions are read-only.")

    # -- columns --------------------------------------------------------------

    @admin.display(description="id", ordering="id")
    def short_id(self, obj: Transaction) -> str:
        return str(obj.pk)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Transaction) -> str:
        return format_amount(obj.amount, obj.currency)

    @admin.display(description="player", ordering="session__player_id")
    def player(self, obj: Transaction) -> str:
        return obj.session.player_id

    @admin.display(description="round details")
    def round_details(self, obj: Transaction) -> str:
        return round_details_anchor(obj.round_id)

    @admin.display(description="attempts")
    def attempt_links(self, obj: Transaction) -> SafeString:
        return format_html(
            '<a href="{}">All delivery attempts</a> · <a href="{}">Audit log</a>',
            changelist_url("deliveryattempt", transaction__exact=obj.pk),
            reverse("admin:tenants_auditlog_changelist") + "?" + urlencode({"q": str(obj.pk)}),
        )

    # -- actions --------------------------------------------------------------

    @staticmethod
    def _is_pending_delivery(tx: Transaction) -> bool:
        return tx.status == TxStatus.PENDING and tx.kind in DELIVERY_KINDS

    def _report_skipped(self, request: HttpRequest, skipped: list[Transaction], what: str) -> None:
        if skipped:
            self.message_user(
                request,
                f"Skipped {len(skipped)} transaction(s) that are not pending wins or refunds "
                f"({what} applies only to those).",
                messages.WARNING,
            )

    @admin.action(
        description="Retry delivery now",
        description_plural="Retry delivery of the selected now",
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> None:
        done, skipped = 0, []
        for tx in queryset.select_related("partner"):
            if not self._is_pending_delivery(tx):
                skipped.append(tx)
                continue
            try:
                services.delivery_retry_now(tx=tx, actor=actor(request))
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{tx.pk}: {error_text(exc)}", messages.ERROR)
                continue
            done += 1
        self._report_skipped(request, skipped, "retry")
        if done:
            self.message_user(
                request, f"Queued {done} deliver{'y' if done == 1 else 'ies'} for an immediate retry.", messages.SUCCESS
            )

    @admin.action(
        description="Mark resolved manually…",
        description_plural="Mark the selected resolved manually…",
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def resolve_manually(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> TemplateResponse | None:
        txs = list(queryset.select_related("partner"))
        pending = [tx for tx in txs if self._is_pending_delivery(tx)]
        for tx in pending:
            tx.amount_display = format_amount(tx.amount, tx.currency)  # type: ignore[attr-defined]
        skipped = [tx for tx in txs if not self._is_pending_delivery(tx)]
        if not pending:
            self._report_skipped(request, skipped, "manual resolution")
            return None
        if "apply" in request.POST:
            form = ResolveManuallyForm(request.POST, prefix="resolve")
            if form.is_valid():
                self._resolve(request, pending, form.cleaned_data["reason"])
                self._report_skipped(request, skipped, "manual resolution")
                return None
        else:
            form = ResolveManuallyForm(prefix="resolve")
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark deliveries resolved manually",
            "subtitle": None,
            "form": form,
            "transactions": pending,
            "skipped": skipped,
            "action": "resolve_manually",
            "opts": self.opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, RESOLVE_TEMPLATE, context)

    def _resolve(self, request: HttpRequest, txs: list[Transaction], reason: str) -> None:
        done = 0
        for tx in txs:
            try:
                services.delivery_resolve_manually(tx=tx, actor=actor(request), reason=reason)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{tx.pk}: {error_text(exc)}", messages.ERROR)
                continue
            if Transaction.objects.filter(pk=tx.pk, status=TxStatus.RESOLVED).exists():
                done += 1
            else:  # delivered (or resolved by someone else) in the meantime
                self.message_user(request, f"{tx.pk} was no longer pending; left as it is.", messages.WARNING)
        if done:
            self.message_user(
                request, f"Marked {done} deliver{'y' if done == 1 else 'ies'} resolved manually.", messages.SUCCESS
            )

    # -- reconciliation -------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "reconciliation/",
                self.admin_site.admin_view(self.reconciliation_view),
                name="{}_{}_reconciliation".format(*info),
            ),
            *super().get_urls(),
        ]

    def reconciliation_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.GET if "partner" in request.GET or "date" in request.GET else None
        yesterday = (timezone.now() - timedelta(days=1)).date()
        form = ReconciliationForm(data, user=request.user, initial={"date": yesterday})
        rows = None
        if form.is_valid():
            partner, day = form.cleaned_data["partner"], form.cleaned_data["date"]
            rows = reconciliation_report(partner=partner, date=day)
            if request.GET.get("format") == "csv":
                response = HttpResponse(reconciliation_csv(rows), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="{reconciliation_filename(partner, day)}"'
                return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Reconciliation",
            "subtitle": None,
            "form": form,
            "columns": COLUMNS,
            "rows": [row_values(r) for r in rows] if rows is not None else None,
            "csv_query": urlencode({**request.GET.dict(), "format": "csv"}) if rows is not None else "",
            "opts": self.opts,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, RECONCILIATION_TEMPLATE, context)
