"""The partner admin used by account managers.

Rules kept here:
- every write calls ``tenants.services`` with ``actor=request.user``; nothing is
  saved by the admin's own ``save()`` / ``delete()`` machinery;
- a plaintext secret exists only in the response that issued it (a
  ``TemplateResponse`` marked ``Cache-Control: no-store``): never in the
  session, the messages framework, the admin log or the database;
- account managers see only the partners they manage (``partners_visible_to``)
  and the ExtCIDs, keys and audit entries of those partners; superusers see all;
- a service's ``ValidationError`` / ``ApplicationError`` becomes a form error or
  an admin error message, never a 500.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from core.admin import (
    BOTH_LOCATIONS,
    SERVICE_ERRORS,
    ActionFormMixin,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    sync_instance,
)

from . import services
from .forms import (
    ActivateForm,
    ExtClientAdminForm,
    ExtClientForm,
    IssueKeyForm,
    PartnerAdminForm,
    RevokeKeyForm,
    RotateKeyForm,
    SuspendForm,
)
from .models import AuditLog, Credential, CredentialPurpose, CredentialState, ExtClient, Partner
from .selectors import partners_visible_to

SECRETS_TEMPLATE = "admin/tenants/credentials_issued.html"
ACTION_FORM_TEMPLATE = "admin/tenants/action_form.html"
ACTION_FORM_PREFIX = "keys"

# Partner fields an admin form may change through partner_update (status only via suspend/activate).
PARTNER_EDITABLE_FIELDS = tuple(f for f in services.PARTNER_FIELDS if f != "status")
EXT_CLIENT_EDITABLE_FIELDS = services.EXT_CLIENT_FIELDS

# Protocol key names, as the partner's integration guide spells them; True = a secret.
PROTOCOL_KEYS = (
    ("igspApiKey", False),
    ("igspSecretKey", True),
    ("igspHooksUrl", False),
    ("cID", False),
    ("apiKey", True),
    ("integrationApiKey", True),
    ("extCIDs", False),
    ("alertWebhookUrl", False),
    ("alertWebhookSecret", True),
)


def _visible_partner_ids(request):
    return partners_visible_to(request.user).values("pk")


# ------------------------------------------------------- secrets, shown once --


@dataclass
class IssuedBlock:
    """What one confirmation block shows: the protocol key names and their values."""

    partner: Partner
    title: str
    rows: list[tuple[str, str, bool]]
    payload_json: str
    credentials: list[Credential] = field(default_factory=list)
    note: str = ""


def issued_block(
    partner: Partner,
    issued: dict[str, services.IssuedCredential],
    *,
    title: str,
    note: str = "",
    ext_clients: list[ExtClient] | None = None,
) -> IssuedBlock:
    if ext_clients is None:
        ext_clients = list(partner.ext_clients.filter(is_active=True))
    payload = services.OnboardResult(partner=partner, ext_clients=ext_clients, credentials=issued).credentials_payload()
    if CredentialPurpose.INTEGRATION_API in issued and "cID" not in payload:
        payload["cID"] = str(partner.pk)
    rows = []
    for key, is_secret in PROTOCOL_KEYS:
        if key in payload:
            value = payload[key]
            rows.append((key, value if isinstance(value, str) else json.dumps(value), is_secret))
    return IssuedBlock(
        partner=partner,
        title=title,
        rows=rows,
        payload_json=json.dumps(payload, indent=2),
        credentials=[i.credential for i in issued.values()],
        note=note,
    )


class SecretsResponseMixin(ActionFormMixin):
    action_form_template = ACTION_FORM_TEMPLATE
    action_form_prefix = ACTION_FORM_PREFIX
    submission_claim = staticmethod(services.form_submission_claim)

    def secrets_response(self, request, blocks: list[IssuedBlock], *, title: str, next_url: str = ""):
        """The only page that ever shows the secrets: rendered now, never cached, never stored."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "blocks": blocks,
            "opts": self.opts,
            "next_url": next_url or reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "partners_url": reverse("admin:tenants_partner_changelist"),
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, SECRETS_TEMPLATE, context)
        # Render inside the caller's transaction: a failure rolls the keys back rather than losing them.
        response.render()
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def has_manage_credentials_permission(self, request, obj=None):
        return request.user.has_perm("tenants.manage_credentials")

    def has_change_partner_status_permission(self, request, obj=None):
        return request.user.has_perm("tenants.change_partner_status")

    def go_live_override(self, request, data) -> str:
        """The form's go-live override reason, from staff who may switch partners live only (others: ignored)."""
        if not self.has_change_partner_status_permission(request):
            return ""
        return (data.get("go_live_override") or "").strip()


