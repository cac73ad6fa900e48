"""The partner admin: onboarding with keys shown once, key actions, validation, read-only audit."""

from __future__ import annotations

import secrets
from datetime import timedelta
from unittest import mock

import pytest
from django import forms
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError, Conflict
from tenants import crypto, selectors
from tenants.models import AuditLog, Credential, CredentialPurpose, CredentialState, ExtClient, Partner, PartnerStatus

pytestmark = pytest.mark.django_db

SECRETS_TEMPLATE = "admin/tenants/credentials_issued.html"
ACTION_TEMPLATE = "admin/tenants/action_form.html"
ONCE_WARNING = "Copy now, it will not be shown again."


# ----------------------------------------------------------------- helpers --


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:tenants_{model}_{view}", args=args)


def onboarding_data(**overrides) -> dict:
    """POST data of the partner add form with one ExtCID; a value of None drops the key (unchecks a box)."""
    data = {
        "name": "Acme Casino",
        "slug": "",
        "status": "active",
        "igsp_enabled": "on",
        "igsp_hooks_url": "https://hooks.acme.example/igsp",
        "public_api_enabled": "on",
        "default_currency": "eur",
        "allowed_currencies": "USD, gbp",
        "ip_allowlist": "203.0.113.0/24",
        "ext_clients-TOTAL_FORMS": "1",
        "ext_clients-INITIAL_FORMS": "0",
        "ext_clients-MIN_NUM_FORMS": "0",
        "ext_clients-MAX_NUM_FORMS": "1000",
        "ext_clients-0-ext_cid": "acme-brand",
        "ext_clients-0-name": "Acme brand",
        "ext_clients-0-base_url": "https://wallet.acme.example/api",
        "ext_clients-0-is_active": "on",
        "ext_clients-0-currencies": "",
        "submission": secrets.token_urlsafe(24),  # the add form's one-time token, as rendered
        "_save": "Save",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def change_form_data(response) -> dict:
    """The POST data a browser would send back unchanged from a rendered admin change form (with inlines)."""
    data: dict = {}

    def add_form(form):
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            value = form[name].value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
                continue
            prepared = field.prepare_value(value)
            data[key] = "" if prepared is None else str(prepared)

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for form in formset.forms:
            add_form(form)
    data["_save"] = "Save"
    return data


def run_action(client, model: str, action: str, pks, **form_fields):
    """First click on an action in the changelist (the admin's own POST, with "index")."""
    data = {"action": action, "_selected_action": [str(pk) for pk in pks], "index": "0", **form_fields}
    return client.post(url(model, "changelist"), data)


def apply_action(client, model: str, action: str, pks, **form_fields):
    """Submit an action's intermediate form (what action_form.html posts)."""
    data = {
        "action": action,
        "_selected_action": [str(pk) for pk in pks],
        "apply": "1",
        "keys-submission": secrets.token_urlsafe(24),
    }  # the form's one-time token, as rendered
    data.update({f"keys-{name}": value for name, value in form_fields.items()})
    return client.post(url(model, "changelist"), data)


def plaintext(cred: Credential) -> str:
    return crypto.decrypt_secret(cred.secret_encrypted)


def template_names(response) -> list[str]:
    return [t.name for t in response.templates]


def assert_shown_once_page(response) -> str:
    assert response.status_code == 200
    assert SECRETS_TEMPLATE in template_names(response)
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    body = response.content.decode()
    assert ONCE_WARNING in body
    return body


def assert_not_in_messages(response, secrets) -> None:
    texts = [str(m) for m in response.wsgi_request._messages]
    for secret in secrets:
        assert all(secret not in t for t in texts)


def assert_not_stored(secrets) -> None:
    """No table holds a plaintext secret; decoded sessions neither."""
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - the database's own table names
            dump = repr(cursor.fetchall())
            for secret in secrets:
                assert secret not in dump, f"plaintext secret found in table {table}"
    for session in Session.objects.all():
        decoded = repr(session.get_decoded())
        for secret in secrets:
            assert secret not in decoded


def assert_pages_hide(client, urls, secrets) -> None:
    for page in urls:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, f"secret shown again on {page}"


def later_pages(partner: Partner) -> list[str]:
    pages = [
        reverse("admin:index"),
        url("partner", "changelist"),
        url("partner", "change", partner.pk),
        url("partner", "history", partner.pk),
        url("credential", "changelist"),
        url("extclient", "changelist"),
        url("auditlog", "changelist"),
    ]
    pages += [url("credential", "change", c.pk) for c in partner.credentials.all()]
    pages += [url("auditlog", "change", e.pk) for e in AuditLog.objects.filter(partner=partner)]
    return pages


# --------------------------------------------------------------- onboarding --


def test_onboarding_issues_keys_and_shows_each_secret_once(admin_client, admin_user):
    response = admin_client.post(url("partner", "add"), onboarding_data(account_manager=str(admin_user.pk)))

    body = assert_shown_once_page(response)
    partner = Partner.objects.get(name="Acme Casino")
    creds = {c.purpose: c for c in partner.credentials.all()}
    assert set(creds) == {CredentialPurpose.IGSP, CredentialPurpose.CORE_API, CredentialPurpose.INTEGRATION_API}
    assert all(c.state == CredentialState.ACTIVE and c.created_by == admin_user for c in creds.values())
    secrets = [plaintext(c) for c in creds.values()]
    for key in ("igspApiKey", "igspSecretKey", "cID", "apiKey", "integrationApiKey", "extCIDs"):
        assert key in body
    for secret in secrets:
        assert secret in body
    assert creds[CredentialPurpose.IGSP].public_id in body
    assert str(partner.pk) in body
    assert "acme-brand" in body
    assert_not_in_messages(response, secrets)

    # what was written, all through the services
    assert partner.status == PartnerStatus.ACTIVE
    assert partner.account_manager == admin_user
    assert partner.default_currency == "EUR"
    assert partner.allowed_currencies == ["USD", "GBP"]
    assert partner.ip_allowlist == ["203.0.113.0/24"]
    assert partner.slug == "acme-casino"
    ext = partner.ext_clients.get()
    assert (ext.ext_cid, ext.base_url, ext.is_active) == ("acme-brand", "https://wallet.acme.example/api", True)
    actions = sorted(AuditLog.objects.filter(partner=partner).values_list("action", flat=True))
    assert actions == ["credential.issue"] * 3 + ["extclient.create", "partner.create"]
    assert set(AuditLog.objects.values_list("actor_label", flat=True)) == {admin_user.get_username()}

    # never again, and never stored in plaintext
    assert_pages_hide(admin_client, later_pages(partner), secrets)
    listing = admin_client.get(url("credential", "changelist")).content.decode()
    assert all(c.fingerprint in listing for c in creds.values())
    assert_not_stored(secrets)


def test_refreshing_the_keys_page_does_not_onboard_twice_or_rotate_twice(admin_client, igsp_partner):
    data = onboarding_data(name="Refresh Casino", public_api_enabled=None, **{"ext_clients-TOTAL_FORMS": "0"})
    first = admin_client.post(url("partner", "add"), data)
    assert_shown_once_page(first)
    again = admin_client.post(url("partner", "add"), data)  # the browser re-posts the same form
    assert again.status_code == 200
    assert "already submitted" in again.content.decode()
    assert Partner.objects.filter(name="Refresh Casino").count() == 1
    partner = Partner.objects.get(name="Refresh Casino")
    assert partner.credentials.count() == 1
    assert plaintext(partner.credentials.get()) not in again.content.decode()
    # A form without its token (not rendered by us) is refused too.
    missing = admin_client.post(
        url("partner", "add"), onboarding_data(name="Tokenless", submission=None, public_api_enabled=None)
    )
    assert "no submission token" in missing.content.decode()
    assert not Partner.objects.filter(name="Tokenless").exists()
    # The same for a key action's confirmation page.
    token = secrets.token_urlsafe(24)
    fields = {"purpose": "igsp", "grace_seconds": "3600", "submission": token}
    assert_shown_once_page(apply_action(admin_client, "partner", "rotate_keys", [igsp_partner.pk], **fields))
    again = apply_action(admin_client, "partner", "rotate_keys", [igsp_partner.pk], **fields)
    assert again.status_code == 302
    assert Credential.objects.filter(partner=igsp_partner).count() == 2  # one rotation, not two
    messages = [str(m) for m in again.wsgi_request._messages]
    assert any("already submitted" in m for m in messages)


def test_onboarding_public_api_only_with_chosen_slug(admin_client):
    response = admin_client.post(
        url("partner", "add"),
        onboarding_data(igsp_enabled=None, igsp_hooks_url="", slug="acme-main", status="onboarding"),
    )

    body = assert_shown_once_page(response)
    partner = Partner.objects.get(slug="acme-main")
    assert partner.status == PartnerStatus.ONBOARDING
    assert set(partner.credentials.values_list("purpose", flat=True)) == {"core_api", "integration_api"}
    assert "igspSecretKey" not in body
    assert "integrationApiKey" in body


def test_onboarding_accepts_http_loopback_in_development(admin_client, settings):
    settings.HUB_ALLOW_HTTP_LOOPBACK = True
    response = admin_client.post(
        url("partner", "add"),
        onboarding_data(
            igsp_hooks_url="http://127.0.0.1:8001/igsp", **{"ext_clients-0-base_url": "http://localhost:8001/api"}
        ),
    )

    assert_shown_once_page(response)
    assert Partner.objects.get().igsp_hooks_url == "http://127.0.0.1:8001/igsp"


def _assert_nothing_written():
    assert Partner.objects.count() == 0
    assert ExtClient.objects.count() == 0
    assert Credential.objects.count() == 0
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"igsp_hooks_url": "http://hooks.acme.example/igsp"}, "must use https"),
        ({"igsp_hooks_url": "https://user:pw@hooks.acme.example/igsp"}, "must not contain credentials"),
        ({"ext_clients-0-base_url": "http://wallet.acme.example/api"}, "must use https"),
        ({"ext_clients-0-base_url": "https://user:pw@wallet.acme.example/api"}, "must not contain credentials"),
        ({"ext_clients-0-base_url": "ftp://wallet.acme.example/api"}, "The URL must use https."),
        ({"ip_allowlist": "10.0.0.0/8, not-a-cidr"}, "not-a-cidr is not a valid IP address or CIDR"),
        ({"default_currency": "E"}, "is not a currency code"),
        ({"igsp_enabled": None, "public_api_enabled": None}, "Enable at least one protocol"),
        ({"igsp_hooks_url": ""}, "IGSP partners need a hooks URL"),
    ],
)
def test_onboarding_rejects_bad_input_as_form_errors(admin_client, overrides, error):
    response = admin_client.post(url("partner", "add"), onboarding_data(**overrides))

    assert response.status_code == 200
    assert SECRETS_TEMPLATE not in template_names(response)
    assert error in response.content.decode()
    _assert_nothing_written()


