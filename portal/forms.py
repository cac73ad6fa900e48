"""The portal's "Start a certification run" form: the partner's own protocols, currencies and ExtCIDs only.

It checks shapes; ``certification.services.run_start`` decides the rest (the test player, the per-partner limits)."""

from __future__ import annotations

from typing import cast

from django import forms

from certification.cases import GROUPS
from certification.models import RunProtocol
from certification.selectors import Targets
from tenants.models import Partner


class PortalCertifyForm(forms.Form):
    protocol = forms.ChoiceField(label="Protocol")
    currency = forms.ChoiceField(label="Currency", help_text="The test player's wallet currency.")
    player_id = forms.CharField(
        label="Test player id (IGSP)", max_length=255, required=False, help_text="The player you created for us."
    )
    session_id = forms.CharField(
        label="Test sessionID (Public API)",
        max_length=255,
        required=False,
        help_text="The test player's sessionID on your side.",
    )
    ext_cid = forms.ChoiceField(label="ExtCID (Public API)", required=False)
    groups = forms.MultipleChoiceField(
        label="Case groups",
        choices=[(g, g) for g in GROUPS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: a full run (only a full run certifies you for going live).",
    )

    def __init__(self, *args, partner: Partner, targets: Targets, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(RunProtocol.choices)
        cast(forms.ChoiceField, self.fields["protocol"]).choices = [(p, labels[p]) for p in targets.protocols]
        cast(forms.ChoiceField, self.fields["currency"]).choices = [(c, c) for c in partner.currencies]
        cast(forms.ChoiceField, self.fields["ext_cid"]).choices = [(e, e) for e in targets.ext_cids]
        if not self.is_bound:
            self.initial.setdefault("currency", partner.default_currency)

    def clean(self):
        data = super().clean() or {}
        protocol = data.get("protocol")
        if protocol == RunProtocol.IGSP and not (data.get("player_id") or "").strip():
            self.add_error("player_id", "Name the test player you created for certification.")
        if protocol == RunProtocol.PUBLIC_API and not (data.get("session_id") or "").strip():
            self.add_error("session_id", "Name the test player's sessionID.")
        return data