def _rotation_note(old: Credential) -> str:
    if old.state == CredentialState.RETIRING and old.expires_at:
        return (
            f"The previous key (fingerprint {old.fingerprint}) keeps verifying until "
            f"{timezone.localtime(old.expires_at):%Y-%m-%d %H:%M %Z}; then it stops."
        )
    return f"The previous key (fingerprint {old.fingerprint}) is revoked."


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
class PartnerAdmin(ServiceAdminMixin, SecretsResponseMixin, admin.ModelAdmin):
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
        data = form.cleaned_data
        self.call_service(services.form_submission_claim, token=data.get("submission") or "", actor=request.user)
        ext_forms = [
            f for f in (ext_formset.forms if ext_formset is not None else []) if f.has_changed() and f.cleaned_data
        ]
        manager = data.get("account_manager") if request.user.is_superuser else request.user
        result = self.call_service(
            services.partner_onboard,
            name=data["name"],
            actor=request.user,
            igsp=bool(data.get("igsp_enabled")),
            public_api=bool(data.get("public_api_enabled")),
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
            status=data.get("status") or services.default_partner_status(),
            frame_origins=data.get("frame_origins") or [],
            go_live_override=self.go_live_override(request, data),
        )
        partner = result.partner
        if data.get("slug") and data["slug"] != partner.slug:
            partner = self.call_service(services.partner_update, partner=partner, actor=request.user, slug=data["slug"])
            result.partner = partner
        ext_formset_objects = ext_formset.new_objects if ext_formset is not None else []
        ext_formset_objects.extend(result.ext_clients)
        sync_instance(form.instance, partner)
        request._hub_issued = [
            issued_block(partner, result.credentials, title=f"Keys of {partner.name}", ext_clients=result.ext_clients)
        ]

    def _save_ext_clients(self, request, partner: Partner, formset, go_live_override: str = "") -> None:
        for f in formset.forms:
            if not f.has_changed() or not f.cleaned_data:
                continue
            data = f.cleaned_data
            label = f"ExtCID {data.get('ext_cid') or f.instance.ext_cid}"
            if f.instance.pk is None:
                ext = self.call_service(
                    services.ext_client_create,
                    label=label,
                    partner=partner,
                    actor=request.user,
                    ext_cid=data["ext_cid"],
                    base_url=data["base_url"],
                    name=data.get("name", ""),
                    currencies=data.get("currencies") or partner.currencies,
                    is_active=data.get("is_active", True),
                    go_live_override=go_live_override,
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
        issued = {
            p: self.call_service(services.credential_issue, partner=partner, purpose=p, actor=request.user)
            for p in wanted
        }
        request._hub_issued = [issued_block(partner, issued, title=f"New keys of {partner.name}")]

    def response_add(self, request, obj, post_url_continue=None):
        blocks = getattr(request, "_hub_issued", None)
        if blocks:
            return self.secrets_response(
                request,
                blocks,
                title="Partner created: copy its keys now",
                next_url=reverse("admin:tenants_partner_change", args=[obj.pk]),
            )
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        blocks = getattr(request, "_hub_issued", None)
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
            return self._issue_keys(request, queryset, form.cleaned_data["purpose"])

    def _issue_keys(self, request, queryset, purpose):
        blocks = []
        for partner in queryset:
            try:
                issued = services.credential_issue(partner=partner, purpose=purpose, actor=request.user)
            except SERVICE_ERRORS as exc:
                self.report_failure(request, partner, exc)
                continue
            blocks.append(
                issued_block(
                    partner, {purpose: issued}, title=f"{partner.name}: new {CredentialPurpose(purpose).label}"
                )
            )
        if not blocks:
            return None
        return self.secrets_response(request, blocks, title="New keys: copy them now")

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
            return self._rotate_keys(
                request, queryset, form.cleaned_data["purpose"], form.cleaned_data["grace_seconds"]
            )

    def _rotate_keys(self, request, queryset, purpose, grace):
        blocks = []
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
            try:
                issued = services.credential_rotate(credential=current, actor=request.user, grace_seconds=grace)
            except SERVICE_ERRORS as exc:
                self.report_failure(request, partner, exc)
                continue
            current.refresh_from_db(fields=["state", "expires_at"])
            blocks.append(
                issued_block(
                    partner,
                    {purpose: issued},
                    note=_rotation_note(current),
                    title=f"{partner.name}: rotated {CredentialPurpose(purpose).label}",
                )
            )
        if not blocks:
            return None
        return self.secrets_response(request, blocks, title="Rotated keys: copy them now")

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
        purpose, reason = form.cleaned_data.get("purpose"), form.cleaned_data.get("reason", "")
        revoked = 0
        for partner in queryset:
            creds = partner.credentials.exclude(state=CredentialState.REVOKED)
            if purpose:
                creds = creds.filter(purpose=purpose)
            for cred in creds:
                try:
                    services.credential_revoke(credential=cred, actor=request.user, reason=reason)
                    revoked += 1
                except SERVICE_ERRORS as exc:
                    self.report_failure(request, cred, exc)
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS if revoked else messages.WARNING)
        return None

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


