"""The ExtCIDs admin: an account manager adds, edits, deactivates and activates the Public API clients of the
partners they manage, every write through ``tenants.services`` (activating one on a live partner passes the
go-live gates, or an audited override).
"""

from __future__ import annotations

from django.contrib import admin, messages

from core.admin import BOTH_LOCATIONS, SERVICE_ERRORS, ServiceAdminMixin, sync_instance
from tenants import services
from tenants.forms import ActivateForm, ExtClientAdminForm
from tenants.models import ExtClient
from tenants.selectors import partners_visible_to

from .base import EXT_CLIENT_EDITABLE_FIELDS, PartnerScopedAdminMixin, TenantAdminMixin, ext_client_create_from_form


@admin.register(ExtClient)
class ExtClientAdmin(PartnerScopedAdminMixin, ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    form = ExtClientAdminForm
    list_display = ("ext_cid", "name", "partner", "base_url", "is_active", "updated_at")
    list_filter = ("is_active", ("partner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("partner",)
    search_fields = ("ext_cid", "name", "partner__name", "partner__slug")
    fields = (
        "partner",
        "ext_cid",
        "name",
        "base_url",
        "is_active",
        "currencies",
        "go_live_override",
        "created_at",
        "updated_at",
    )
    actions = ["deactivate", "activate", "activate_with_override"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")

    def get_readonly_fields(self, request, obj=None):
        readonly = ["created_at", "updated_at"]
        if obj is not None:
            readonly.append("partner")  # an ExtCID never moves to another partner
        return readonly

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self.has_change_partner_status_permission(request):  # who may switch partners live may override
            fields = [f for f in fields if f != "go_live_override"]
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partner":
            kwargs["queryset"] = partners_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "partner" in form.base_fields:
            # No "add partner" popup: a new partner's keys must be shown on the partner page itself.
            widget = form.base_fields["partner"].widget
            for attr in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
                if hasattr(widget, attr):
                    setattr(widget, attr, False)
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        override = self.go_live_override(request, data)
        if change:
            fields = {n: data[n] for n in form.changed_data if n in EXT_CLIENT_EDITABLE_FIELDS}
            if not fields:
                return
            saved = self.call_service(
                services.ext_client_update, ext_client=obj, actor=request.user, go_live_override=override, **fields
            )
        else:
            partner = data["partner"]
            saved = ext_client_create_from_form(
                self, data, partner=partner, actor=request.user, go_live_override=override
            )
        sync_instance(obj, saved)

    def save_related(self, request, form, formsets, change):
        pass  # no inlines, no many-to-many

    @admin.action(description="Deactivate selected ExtCIDs", permissions=["change"], location=BOTH_LOCATIONS)
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Activate selected ExtCIDs", permissions=["change"], location=BOTH_LOCATIONS)
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(
        description="Activate with a go-live override…",
        permissions=["change_partner_status"],
        location=BOTH_LOCATIONS,
    )
    def activate_with_override(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            ActivateForm,
            action="activate_with_override",
            title="Activate ExtCIDs with a go-live override",
            intro="On a live partner an ExtCID serves players only after a passing certification run of it "
            "(Certify on the partner page works while it is inactive). Without one, say why it may serve players "
            "anyway: the reason is audited.",
        )
        if page:
            return page
        self._set_active(request, queryset, True, go_live_override=form.cleaned_data["override_reason"])
        return None

    def _set_active(self, request, queryset, active: bool, go_live_override: str = "") -> None:
        done = 0
        for ext in queryset:
            try:
                services.ext_client_update(
                    ext_client=ext, actor=request.user, is_active=active, go_live_override=go_live_override
                )
                done += 1
            except SERVICE_ERRORS as exc:
                self.report_failure(request, ext, exc)
        if done:
            self.message_user(
                request, f"{done} ExtCID(s) {'activated' if active else 'deactivated'}.", messages.SUCCESS
            )
