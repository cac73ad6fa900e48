"""Account managers see and change only the partners they manage; superusers see all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tenants import crypto, services
from tenants.models import AuditLog, Credential, CredentialState, ExtClient, Partner, PartnerStatus

from .test_admin import ONCE_WARNING, SECRETS_TEMPLATE, apply_action, change_form_data, onboarding_data, run_action, url

pytestmark = pytest.mark.django_db

GROUP = "Account managers"


def _manager(django_user_model, username: str):
    user = django_user_model.objects.create_user(username=username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=GROUP))
    return user


@pytest.fixture
def manager_a(django_user_model):
    return _manager(django_user_model, "alice")


@pytest.fixture
def manager_b(django_user_model):
    return _manager(django_user_model, "bob")


def _onboard(name: str, slug_word: str, manager):
    return services.partner_onboard(
        name=name,
        actor="test",
        igsp=True,
        public_api=True,
        default_currency="EUR",
        igsp_hooks_url=f"https://hooks.{slug_word}.example/igsp",
        account_manager=manager,
        ext_clients=[{"ext_cid": f"{slug_word}-brand", "base_url": f"https://wallet.{slug_word}.example/api"}],
    ).partner


@pytest.fixture
def partner_a(manager_a):
    return _onboard("Alpha Casino", "alpha", manager_a)


@pytest.fixture
def partner_b(manager_b):
    return _onboard("Bravo Casino", "bravo", manager_b)


@pytest.fixture
def client_a(client, manager_a):
    client.force_login(manager_a)
    return client


def b_markers(partner: Partner) -> list[str]:
    """Strings that only B's data contains (not its ids: the admin's "doesn't exist" notice echoes the URL's)."""
    markers = ["Bravo Casino", "bravo-casino", "hooks.bravo.example", "bravo-brand", "wallet.bravo.example"]
    for cred in partner.credentials.all():
        markers.append(cred.fingerprint)
        if cred.public_id:
            markers.append(cred.public_id)
    return markers


def assert_hidden(response, partner_b):
    body = response.content.decode()
    for marker in b_markers(partner_b):
        assert marker not in body, f"{marker!r} leaked"


def assert_not_shown(client, page, partner_b):
    """Another partner's object: a 404 or the admin's "doesn't exist" redirect, never its data."""
    response = client.get(page)
    assert response.status_code in (302, 404), page
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")
        assert_hidden(client.get(response["Location"]), partner_b)
    else:
        assert_hidden(response, partner_b)


def test_migration_creates_account_managers_group():
    group = Group.objects.get(name=GROUP)
    perms = set(group.permissions.filter(content_type__app_label="tenants").values_list("codename", flat=True))
    assert perms == set(
        (
            "view_partner",
            "add_partner",
            "change_partner",
            "manage_credentials",
            "change_partner_status",
            "view_extclient",
            "add_extclient",
            "change_extclient",
            "view_credential",
            "add_credential",
            "change_credential",
            "view_auditlog",
        )
    )
    assert not group.permissions.filter(codename__startswith="delete_", content_type__app_label="tenants").exists()


def test_manager_partner_list_shows_only_own_partners(client_a, partner_a, partner_b):
    response = client_a.get(url("partner", "changelist"))

    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [partner_a.pk]
    assert "Alpha Casino" in response.content.decode()
    assert_hidden(response, partner_b)
    searched = client_a.get(url("partner", "changelist"), {"q": "bravo"})
    assert list(searched.context["cl"].result_list) == []


def test_manager_cannot_open_another_managers_partner(client_a, partner_a, partner_b):
    assert client_a.get(url("partner", "change", partner_a.pk)).status_code == 200
    for page in (url("partner", "change", partner_b.pk), url("partner", "history", partner_b.pk)):
        assert_not_shown(client_a, page, partner_b)


def test_manager_cannot_change_another_managers_partner(client_a, client, partner_a, partner_b):
    page = client_a.get(url("partner", "change", partner_a.pk))
    data = change_form_data(page)
    data["name"] = "Hijacked"

    response = client_a.post(url("partner", "change", partner_b.pk), data)

    assert response.status_code in (302, 404)
    partner_b.refresh_from_db()
    assert partner_b.name == "Bravo Casino"
    assert not AuditLog.objects.filter(action="partner.update").exists()


