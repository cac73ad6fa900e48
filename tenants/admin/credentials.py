"""The keys admin: read-only (fingerprints, never a secret); keys change only through its rotate and revoke
actions (``key_actions``) and the partner admin's.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from core.admin import BOTH_LOCATIONS, ReadOnlyAdminMixin
from tenants.forms import RevokeKeyForm, RotateKeyForm
from tenants.models import Credential

from .base import PartnerScopedAdminMixin
from .key_actions import KeyActionsMixin


@admin.register(Credential)
class CredentialAdmin(PartnerScopedAdminMixin, ReadOnlyAdminMixin, KeyActionsMixin, admin.ModelAdmin):
    """Read-only: keys change only through the rotate / revoke actions (and issue on the partner)."""

    list_display = (
        "partner",
        "purpose",
        "public_id",
        "fingerprint",
        "state",
        "expires_at",
        "created_by",
        "created_at",
        "last_used_at",
    )
    list_filter = ("purpose", "state", ("partner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("partner", "created_by")
    search_fields = ("public_id", "fingerprint", "partner__name", "partner__slug")
    fields = (
        "partner",
        "purpose",
        "public_id",
        "fingerprint",
        "state",
        "expires_at",
        "revoked_at",
        "created_by",
        "created_at",
        "last_used_at",
    )
    readonly_fields = fields
    exclude = ("secret_encrypted",)
    actions = ["rotate", "revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("secret_encrypted")

    @admin.action(description="Rotate (grace period)…", permissions=["manage_credentials"], location=BOTH_LOCATIONS)
    def rotate(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            RotateKeyForm,
            action="rotate",
            title="Rotate keys",
            intro="Each selected key is replaced by a new active key; the old one keeps verifying requests for "
            "the grace period, then stops. The new secrets are shown once.",
            form_kwargs={"with_purpose": False},
        )
        if page:
            return page
        with transaction.atomic():  # a failure to render the page takes the new keys back
            return self.rotate_credentials(
                request,
                ((cred, cred) for cred in queryset.select_related("partner")),
                form.cleaned_data["grace_seconds"],
            )

    @admin.action(description="Revoke now…", permissions=["manage_credentials"], location=BOTH_LOCATIONS)
    def revoke(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            RevokeKeyForm,
            action="revoke",
            title="Revoke keys now",
            intro="Revoked keys stop verifying immediately, with no grace period.",
            form_kwargs={"with_purpose": False},
        )
        if page:
            return page
        self.revoke_credentials(request, queryset, form.cleaned_data.get("reason", ""))
        return None
