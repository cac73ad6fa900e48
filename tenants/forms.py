"""Forms of the partner admin: onboarding, ExtCIDs and the key actions.

Forms only validate; every write goes through ``tenants.services``.
"""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from core.admin import submission_field

from .models import CredentialPurpose, ExtClient, Partner, PartnerStatus
from .validators import (
    normalize_currency,
    normalize_origin,
    validate_cidr_list,
    validate_currency_code,
    validate_frame_origin,
    validate_test_player_id,
)

MAX_GRACE_SECONDS = 30 * 24 * 3600
_SPLIT_RE = re.compile(r"[\s,;]+")


class ListTextField(forms.Field):
    """A list of short strings typed as ``a, b c`` (commas, spaces or new lines separate items)."""

    widget = forms.TextInput

    def __init__(self, *, normalize=None, item_validators=(), **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.normalize = normalize
        self.item_validators = list(item_validators)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        items = value if isinstance(value, (list, tuple)) else _SPLIT_RE.split(value or "")
        out: list[str] = []
        for item in items:
            item = str(item).strip()
            if not item:
                continue
            if self.normalize:
                item = self.normalize(item)
            if item not in out:
                out.append(item)
        return out

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        return self.to_python(initial) != self.to_python(data)

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        errors = []
        for item in value or []:
            for validator in self.item_validators:
                try:
                    validator(item)
                except ValidationError as exc:
                    errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)


def _validate_cidr(item: str) -> None:
    validate_cidr_list([item])


def go_live_override_field() -> forms.CharField:
    return forms.CharField(
        label="Go-live override reason",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when this save puts something live without a passing certification run (the partner "
        "created active; on a live partner: an ExtCID added or activated, a protocol enabled): why it may serve "
        "players anyway. Recorded in the audit log. Leave empty to be refused instead.",
    )


class PartnerAdminForm(forms.ModelForm):
    # Rendered on the add form only; onboarding refuses a form without it (it issues keys).
    submission = submission_field(required=False)
    go_live_override = go_live_override_field()
    default_currency = forms.CharField(max_length=10, initial="USD", validators=[validate_currency_code])
    allowed_currencies = ListTextField(
        normalize=normalize_currency,
        item_validators=[validate_currency_code],
        help_text="Extra currency codes, separated by commas (e.g. EUR, USD, uBTC). Empty = the default only.",
    )
    ip_allowlist = ListTextField(
        label="Inbound IP allowlist",
        item_validators=[_validate_cidr],
        help_text="CIDRs allowed to call our APIs, separated by commas. Empty = any address.",
    )
    frame_origins = ListTextField(
        label="Game page embedding origins",
        normalize=normalize_origin,
        item_validators=[validate_frame_origin],
        help_text="The casino sites that embed the game page in an iframe (and receive its events), separated by "
        "commas: scheme, host and optional port only, e.g. https://casino.example, "
        "https://m.casino.example. Empty = only the hub's own pages (the demo lobby): set it before the "
        "partner goes live, or its iframes stay blank.",
    )

    certification_test_players = ListTextField(
        label="Certification test players",
        item_validators=[validate_test_player_id],
        help_text="The partner's test accounts (IGSP player ids, Public API sessionIDs), separated by commas. Once "
        "the partner is live, certification runs it starts through the API may only target these; runs started "
        "here are not limited.",
    )

    class Meta:
        model = Partner
        fields = [
            "name",
            "slug",
            "status",
            "account_manager",
            "igsp_enabled",
            "igsp_hooks_url",
            "public_api_enabled",
            "default_currency",
            "allowed_currencies",
            "ip_allowlist",
            "frame_origins",
            "alert_webhook_url",
            "certification_test_players",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        adding = self.instance._state.adding
        if "slug" in self.fields and adding:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Leave empty to derive it from the name."
        if "status" in self.fields:
            # A new partner starts onboarding or active; suspend/activate later with the actions.
            cast(forms.ChoiceField, self.fields["status"]).choices = [
                (PartnerStatus.ONBOARDING, PartnerStatus.ONBOARDING.label),
                (PartnerStatus.ACTIVE, PartnerStatus.ACTIVE.label),
            ]

    def clean_default_currency(self):
        return normalize_currency(self.cleaned_data["default_currency"])

    def clean_name(self):
        return (self.cleaned_data.get("name") or "").strip()

    def clean(self):
        cleaned = super().clean() or {}
        if "igsp_enabled" in self.fields and "public_api_enabled" in self.fields:
            igsp, public = cleaned.get("igsp_enabled"), cleaned.get("public_api_enabled")
            if not (igsp or public):
                self.add_error(None, "Enable at least one protocol (IGSP or Public API).")
            if igsp and not cleaned.get("igsp_hooks_url") and "igsp_hooks_url" not in self.errors:
                self.add_error("igsp_hooks_url", "IGSP partners need a hooks URL.")
        return cleaned


class ExtClientForm(forms.ModelForm):
    currencies = ListTextField(
        normalize=normalize_currency,
        item_validators=[validate_currency_code],
        help_text="Empty = the partner's currencies.",
    )

    class Meta:
        model = ExtClient
        fields = ["partner", "ext_cid", "name", "base_url", "is_active", "currencies"]

    def clean_ext_cid(self):
        return (self.cleaned_data.get("ext_cid") or "").strip()

    def clean_base_url(self):
        return (self.cleaned_data.get("base_url") or "").strip()


class ExtClientAdminForm(ExtClientForm):
    """The ExtCID page's form (not the partner page's inline, which uses the partner form's override)."""

    go_live_override = go_live_override_field()


# ------------------------------------------------------------ action forms --


class IssueKeyForm(forms.Form):
    purpose = forms.ChoiceField(choices=CredentialPurpose.choices, label="Key to issue")
    submission = submission_field()


class RotateKeyForm(forms.Form):
    purpose = forms.ChoiceField(choices=CredentialPurpose.choices, label="Key to rotate")
    grace_seconds = forms.IntegerField(
        label="Grace period (seconds)",
        min_value=0,
        max_value=MAX_GRACE_SECONDS,
        help_text="The old key keeps verifying requests for this long (3600 = 1 hour, 86400 = 24 hours). "
        "0 revokes it immediately.",
    )
    submission = submission_field()

    def __init__(self, *args, with_purpose: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grace_seconds"].initial = settings.HUB_KEY_GRACE_SECONDS
        if not with_purpose:
            del self.fields["purpose"]


class RevokeKeyForm(forms.Form):
    purpose = forms.ChoiceField(
        choices=[("", "Every key of the partner"), *CredentialPurpose.choices],
        required=False,
        label="Keys to revoke",
    )
    reason = forms.CharField(max_length=200, required=False)
    confirm = forms.BooleanField(
        label="Yes, revoke now: requests signed with these keys fail from this moment.",
        required=True,
    )

    def __init__(self, *args, with_purpose: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_purpose:
            del self.fields["purpose"]


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)
    confirm = forms.BooleanField(
        label="Yes, suspend: the hub refuses the partner's API calls until it is activated again.",
        required=True,
    )


class ActivateForm(forms.Form):
    override_reason = forms.CharField(
        label="Go-live override reason",
        max_length=500,
        required=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this may go live without a passing certification run. Recorded in the audit log.",
    )
