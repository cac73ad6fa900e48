from django import forms

from .cases import GROUPS
from .models import RunProtocol


class CertifyForm(forms.Form):
    protocol = forms.ChoiceField(choices=RunProtocol.choices)
    currency = forms.CharField(max_length=12, help_text="One of the partner's currencies; the test player's wallet.")
    player_id = forms.CharField(
        max_length=255, required=False, help_text="IGSP: the test player the partner created for certification."
    )
    session_id = forms.CharField(
        max_length=255, required=False, help_text="Public API: the test player's sessionID on the partner's side."
    )
    ext_cid = forms.CharField(max_length=100, required=False, help_text="Public API: the ExtCID (default: the first).")
    groups = forms.MultipleChoiceField(
        choices=[(g, g) for g in GROUPS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for a full run (only a full run certifies for going live).",
    )
