"""``tenants.services.partner_onboard``: a new partner with its ExtCIDs and keys in one transaction, the chosen
slug, a form's one-time token claimed with it, and a refusal that leaves nothing behind (not even the token)."""

from __future__ import annotations

import secrets

import pytest
from django.core.exceptions import ValidationError

from core.errors import ApplicationError, Conflict
from tenants import services
from tenants.models import AuditLog, Credential, CredentialPurpose, ExtClient, FormSubmission, Partner, PartnerStatus

pytestmark = pytest.mark.django_db


def onboard(**overrides):
    kwargs = {
        "name": "Acme Casino",
        "actor": "test",
        "igsp": True,
        "public_api": True,
        "default_currency": "eur",
        "allowed_currencies": ["usd"],
        "igsp_hooks_url": "https://hooks.acme.example/igsp",
        "ext_clients": [{"ext_cid": "acme-brand", "base_url": "https://wallet.acme.example/api"}],
        **overrides,
    }
    return services.partner_onboard(**kwargs)


def assert_nothing_written() -> None:
    assert (Partner.objects.count(), ExtClient.objects.count(), Credential.objects.count()) == (0, 0, 0)
    assert AuditLog.objects.count() == 0
    assert FormSubmission.objects.count() == 0


def test_onboarding_creates_the_partner_its_extcids_and_the_keys_of_its_protocols(settings):
    settings.HUB_CERTIFICATION_GATE = True
    result = onboard(
        ext_clients=[
            {"ext_cid": "acme-brand", "base_url": "https://wallet.acme.example/api"},
            {
                "ext_cid": "acme-dark",
                "base_url": "https://dark.acme.example/api",
                "name": "Dark brand",
                "currencies": ["eur"],
                "is_active": False,
            },
        ]
    )

    partner = Partner.objects.get()
    assert result.partner == partner
    assert partner.slug == "acme-casino"
    assert partner.status == PartnerStatus.ONBOARDING  # the gate is on: live after a passing certification run
    assert (partner.default_currency, partner.allowed_currencies) == ("EUR", ["USD"])
    brand, dark = (ExtClient.objects.get(ext_cid=e) for e in ("acme-brand", "acme-dark"))
    assert (brand.name, brand.currencies, brand.is_active) == ("", ["EUR", "USD"], True)  # the partner's currencies
    assert (dark.name, dark.currencies, dark.is_active) == ("Dark brand", ["EUR"], False)
    assert [e.pk for e in result.ext_clients] == [brand.pk, dark.pk]
    assert set(result.credentials) == {
        CredentialPurpose.IGSP,
        CredentialPurpose.CORE_API,
        CredentialPurpose.INTEGRATION_API,
    }
    assert set(partner.credentials.values_list("purpose", flat=True)) == set(result.credentials)
    payload = result.credentials_payload()
    assert payload["igspSecretKey"] == result.credentials[CredentialPurpose.IGSP].secret
    assert payload["extCIDs"] == [
        {"extCID": "acme-brand", "baseUrl": "https://wallet.acme.example/api"},
        {"extCID": "acme-dark", "baseUrl": "https://dark.acme.example/api"},
    ]
    actions = sorted(AuditLog.objects.filter(partner=partner).values_list("action", flat=True))
    assert actions == ["credential.issue"] * 3 + ["extclient.create"] * 2 + ["partner.create"]


def test_a_chosen_slug_is_the_partners_from_its_creation():
    result = onboard(slug="acme-main")

    assert Partner.objects.get().slug == "acme-main" == result.partner.slug
    created = AuditLog.objects.get(action="partner.create")
    assert created.changes["slug"] == "acme-main"
    assert not AuditLog.objects.filter(action="partner.update").exists()


def test_a_taken_slug_is_refused_and_nothing_is_written():
    onboard(name="First", slug="acme-main", public_api=False, ext_clients=[])
    before = (Partner.objects.count(), Credential.objects.count(), AuditLog.objects.count())

    with pytest.raises(ValidationError) as refused:
        onboard(slug="acme-main")

    assert "slug" in refused.value.message_dict
    assert (Partner.objects.count(), Credential.objects.count(), AuditLog.objects.count()) == before


def test_a_forms_token_is_claimed_with_the_partner_and_a_second_post_onboards_nothing():
    token = secrets.token_urlsafe(24)
    onboard(submission_token=token)
    assert FormSubmission.objects.filter(token=token).count() == 1

    with pytest.raises(Conflict) as again:  # the browser re-posts the same form
        onboard(name="Acme Casino again", submission_token=token)

    assert again.value.code == "already_submitted"
    assert list(Partner.objects.values_list("name", flat=True)) == ["Acme Casino"]
    assert Credential.objects.count() == 3


def test_a_form_without_its_token_is_refused_but_no_token_is_needed_outside_a_form():
    with pytest.raises(ApplicationError) as missing:
        onboard(submission_token="")
    assert missing.value.code == "submission_token_missing"
    assert_nothing_written()

    onboard()  # the API, the command and scripts: no form, no token

    assert Partner.objects.count() == 1
    assert FormSubmission.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"igsp": False, "public_api": False}, "Enable at least one protocol"),
        ({"igsp_hooks_url": ""}, "IGSP partners need a hooks URL"),
        ({"ext_clients": []}, "Public API partners need at least one ExtCID"),
    ],
)
def test_a_refusal_leaves_nothing_behind_and_the_form_may_be_sent_again(overrides, error):
    token = secrets.token_urlsafe(24)

    with pytest.raises(ApplicationError, match=error):
        onboard(submission_token=token, **overrides)

    assert_nothing_written()  # the token too: the corrected form is accepted
    onboard(submission_token=token)
    assert Partner.objects.count() == 1


def test_a_taken_extcid_rolls_the_whole_partner_back():
    onboard(name="First", slug="first")
    before = (Partner.objects.count(), ExtClient.objects.count(), Credential.objects.count())

    with pytest.raises(Conflict) as taken:
        onboard(name="Second")

    assert taken.value.code == "ext_cid_taken"
    assert (Partner.objects.count(), ExtClient.objects.count(), Credential.objects.count()) == before