def test_onboarding_service_refusal_is_a_form_error(admin_client):
    """partner_onboard itself refuses (Public API without ExtCID): a form error, not a 500."""
    response = admin_client.post(
        url("partner", "add"),
        onboarding_data(
            igsp_enabled=None, **{"ext_clients-0-ext_cid": "", "ext_clients-0-name": "", "ext_clients-0-base_url": ""}
        ),
    )

    assert response.status_code == 200
    assert "Public API partners need at least one ExtCID" in response.content.decode()
    assert "errornote" in response.content.decode()
    _assert_nothing_written()


def test_onboarding_failure_after_partial_writes_rolls_everything_back(admin_client):
    with mock.patch(
        "tenants.services.onboarding.credential_issue", side_effect=ApplicationError("Key vault unavailable.")
    ):
        response = admin_client.post(url("partner", "add"), onboarding_data())

    assert response.status_code == 200
    assert "Key vault unavailable." in response.content.decode()
    _assert_nothing_written()


def test_onboarding_ext_cid_taken_is_a_form_error(admin_client, public_partner):
    response = admin_client.post(url("partner", "add"), onboarding_data(**{"ext_clients-0-ext_cid": "brand-one"}))

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Partner.objects.filter(name="Acme Casino").exists()


# ----------------------------------------------------------- partner change --


