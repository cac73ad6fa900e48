"""The partner admin: onboarding (a new partner with its ExtCIDs and keys, shown once), its settings, protocols
and ExtCIDs (inline), its keys (fingerprints inline; issue, rotate and revoke actions) and its status (suspend,
go live through the go-live gates or an audited override).

Saving a new partner is one call of ``tenants.services.partner_onboard`` (the form's one-time token claimed
with it); enabling a protocol or the alert webhook on an existing partner issues its missing keys. Either
way the new secrets are shown once, on the page the save answers with.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from core.admin import BOTH_LOCATIONS, SERVICE_ERRORS, ReadOnlyAdminMixin, ServiceAdminMixin, sync_instance
from tenants import services
from tenants.forms import (
    ActivateForm,
    ExtClientForm,
    IssueKeyForm,
    PartnerAdminForm,
    RevokeKeyForm,
    RotateKeyForm,
    SuspendForm,
)
from tenants.models import Credential, CredentialPurpose, CredentialState, ExtClient, Partner
from tenants.selectors import partners_visible_to

from .base import EXT_CLIENT_EDITABLE_FIELDS, PARTNER_EDITABLE_FIELDS, ext_client_create_from_form
from .key_actions import KeyActionsMixin
from .shown_once import issued_block

# ------------------------------------------------------------------ inlines --


class ExtClientInline(admin.TabularInline):
    model = ExtClient
    form = ExtClientForm
    fields = ("ext_cid", "name", "base_url", "is_active", "currencies")
    extra = 1
    can_delete = False
    show_change_link = True
    verbose_name = "ExtCID"
    verbose_name_plural = "ExtCIDs (Public API clients; deactivate instead of deleting)"


class CredentialInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Credential
    fields = ("purpose", "public_id", "fingerprint", "state", "expires_at", "created_by", "created_at", "last_used_at")
    readonly_fields = fields
    exclude = ("secret_encrypted",)
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-created_at",)
    verbose_name_plural = "Keys (fingerprints only; use the actions to issue, rotate or revoke)"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("secret_encrypted").select_related("created_by")


# ----------------------------------------------------------------- partners --


@admin.register(Partner)
class PartnerAdmin(ServiceAdminMixin, KeyActionsMixin, admin.ModelAdmin):
    form = PartnerAdminForm
    inlines = [ExtClientInline, CredentialInline]
    list_display = ("name", "slug", "status", "protocols", "default_currency", "account_manager")
    list_filter = ("status", "igsp_enabled", "public_api_enabled")
    list_select_related = ("account_manager",)
    search_fields = ("name", "slug", "ext_clients__ext_cid")
    prepopulated_fields = {"slug": ("name",)}
    actions = [
        "issue_keys",
        "rotate_keys",
        "revoke_keys",
        "suspend_partners",
        "activate_partners",
        "activate_partners_override",
    ]

    # -- visibility ----------------------------------------------------------

    def get_queryset(self, request):
        qs = partners_visible_to(request.user).select_related("account_manager")
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return (*self.list_filter, ("account_manager", admin.RelatedOnlyFieldListFilter))
        return self.list_filter

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "account_manager":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # -- the form -------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        main = ["name", "slug", "status"]
        if request.user.is_superuser or obj is not None:
            main.append("account_manager")
        if obj is None:
            main.append("submission")
        if self.has_change_partner_status_permission(request):  # who may switch partners live may override
            main.append("go_live_override")
        fieldsets = [
            (None, {"fields": main}),
            (
                "Protocols",
                {
                    "fields": ["igsp_enabled", "igsp_hooks_url", "public_api_enabled"],
                    "description": (
                        "Saving a new partner issues its keys (IGSP key pair; Core API and Integration API keys) "
                        "and shows them once."
                        if obj is None
                        else "Enabling a protocol issues its missing keys and shows them once."
                    ),
                },
            ),
            ("Currencies and network", {"fields": ["default_currency", "allowed_currencies", "ip_allowlist"]}),
            ("Game page embedding", {"fields": ["frame_origins"]}),
        ]
        if obj is not None:
            fieldsets.append(("Payout delivery", {"fields": ["max_in_flight"]}))
            fieldsets.append(("Bets", {"fields": ["max_bets_in_flight"]}))
            fieldsets.append(("Alerts", {"fields": ["alert_webhook_url"]}))
            fieldsets.append(("Certification", {"fields": ["certification_test_players"]}))
            fieldsets.append(("Record", {"fields": ["id", "created_at", "updated_at"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["id", "status", "created_at", "updated_at"]
        if not request.user.is_superuser:
            readonly.append("account_manager")
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("status", services.default_partner_status())
        if request.user.is_superuser:
            initial.setdefault("account_manager", request.user.pk)
        return initial

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # a new partner has no keys yet; they are issued on save
            inlines = [i for i in inlines if not isinstance(i, CredentialInline)]
        return inlines

    @admin.display(description="protocols")
    def protocols(self, obj: Partner) -> str:
        names = [n for n, on in (("IGSP", obj.igsp_enabled), ("Public API", obj.public_api_enabled)) if on]
        return " + ".join(names) or "—"

    # -- saving through services --------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            return  # created with its ExtCIDs and keys by partner_onboard in save_related
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in PARTNER_EDITABLE_FIELDS}
        if fields:
            saved = self.call_service(
                services.partner_update,
                partner=obj,
                actor=request.user,
                go_live_override=self.go_live_override(request, form.cleaned_data),
                **fields,
            )
            sync_instance(obj, saved)

    def save_related(self, request, form, formsets, change):
        ext_formset = None
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is ExtClient:
                ext_formset = formset
        if change:
            if ext_formset is not None:
                override = self.go_live_override(request, form.cleaned_data)
                self._save_ext_clients(request, form.instance, ext_formset, override)
            self._issue_keys_for_enabled_protocols(request, form)
        else:
            self._onboard(request, form, ext_formset)

    def _onboard(self, request, form, ext_formset) -> None:
        """The new partner, its ExtCIDs and keys: one service call (the form's token claimed with it)."""
        data = form.cleaned_data
        ext_forms = [
            f for f in (ext_formset.forms if ext_formset is not None else []) if f.has_changed() and f.cleaned_data
        ]
        manager = data.get("account_manager") if request.user.is_superuser else request.user
        result = self.call_service(
            services.partner_onboard,
            name=data["name"],
            actor=request.user,
            submission_token=data.get("submission") or "",
            igsp=bool(data.get("igsp_enabled")),
            public_api=bool(data.get("public_api_enabled")),
            slug=data.get("slug") or None,
            default_currency=data["default_currency"],
            allowed_currencies=data.get("allowed_currencies") or [],
            igsp_hooks_url=data.get("igsp_hooks_url") or "",
            ip_allowlist=data.get("ip_allowlist") or [],
            ext_clients=[
                {
                    "ext_cid": f.cleaned_data["ext_cid"],
                    "base_url": f.cleaned_data["base_url"],
                    "name": f.cleaned_data.get("name", ""),
                    "currencies": f.cleaned_data.get("currencies") or [],
                    "is_active": f.cleaned_data.get("is_active", True),
                }
                for f in ext_forms
            ],
            account_manager=manager,
            status=data.get("status") or None,
            frame_origins=data.get("frame_origins") or [],
            go_live_override=self.go_live_override(request, data),
        )
        partner = result.partner
        ext_formset_objects = ext_formset.new_objects if ext_formset is not None else []
        ext_formset_objects.extend(result.ext_clients)
        sync_instance(form.instance, partner)
        request.hub_issued = [
            issued_block(partner, result.credentials, title=f"Keys of {partner.name}", ext_clients=result.ext_clients)
        ]

    def _save_ext_clients(self, request, partner: Partner, formset, go_live_override: str = "") -> None:
        for f in formset.forms:
            if not f.has_changed() or not f.cleaned_data:
                continue
            data = f.cleaned_data
            label = f"ExtCID {data.get('ext_cid') or f.instance.ext_cid}"
            if f.instance.pk is None:
                ext = ext_client_create_from_form(
                    self, data, label=label, partner=partner, actor=request.user, go_live_override=go_live_override
                )
                formset.new_objects.append(ext)
            else:
                changed = [n for n in f.changed_data if n in EXT_CLIENT_EDITABLE_FIELDS]
                if not changed:
                    continue
                ext = self.call_service(
                    services.ext_client_update,
                    label=label,
                    ext_client=f.instance,
                    actor=request.user,
                    go_live_override=go_live_override,
                    **{n: data[n] for n in changed},
                )
                formset.changed_objects.append((ext, changed))

    def _issue_keys_for_enabled_protocols(self, request, form) -> None:
        partner = form.instance
        wanted = []
        if "igsp_enabled" in form.changed_data and partner.igsp_enabled:
            wanted.append(CredentialPurpose.IGSP)
        if "public_api_enabled" in form.changed_data and partner.public_api_enabled:
            wanted += [CredentialPurpose.CORE_API, CredentialPurpose.INTEGRATION_API]
        if "alert_webhook_url" in form.changed_data and partner.alert_webhook_url:
            wanted.append(CredentialPurpose.ALERT_WEBHOOK)  # the webhook's own signing secret (alerts.services)
        wanted = [p for p in wanted if not partner.credentials.filter(purpose=p, state=CredentialState.ACTIVE).exists()]
        if not wanted:
            return
        if not self.has_manage_credentials_permission(request):
            self.message_user(
                request,
                "The protocol or alert webhook is set but has no key; someone allowed to manage keys must issue one.",
                messages.WARNING,
            )
            return
        issued: dict[str, services.IssuedCredential] = {
            p: self.call_service(services.credential_issue, partner=partner, purpose=p, actor=request.user)
            for p in wanted
        }
        request.hub_issued = [issued_block(partner, issued, title=f"New keys of {partner.name}")]

    def response_add(self, request, obj, post_url_continue=None):
        blocks = getattr(request, "hub_issued", None)
        if blocks:
            return self.secrets_response(
                request,
                blocks,
                title="Partner created: copy its keys now",
                next_url=reverse("admin:tenants_partner_change", args=[obj.pk]),
            )
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        blocks = getattr(request, "hub_issued", None)
        if blocks:
            return self.secrets_response(
                request,
                blocks,
                title="Keys issued: copy them now",
                next_url=reverse("admin:tenants_partner_change", args=[obj.pk]),
            )
        return super().response_change(request, obj)

    # -- actions --------------------------------------------------------------

    @admin.action(description="Issue a new key…", permissions=["manage_credentials"], location=BOTH_LOCATIONS)
    def issue_keys(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            IssueKeyForm,
            action="issue_keys",
            title="Issue a new key",
            intro="A new active key is added next to the existing ones. Its secret is shown once.",
        )
        if page:
            return page
        with transaction.atomic():  # a failure to render the page takes the new keys back
            if not self.claim_submission(request, form):
                return None
            return self.issue_credentials(request, queryset, form.cleaned_data["purpose"])

    @admin.action(
        description="Rotate a key (grace period)…", permissions=["manage_credentials"], location=BOTH_LOCATIONS
    )
    def rotate_keys(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            RotateKeyForm,
            action="rotate_keys",
            title="Rotate a key",
            intro="A new key becomes active at once; the current one keeps verifying requests for the grace "
            "period, then stops. The new secret is shown once.",
        )
        if page:
            return page
        with transaction.atomic():  # a failure to render the page takes the new keys back
            if not self.claim_submission(request, form):
                return None
            return self.rotate_credentials(
                request,
                self._active_keys(request, queryset, form.cleaned_data["purpose"]),
                form.cleaned_data["grace_seconds"],
            )

    def _active_keys(self, request, queryset, purpose) -> Iterator[tuple[Credential, Partner]]:
        """Each partner's newest active ``purpose`` key, to rotate (a partner without one: a warning)."""
        for partner in queryset:
            current = (
                partner.credentials.filter(purpose=purpose, state=CredentialState.ACTIVE)
                .order_by("-created_at")
                .first()
            )
            if current is None:
                self.message_user(
                    request,
                    f"{partner}: no active {CredentialPurpose(purpose).label} to rotate; use “Issue a new key”.",
                    messages.WARNING,
                )
                continue
            current.partner = partner
            yield current, partner  # a refusal names the partner

    @admin.action(description="Revoke keys now…", permissions=["manage_credentials"], location=BOTH_LOCATIONS)
    def revoke_keys(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            RevokeKeyForm,
            action="revoke_keys",
            title="Revoke keys now",
            intro="Revoked keys stop verifying immediately, with no grace period.",
        )
        if page:
            return page
        purpose = form.cleaned_data.get("purpose")
        self.revoke_credentials(request, self._unrevoked_keys(queryset, purpose), form.cleaned_data.get("reason", ""))
        return None

    @staticmethod
    def _unrevoked_keys(queryset, purpose: str | None) -> Iterator[Credential]:
        """The partners' keys not revoked yet, of ``purpose`` (empty: every purpose)."""
        for partner in queryset:
            creds = partner.credentials.exclude(state=CredentialState.REVOKED)
            if purpose:
                creds = creds.filter(purpose=purpose)
            yield from creds

    @admin.action(description="Suspend…", permissions=["change_partner_status"], location=BOTH_LOCATIONS)
    def suspend_partners(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            SuspendForm,
            action="suspend_partners",
            title="Suspend partners",
            intro="A suspended partner's API calls are refused until it is activated again. Keys are kept.",
        )
        if page:
            return page
        self._set_status(
            request, queryset, services.partner_suspend, "suspended", reason=form.cleaned_data.get("reason", "")
        )
        return None

    @admin.action(description="Activate", permissions=["change_partner_status"], location=BOTH_LOCATIONS)
    def activate_partners(self, request, queryset):
        """A partner goes active (from onboarding or suspended) only after the go-live gate agrees: a passing
        certification run per protocol and active ExtCID (of the current code for its first go-live)."""
        self._set_status(request, queryset, services.partner_activate, "activated")
        return None

    @admin.action(
        description="Go live with an override…", permissions=["change_partner_status"], location=BOTH_LOCATIONS
    )
    def activate_partners_override(self, request, queryset):
        form, page = self.action_form_step(
            request,
            queryset,
            ActivateForm,
            action="activate_partners_override",
            title="Go live with an override",
            intro="A partner goes live (from onboarding or suspended) only after a passing certification run of "
            "each protocol and active ExtCID, of the current code the first time (Certify on the partner page). "
            "Without one, say why it may go live anyway: the reason is audited.",
        )
        if page:
            return page
        override = form.cleaned_data["override_reason"]
        self._set_status(request, queryset, services.partner_activate, "activated", override_reason=override)
        return None

    def _set_status(self, request, queryset, func, verb: str, reason: str = "", **extra) -> None:
        done = 0
        for partner in queryset:
            try:
                func(partner=partner, actor=request.user, reason=reason, **extra)
                done += 1
            except SERVICE_ERRORS as exc:
                self.report_failure(request, partner, exc)
        if done:
            self.message_user(request, f"{done} partner(s) {verb}.", messages.SUCCESS)