def test_manager_key_and_audit_lists_are_filtered(client_a, partner_a, partner_b):
    creds = client_a.get(url("credential", "changelist"))
    assert {c.partner_id for c in creds.context["cl"].result_list} == {partner_a.pk}
    assert all(c.fingerprint in creds.content.decode() for c in partner_a.credentials.all())
    assert_hidden(creds, partner_b)  # also the "by partner" filter sidebar

    forged_filter = client_a.get(url("credential", "changelist"), {"partner__id__exact": str(partner_b.pk)})
    assert forged_filter.status_code in (200, 302)
    if forged_filter.status_code == 200:
        assert {c.partner_id for c in forged_filter.context["cl"].result_list} <= {partner_a.pk}
        assert_hidden(forged_filter, partner_b)

    exts = client_a.get(url("extclient", "changelist"))
    assert [e.ext_cid for e in exts.context["cl"].result_list] == ["alpha-brand"]
    assert_hidden(exts, partner_b)

    audit = client_a.get(url("auditlog", "changelist"))
    shown = {e.pk for e in audit.context["cl"].result_list}
    assert shown == set(AuditLog.objects.filter(partner=partner_a).values_list("pk", flat=True))
    assert_hidden(audit, partner_b)


def test_manager_cannot_open_another_partners_keys_extcids_or_audit(client_a, partner_a, partner_b):
    pages = [url("credential", "change", c.pk) for c in partner_b.credentials.all()]
    pages += [url("extclient", "change", e.pk) for e in partner_b.ext_clients.all()]
    pages += [url("auditlog", "change", e.pk) for e in AuditLog.objects.filter(partner=partner_b)]
    for page in pages:
        assert_not_shown(client_a, page, partner_b)


def test_manager_actions_cannot_reach_another_partner(client_a, partner_a, partner_b):
    b_cred = partner_b.credentials.filter(purpose="igsp").get()

    apply_action(client_a, "partner", "suspend_partners", [partner_b.pk], confirm="on")
    apply_action(client_a, "partner", "rotate_keys", [partner_b.pk], purpose="igsp", grace_seconds="60")
    rotated = apply_action(client_a, "credential", "rotate", [b_cred.pk], grace_seconds="60")
    apply_action(client_a, "credential", "revoke", [b_cred.pk], confirm="on")
    run_action(client_a, "extclient", "deactivate", [partner_b.ext_clients.get().pk])

    partner_b.refresh_from_db()
    b_cred.refresh_from_db()
    assert partner_b.status == PartnerStatus.ACTIVE
    assert b_cred.state == CredentialState.ACTIVE
    assert partner_b.credentials.count() == 3
    assert partner_b.ext_clients.get().is_active is True
    assert SECRETS_TEMPLATE not in [t.name for t in rotated.templates]
    assert not AuditLog.objects.filter(partner=partner_b).exclude(actor_label="test").exists()


def test_manager_runs_key_actions_on_own_partner(client_a, manager_a, partner_a):
    cred = partner_a.credentials.get(purpose="igsp")

    response = apply_action(client_a, "partner", "rotate_keys", [partner_a.pk], purpose="igsp", grace_seconds="60")

    assert response.status_code == 200
    assert ONCE_WARNING in response.content.decode()
    cred.refresh_from_db()
    assert cred.state == CredentialState.RETIRING
    new = Credential.objects.get(partner=partner_a, purpose="igsp", state=CredentialState.ACTIVE)
    assert crypto.decrypt_secret(new.secret_encrypted) in response.content.decode()
    assert new.created_by == manager_a
    assert AuditLog.objects.get(action="credential.rotate").actor == manager_a


def test_manager_onboards_partner_for_themself(client_a, manager_a, manager_b):
    add_page = client_a.get(url("partner", "add"))
    assert add_page.status_code == 200
    assert 'name="account_manager"' not in add_page.content.decode()

    response = client_a.post(url("partner", "add"), onboarding_data(account_manager=str(manager_b.pk)))

    assert response.status_code == 200
    assert ONCE_WARNING in response.content.decode()
    partner = Partner.objects.get(name="Acme Casino")
    assert partner.account_manager == manager_a
    assert client_a.get(url("partner", "change", partner.pk)).status_code == 200


