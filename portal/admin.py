"""Portal links in the admin: an account manager issues one for a partner they manage (the URL is shown
once), sees who issued which and when it was last used, and revokes it. Every step is in the audit log."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

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
    list_filter = (("partner", admin.RelatedOnlyFieldListFilter),)
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
        request.hub_portal_issued = issued  # shown by response_add, in this response only

    def response_add(self, request, obj, post_url_continue=None):
        """The new link's URL, in the response that issued it (as new keys are): never in the messages cookie
        (signed, not encrypted) nor the session; not cached."""
        issued = getattr(request, "hub_portal_issued", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "Portal link issued: copy it now",
            "subtitle": None,
            "opts": self.opts,
            "link": issued.link,
            "url": issued.url,
            "next_url": reverse("admin:portal_portallink_changelist"),
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "admin/portal/portallink_issued.html", context)
        response.render()
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Revoke selected portal links", permissions=["add"])
    def revoke(self, request, queryset):
        for link in queryset.filter(revoked_at__isnull=True):
            services.portal_link_revoke(link=link, actor=request.user)
        self.message_user(request, "Revoked.")