# ------------------------------------------------------------------ ExtCIDs --


@admin.register(ExtClient)
class ExtClientAdmin(ServiceAdminMixin, SecretsResponseMixin, admin.ModelAdmin):
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
        qs = super().get_queryset(request).select_related("partner")
        if request.user.is_superuser:
            return qs
        return qs.filter(partner__in=_visible_partner_ids(request))

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
            saved = self.call_service(
                services.ext_client_create,
                partner=partner,
                actor=request.user,
                ext_cid=data["ext_cid"],
                base_url=data["base_url"],
                name=data.get("name", ""),
                currencies=data.get("currencies") or partner.currencies,
                is_active=data.get("is_active", True),
                go_live_override=override,
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


# -------------------------------------------------------------- credentials --


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdminMixin, SecretsResponseMixin, admin.ModelAdmin):
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
        qs = super().get_queryset(request).defer("secret_encrypted")
        if request.user.is_superuser:
            return qs
        return qs.filter(partner__in=_visible_partner_ids(request))

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
            return self._rotate(request, queryset, form.cleaned_data["grace_seconds"])

    def _rotate(self, request, queryset, grace):
        blocks = []
        for cred in queryset.select_related("partner"):
            try:
                issued = services.credential_rotate(credential=cred, actor=request.user, grace_seconds=grace)
            except SERVICE_ERRORS as exc:
                self.report_failure(request, cred, exc)
                continue
            cred.refresh_from_db(fields=["state", "expires_at"])
            blocks.append(
                issued_block(
                    cred.partner,
                    {cred.purpose: issued},
                    note=_rotation_note(cred),
                    title=f"{cred.partner.name}: rotated {cred.get_purpose_display()}",
                )
            )
        if not blocks:
            return None
        return self.secrets_response(request, blocks, title="Rotated keys: copy them now")

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
        revoked = 0
        for cred in queryset:
            try:
                services.credential_revoke(
                    credential=cred, actor=request.user, reason=form.cleaned_data.get("reason", "")
                )
                revoked += 1
            except SERVICE_ERRORS as exc:
                self.report_failure(request, cred, exc)
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS if revoked else messages.WARNING)
        return None


# ---------------------------------------------------------------- audit log --


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "partner", "object_type", "object_id", "changes_summary")
    list_filter = ("action", ("partner", admin.RelatedOnlyFieldListFilter), "object_type")
    list_select_related = ("partner",)
    search_fields = ("actor_label", "action", "object_id", "partner__name", "partner__slug")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "actor_label", "action", "partner", "object_type", "object_id", "changes_pretty")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(partner__in=_visible_partner_ids(request))

    @admin.display(description="changes")
    def changes_summary(self, obj: AuditLog) -> str:
        text = json.dumps(obj.changes, sort_keys=True, default=str)
        return text if len(text) <= 160 else text[:157] + "…"

    @admin.display(description="changes")
    def changes_pretty(self, obj: AuditLog):
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, sort_keys=True, indent=2, default=str))