def test_manager_cannot_reassign_partner(client_a, manager_b, partner_a):
    page = client_a.get(url("partner", "change", partner_a.pk))
    assert 'name="account_manager"' not in page.content.decode()
    data = change_form_data(page)
    data["account_manager"] = str(manager_b.pk)

    client_a.post(url("partner", "change", partner_a.pk), data)

    partner_a.refresh_from_db()
    assert partner_a.account_manager.username == "alice"


def test_manager_cannot_add_ext_cid_to_another_partner(client_a, partner_a, partner_b):
    response = client_a.post(
        url("extclient", "add"),
        {
            "partner": str(partner_b.pk),
            "ext_cid": "sneaky",
            "base_url": "https://wallet.sneaky.example/api",
            "is_active": "on",
            "currencies": "",
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ExtClient.objects.filter(ext_cid="sneaky").exists()


def test_superuser_sees_every_partner_key_and_entry(admin_client, partner_a, partner_b):
    partners = admin_client.get(url("partner", "changelist"))
    assert {p.pk for p in partners.context["cl"].result_list} == {partner_a.pk, partner_b.pk}
    creds = admin_client.get(url("credential", "changelist"))
    assert {c.partner_id for c in creds.context["cl"].result_list} == {partner_a.pk, partner_b.pk}
    audit = admin_client.get(url("auditlog", "changelist"))
    assert len(audit.context["cl"].result_list) == AuditLog.objects.count()
    assert admin_client.get(url("partner", "change", partner_b.pk)).status_code == 200


def test_superuser_assigns_account_manager(admin_client, manager_b):
    response = admin_client.post(url("partner", "add"), onboarding_data(account_manager=str(manager_b.pk)))

    assert response.status_code == 200
    assert Partner.objects.get(name="Acme Casino").account_manager == manager_b


def test_staff_outside_the_group_sees_nothing(client, django_user_model, partner_a):
    user = django_user_model.objects.create_user(username="carol", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(url("partner", "changelist")).status_code == 403
    assert client.get(url("credential", "changelist")).status_code == 403


def test_key_actions_need_manage_credentials(client, django_user_model, partner_a):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(username="dave", password="x", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_partner", "change_partner"]))
    Partner.objects.filter(pk=partner_a.pk).update(account_manager=viewer)
    client.force_login(viewer)

    page = client.get(url("partner", "changelist")).content.decode()
    assert "rotate_keys" not in page
    assert "suspend_partners" not in page
    apply_action(client, "partner", "rotate_keys", [partner_a.pk], purpose="igsp", grace_seconds="60")
    apply_action(client, "partner", "suspend_partners", [partner_a.pk], confirm="on")
    partner_a.refresh_from_db()
    assert partner_a.status == PartnerStatus.ACTIVE
    assert partner_a.credentials.count() == 3


def test_no_admin_list_filter_offers_an_account_manager_another_managers_partner(rf, manager_a, partner_a, partner_b):
    """Every registered ModelAdmin's list_filter choices, as alice sees them, name none of Bravo's partner."""
    from django.contrib import admin as django_admin
    from django.contrib.admin.filters import FieldListFilter, ListFilter

    foreign = {str(partner_b.pk), partner_b.slug, partner_b.name}
    checked = 0
    for model, model_admin in django_admin.site._registry.items():
        request = rf.get("/admin/")
        request.user = manager_a
        if not model_admin.has_view_or_change_permission(request):
            continue
        changelist = model_admin.get_changelist_instance(request)
        specs: list[ListFilter] = changelist.get_filters(request)[0]
        for spec in specs:
            choices = getattr(spec, "lookup_choices", None) or []
            for choice in choices:
                value, label = (choice if isinstance(choice, (tuple, list)) else (choice, choice))[:2]
                assert not ({str(value), str(label)} & foreign), (model.__name__, type(spec).__name__, choice)
            if isinstance(spec, FieldListFilter):
                checked += 1
    assert checked > 5
