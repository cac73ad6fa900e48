"""Portal links in the admin: an account manager issues one for a partner they manage (the URL is shown
once), sees who issued which and when it was last used, and revokes it. Every step is in the audit log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from tenants.selectors import partners_visible_to

from . import services
from .models import PortalLink


class PortalLinkForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1, max_value=services.MAX_DAYS, initial=7, help_text="How long the link opens the portal."
    )

    class Meta:
        model = PortalLink
        fields = ["partner", "label"]


@admin.register(PortalLink)
class PortalLinkAdmin(admin.ModelAdmin):
    form = PortalLinkForm
    list_display = ("partner", "label", "created_by", "created_at", "expires_at", "status", "last_used_at")
    list_filter = ("partner",)
    list_select_related = ("partner", "created_by")
    actions = ["revoke"]
    readonly_fields = ("partner", "label", "created_by", "created_at", "expires_at", "revoked_at", "last_used_at")

    def get_fields(self, request, obj=None):
        return ["partner", "label", "days"] if obj is None else list(self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(partner__in=partners_visible_to(request.user).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partner":
            kwargs["queryset"] = partners_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays for the audit trail

    @admin.display(description="status")
    def status(self, obj: PortalLink) -> str:
        if obj.revoked_at:
            return "revoked"
        return "expired" if obj.expires_at <= timezone.now() else "valid"

    def save_model(self, request, obj, form, change):
        issued = services.portal_link_issue(
            partner=form.cleaned_data["partner"],
            actor=request.user,
            days=form.cleaned_data["days"],
            label=form.cleaned_data.get("label") or "",
        )
        obj.pk = issued.link.pk
        obj._state.adding = False
        messages.warning(
            request,
            format_html(
                'Portal link for {} (shown once, valid until {} UTC): <code id="portal-link-url">{}</code>',
                issued.link.partner,
                issued.link.expires_at.strftime("%Y-%m-%d %H:%M"),
                issued.url,
            ),
        )

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Revoke selected portal links", permissions=["add"])
    def revoke(self, request, queryset):
        for link in queryset.filter(revoked_at__isnull=True):
            services.portal_link_revoke(link=link, actor=request.user)
        self.message_user(request, "Revoked.")