def test_change_partner_goes_through_service_with_actor(admin_client, admin_user, igsp_partner):
    page = admin_client.get(url("partner", "change", igsp_partner.pk))
    assert page.status_code == 200
    data = change_form_data(page)
    assert "Concurrent payout calls" in page.content.decode()
    data.update(name="Lucky Platform Ltd", allowed_currencies="USD, GBP", max_in_flight="8")

    response = admin_client.post(url("partner", "change", igsp_partner.pk), data)

    assert response.status_code == 302
    igsp_partner.refresh_from_db()
    assert igsp_partner.name == "Lucky Platform Ltd"
    assert igsp_partner.allowed_currencies == ["USD", "GBP"]
    assert igsp_partner.max_in_flight == 8
    entry = AuditLog.objects.get(action="partner.update")
    assert entry.actor == admin_user
    assert entry.partner == igsp_partner
    assert entry.changes["name"] == {"from": "Lucky Platform", "to": "Lucky Platform Ltd"}
    assert entry.changes["max_in_flight"] == {"from": None, "to": 8}


@pytest.mark.parametrize(
    ("bad_url", "error"),
    [
        ("http://hooks.lucky.example/igsp", "must use https"),
        ("https://admin:secret@hooks.lucky.example/igsp", "must not contain credentials"),
        ("ftp://hooks.lucky.example/igsp", "The URL must use https."),
    ],
)
def test_change_partner_rejects_bad_url_and_writes_nothing(admin_client, igsp_partner, bad_url, error):
    data = change_form_data(admin_client.get(url("partner", "change", igsp_partner.pk)))
    data["igsp_hooks_url"] = bad_url
    audit_before = AuditLog.objects.count()

    response = admin_client.post(url("partner", "change", igsp_partner.pk), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    igsp_partner.refresh_from_db()
    assert igsp_partner.igsp_hooks_url == "https://hooks.lucky.example/igsp"
    assert AuditLog.objects.count() == audit_before


def test_change_partner_service_conflict_is_a_form_error(admin_client, igsp_partner):
    data = change_form_data(admin_client.get(url("partner", "change", igsp_partner.pk)))
    data["name"] = "Renamed"
    with mock.patch("tenants.services.partner_update", side_effect=Conflict("Someone else changed it.")):
        response = admin_client.post(url("partner", "change", igsp_partner.pk), data)

    assert response.status_code == 200
    assert "Someone else changed it." in response.content.decode()
    igsp_partner.refresh_from_db()
    assert igsp_partner.name == "Lucky Platform"


def test_add_and_edit_ext_cids_inline(admin_client, public_partner):
    data = change_form_data(admin_client.get(url("partner", "change", public_partner.pk)))
    total = int(data["ext_clients-TOTAL_FORMS"])
    new = f"ext_clients-{total - 1}"  # the empty extra form
    data.update(
        {
            f"{new}-ext_cid": "brand-two",
            f"{new}-base_url": "https://wallet.brand-two.example/api",
            f"{new}-currencies": "EUR",
        }
    )
    data.pop("ext_clients-0-is_active")  # deactivate brand-one

    response = admin_client.post(url("partner", "change", public_partner.pk), data)

    assert response.status_code == 302
    assert public_partner.ext_clients.get(ext_cid="brand-two").currencies == ["EUR"]
    assert public_partner.ext_clients.get(ext_cid="brand-one").is_active is False
    assert AuditLog.objects.filter(action="extclient.create", object_type="extclient").count() == 2
    assert AuditLog.objects.filter(action="extclient.update").count() == 1


def test_inline_ext_cid_with_bad_base_url_writes_nothing(admin_client, public_partner):
    data = change_form_data(admin_client.get(url("partner", "change", public_partner.pk)))
    data["ext_clients-0-base_url"] = "ftp://wallet.brand-one.example/api"
    data["name"] = "Renamed"

    response = admin_client.post(url("partner", "change", public_partner.pk), data)

    assert response.status_code == 200
    assert "The URL must use https." in response.content.decode()
    public_partner.refresh_from_db()
    assert public_partner.name == "Swipe Aggregator"
    assert public_partner.ext_clients.get().base_url == "https://wallet.brand-one.example/api"


def test_enabling_a_protocol_issues_its_keys_once(admin_client, igsp_partner):
    data = change_form_data(admin_client.get(url("partner", "change", igsp_partner.pk)))
    data["public_api_enabled"] = "on"
    new = f"ext_clients-{int(data['ext_clients-TOTAL_FORMS']) - 1}"
    data.update({f"{new}-ext_cid": "lucky-one", f"{new}-base_url": "https://wallet.lucky.example/api"})

    response = admin_client.post(url("partner", "change", igsp_partner.pk), data)

    body = assert_shown_once_page(response)
    core = igsp_partner.credentials.get(purpose=CredentialPurpose.CORE_API)
    integration = igsp_partner.credentials.get(purpose=CredentialPurpose.INTEGRATION_API)
    assert plaintext(core) in body
    assert plaintext(integration) in body
    assert "lucky-one" in body
    assert igsp_partner.secret not in body  # the existing IGSP key is not shown
    assert_pages_hide(admin_client, later_pages(igsp_partner), [plaintext(core), plaintext(integration)])


# ------------------------------------------------------------- key actions --


def test_issue_key_action_shows_new_secret_once(admin_client, public_partner):
    first = run_action(admin_client, "partner", "issue_keys", [public_partner.pk])
    assert first.status_code == 200
    assert ACTION_TEMPLATE in template_names(first)

    response = apply_action(admin_client, "partner", "issue_keys", [public_partner.pk], purpose="core_api")

    body = assert_shown_once_page(response)
    new = public_partner.credentials.filter(purpose="core_api").order_by("-created_at").first()
    assert new.pk != public_partner.core_credential.pk
    assert new.state == CredentialState.ACTIVE
    assert plaintext(new) in body
    assert "apiKey" in body
    assert public_partner.api_key not in body
    assert_pages_hide(admin_client, later_pages(public_partner), [plaintext(new)])


def test_rotate_partner_key_old_retiring_for_grace_new_active_shown_once(admin_client, admin_user, igsp_partner):
    old = igsp_partner.credential
    first = run_action(admin_client, "partner", "rotate_keys", [igsp_partner.pk])
    assert first.status_code == 200
    assert "Grace period" in first.content.decode()
    assert Credential.objects.filter(partner=igsp_partner).count() == 1  # nothing happens before confirming

    before = timezone.now()
    response = apply_action(
        admin_client, "partner", "rotate_keys", [igsp_partner.pk], purpose="igsp", grace_seconds="3600"
    )

    body = assert_shown_once_page(response)
    old.refresh_from_db()
    assert old.state == CredentialState.RETIRING
    assert abs((old.expires_at - (before + timedelta(seconds=3600))).total_seconds()) < 10
    new = Credential.objects.get(partner=igsp_partner, state=CredentialState.ACTIVE)
    new_secret = plaintext(new)
    assert new_secret in body
    assert new.public_id in body
    assert "igspSecretKey" in body
    assert igsp_partner.secret not in body
    assert {k.credential.pk for k in selectors.partner_verifying_keys(partner=igsp_partner, purpose="igsp")} == {
        old.pk,
        new.pk,
    }
    entry = AuditLog.objects.get(action="credential.rotate")
    assert entry.actor == admin_user
    assert entry.changes["grace_seconds"] == 3600
    assert_not_in_messages(response, [new_secret])
    assert_pages_hide(admin_client, later_pages(igsp_partner), [new_secret, igsp_partner.secret])
    assert_not_stored([new_secret, igsp_partner.secret])


def test_rotate_credential_action_defaults_to_configured_grace(admin_client, igsp_partner, settings):
    settings.HUB_KEY_GRACE_SECONDS = 7200
    old = igsp_partner.credential
    first = run_action(admin_client, "credential", "rotate", [old.pk])
    assert first.status_code == 200
    assert 'value="7200"' in first.content.decode()

    before = timezone.now()
    response = apply_action(admin_client, "credential", "rotate", [old.pk], grace_seconds="7200")

    body = assert_shown_once_page(response)
    old.refresh_from_db()
    assert old.state == CredentialState.RETIRING
    assert abs((old.expires_at - (before + timedelta(seconds=7200))).total_seconds()) < 10
    new = Credential.objects.get(partner=igsp_partner, state=CredentialState.ACTIVE)
    assert plaintext(new) in body
    assert_pages_hide(admin_client, later_pages(igsp_partner), [plaintext(new)])


def test_rotate_with_zero_grace_revokes_old_key(admin_client, igsp_partner):
    response = apply_action(admin_client, "credential", "rotate", [igsp_partner.credential.pk], grace_seconds="0")

    assert_shown_once_page(response)
    igsp_partner.credential.refresh_from_db()
    assert igsp_partner.credential.state == CredentialState.REVOKED


def test_rotate_revoked_key_is_an_error_message_not_500(admin_client, igsp_partner):
    Credential.objects.filter(pk=igsp_partner.credential.pk).update(state=CredentialState.REVOKED)

    response = apply_action(admin_client, "credential", "rotate", [igsp_partner.credential.pk], grace_seconds="60")

    assert response.status_code == 302
    follow = admin_client.get(response["Location"])
    assert "A revoked key cannot be rotated" in follow.content.decode()
    assert Credential.objects.filter(partner=igsp_partner).count() == 1


def test_rotating_a_retiring_key_in_the_admin_is_refused_and_keeps_its_expiry(admin_client, igsp_partner):
    old = igsp_partner.credential
    assert_shown_once_page(apply_action(admin_client, "credential", "rotate", [old.pk], grace_seconds="3600"))
    old.refresh_from_db()
    assert old.state == CredentialState.RETIRING
    expires_at = old.expires_at

    response = apply_action(admin_client, "credential", "rotate", [old.pk], grace_seconds="2592000")

    assert response.status_code == 302
    assert SECRETS_TEMPLATE not in template_names(response)
    assert "already retiring" in admin_client.get(response["Location"]).content.decode()
    old.refresh_from_db()
    assert (old.state, old.expires_at) == (CredentialState.RETIRING, expires_at)
    assert Credential.objects.filter(partner=igsp_partner).count() == 2  # the first rotation's key only


def test_revoke_credential_requires_confirmation_then_revokes(admin_client, admin_user, igsp_partner):
    cred = igsp_partner.credential
    unconfirmed = apply_action(admin_client, "credential", "revoke", [cred.pk], reason="leaked")
    assert unconfirmed.status_code == 200
    assert ACTION_TEMPLATE in template_names(unconfirmed)
    cred.refresh_from_db()
    assert cred.state == CredentialState.ACTIVE

    response = apply_action(admin_client, "credential", "revoke", [cred.pk], reason="leaked", confirm="on")

    assert response.status_code == 302
    cred.refresh_from_db()
    assert cred.state == CredentialState.REVOKED
    assert cred.revoked_at is not None
    assert selectors.partner_verifying_keys(partner=igsp_partner, purpose="igsp") == []
    entry = AuditLog.objects.get(action="credential.revoke")
    assert entry.actor == admin_user
    assert entry.changes["reason"] == "leaked"


def test_revoke_partner_keys_by_purpose(admin_client, public_partner):
    response = apply_action(
        admin_client, "partner", "revoke_keys", [public_partner.pk], purpose="core_api", confirm="on"
    )

    assert response.status_code == 302
    states = dict(public_partner.credentials.values_list("purpose", "state"))
    assert states == {"core_api": "revoked", "integration_api": "active"}


def test_suspend_and_activate_partner_with_audit(admin_client, admin_user, igsp_partner):
    first = run_action(admin_client, "partner", "suspend_partners", [igsp_partner.pk])
    assert first.status_code == 200
    assert ACTION_TEMPLATE in template_names(first)

    response = apply_action(
        admin_client, "partner", "suspend_partners", [igsp_partner.pk], reason="unpaid invoices", confirm="on"
    )
    assert response.status_code == 302
    igsp_partner.refresh_from_db()
    assert igsp_partner.status == PartnerStatus.SUSPENDED
    suspend = AuditLog.objects.get(action="partner.suspend")
    assert suspend.actor == admin_user
    assert suspend.changes["reason"] == "unpaid invoices"

    response = run_action(admin_client, "partner", "activate_partners", [igsp_partner.pk])
    assert response.status_code == 302
    igsp_partner.refresh_from_db()
    assert igsp_partner.status == PartnerStatus.ACTIVE
    activate = AuditLog.objects.get(action="partner.activate")
    assert activate.actor == admin_user
    assert activate.changes["status"] == {"from": "suspended", "to": "active"}


def test_actions_run_from_the_partner_page(admin_client, admin_user, igsp_partner):
    from tenants import services

    services.partner_suspend(partner=igsp_partner, actor="test")
    page = admin_client.get(url("partner", "change", igsp_partner.pk))
    assert 'name="CHANGE_FORM-action"' in page.content.decode()

    response = admin_client.post(
        url("partner", "change", igsp_partner.pk),
        {
            "CHANGE_FORM-action": "activate_partners",
            "_selected_action": [str(igsp_partner.pk)],
            "index": "0",
        },
    )

    assert response.status_code == 302
    igsp_partner.refresh_from_db()
    assert igsp_partner.status == PartnerStatus.ACTIVE
    assert AuditLog.objects.get(action="partner.activate").actor == admin_user


# ------------------------------------------------------------ ExtCID admin --


def test_deactivate_ext_cid_instead_of_delete(admin_client, admin_user, public_partner):
    ext = public_partner.ext_clients.get()
    assert admin_client.get(url("extclient", "delete", ext.pk)).status_code == 403

    response = run_action(admin_client, "extclient", "deactivate", [ext.pk])

    assert response.status_code == 302
    ext.refresh_from_db()
    assert ext.is_active is False
    assert AuditLog.objects.get(action="extclient.update").actor == admin_user


def test_ext_cid_admin_form_rejects_credentials_in_url(admin_client, public_partner):
    ext = public_partner.ext_clients.get()
    response = admin_client.post(
        url("extclient", "change", ext.pk),
        {
            "ext_cid": ext.ext_cid,
            "name": "",
            "base_url": "https://u:p@wallet.brand-one.example/api",
            "is_active": "on",
            "currencies": "USD",
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert "must not contain credentials" in response.content.decode()
    ext.refresh_from_db()
    assert ext.base_url == "https://wallet.brand-one.example/api"


def test_ext_cid_admin_add_through_service(admin_client, public_partner):
    response = admin_client.post(
        url("extclient", "add"),
        {
            "partner": str(public_partner.pk),
            "ext_cid": "brand-three",
            "name": "Three",
            "base_url": "https://wallet.three.example/api",
            "is_active": "on",
            "currencies": "",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    ext = ExtClient.objects.get(ext_cid="brand-three")
    assert ext.partner == public_partner
    assert ext.currencies == ["USD"]
    assert AuditLog.objects.filter(action="extclient.create", object_id=str(ext.pk)).exists()


# ---------------------------------------------- read-only keys, audit log --


def test_credentials_and_partners_cannot_be_deleted_or_added_by_hand(admin_client, igsp_partner):
    cred = igsp_partner.credential
    assert admin_client.get(url("partner", "delete", igsp_partner.pk)).status_code == 403
    assert admin_client.get(url("credential", "delete", cred.pk)).status_code == 403
    assert admin_client.get(url("credential", "add")).status_code == 403
    assert "delete_selected" not in admin_client.get(url("partner", "changelist")).content.decode()
    assert "delete_selected" not in admin_client.get(url("credential", "changelist")).content.decode()
    before = cred.fingerprint
    admin_client.post(url("credential", "change", cred.pk), {"state": "revoked", "fingerprint": "x"})
    cred.refresh_from_db()
    assert (cred.state, cred.fingerprint) == (CredentialState.ACTIVE, before)


def test_credential_pages_never_show_the_encrypted_secret(admin_client, igsp_partner):
    cred = igsp_partner.credential
    for page in (
        url("credential", "change", cred.pk),
        url("credential", "changelist"),
        url("partner", "change", igsp_partner.pk),
    ):
        body = admin_client.get(page).content.decode()
        assert cred.secret_encrypted not in body
        assert "secret_encrypted" not in body
        assert cred.fingerprint in body


def test_audit_log_is_read_only_and_filterable(admin_client, igsp_partner, public_partner):
    entry = AuditLog.objects.filter(partner=igsp_partner).first()
    assert admin_client.get(url("auditlog", "add")).status_code == 403
    assert admin_client.get(url("auditlog", "delete", entry.pk)).status_code == 403
    admin_client.post(url("auditlog", "change", entry.pk), {"action": "forged"})
    entry.refresh_from_db()
    assert entry.action != "forged"

    filtered = admin_client.get(url("auditlog", "changelist"), {"partner__id__exact": str(public_partner.pk)})
    assert filtered.status_code == 200
    shown = {e.pk for e in filtered.context["cl"].result_list}
    assert shown == set(AuditLog.objects.filter(partner=public_partner).values_list("pk", flat=True))
    by_action = admin_client.get(url("auditlog", "changelist"), {"action": "credential.issue"})
    assert {e.action for e in by_action.context["cl"].result_list} == {"credential.issue"}
    searched = admin_client.get(url("auditlog", "changelist"), {"q": "Swipe"})
    assert {e.partner_id for e in searched.context["cl"].result_list} == {public_partner.pk}


def test_partner_changelist_columns_and_status_filter(admin_client, igsp_partner, public_partner):
    from tenants import services

    services.partner_suspend(partner=public_partner, actor="test")
    response = admin_client.get(url("partner", "changelist"), {"status__exact": "suspended"})

    assert [p.pk for p in response.context["cl"].result_list] == [public_partner.pk]
    body = admin_client.get(url("partner", "changelist")).content.decode()
    assert "IGSP" in body
    assert "Public API" in body
    assert "lucky-platform" in body
