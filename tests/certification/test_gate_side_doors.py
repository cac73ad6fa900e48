"""The go-live gate has no side doors: every path to *active* and every part added to a live
partner (an ExtCID created or activated, a protocol enabled) needs a passing run of it or an audited override."""

from __future__ import annotations

import secrets

import pytest
from django.urls import reverse

from certification.models import CertificationRun, RunStatus
from certification.version import hub_version
from core.errors import ApplicationError
from tenants import services as tenant_services
from tenants.models import AuditLog, CredentialPurpose, ExtClient, PartnerStatus
from tests.tenants.test_admin import apply_action, change_form_data, run_action, url

pytestmark = pytest.mark.django_db


def _passed_run(partner, protocol, ext_client=None, **kw):
    """A stored passing full run (the real runs are proven in test_runner.py)."""
    defaults = dict(status=RunStatus.PASSED, groups=[], hub_version=hub_version(), currency="USD", target_url="x")
    return CertificationRun.objects.create(
        partner=partner, protocol=protocol, ext_client=ext_client, **{**defaults, **kw}
    )


@pytest.fixture
def gate(settings):
    settings.HUB_CERTIFICATION_GATE = True


def _overrides():
    return list(AuditLog.objects.filter(action="partner.go_live_override"))


# ----------------------------------------------------- (a) any status to active --


def test_onboarding_then_suspended_then_active_is_gated(igsp_partner, gate, admin_user):
    partner = tenant_services.partner_update(partner=igsp_partner, actor="t", status=PartnerStatus.ONBOARDING)
    partner = tenant_services.partner_suspend(partner=partner, actor="t")

    with pytest.raises(ApplicationError) as refused:
        tenant_services.partner_activate(partner=partner, actor="t")
    assert refused.value.code == "certification_required"
    assert "IGSP hooks" in refused.value.message
    with pytest.raises(ApplicationError):  # the generic update path obeys too
        tenant_services.partner_update(partner=partner, actor="t", status=PartnerStatus.ACTIVE)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.SUSPENDED
    assert not _overrides()

    tenant_services.partner_activate(partner=partner, actor=admin_user, override_reason="pilot")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ACTIVE
    [entry] = _overrides()
    assert entry.actor == admin_user
    assert entry.changes["reason"] == "pilot"
    assert entry.changes["missing"] == ["IGSP hooks"]


def test_a_certified_partner_returns_from_suspension_without_a_new_run(igsp_partner, gate):
    partner = tenant_services.partner_update(partner=igsp_partner, actor="t", status=PartnerStatus.ONBOARDING)
    _passed_run(partner, "igsp")
    partner = tenant_services.partner_activate(partner=partner, actor="t")
    partner = tenant_services.partner_suspend(partner=partner, actor="t")
    CertificationRun.objects.update(hub_version="an-older-release")  # a deploy since: the pass was of older code

    partner = tenant_services.partner_activate(partner=partner, actor="t")

    assert partner.status == PartnerStatus.ACTIVE
    assert not _overrides()


def test_a_part_added_while_suspended_is_gated_on_return(public_partner, gate):
    partner = tenant_services.partner_suspend(partner=public_partner, actor="t")
    _passed_run(partner, "public_api", ext_client=partner.ext_clients.get())
    tenant_services.ext_client_create(partner=partner, actor="t", ext_cid="brand-new", base_url="https://n.example/a")

    with pytest.raises(ApplicationError) as refused:
        tenant_services.partner_activate(partner=partner, actor="t")
    assert "ExtCID brand-new" in refused.value.message
    assert "brand-one" not in refused.value.message


# ------------------------------------------------------ (b1) nothing to certify --


def test_public_api_partner_without_an_active_ext_cid_cannot_go_live(public_partner, gate):
    partner = tenant_services.partner_update(partner=public_partner, actor="t", status=PartnerStatus.ONBOARDING)
    tenant_services.ext_client_update(ext_client=partner.ext_clients.get(), actor="t", is_active=False)

    for override in ("", "we trust them"):
        with pytest.raises(ApplicationError) as refused:
            tenant_services.partner_activate(partner=partner, actor="t", override_reason=override)
        assert refused.value.code == "nothing_to_certify"
        assert "no active ExtCID" in refused.value.message
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ONBOARDING
    assert not _overrides()


# ------------------------------------------------- (b2) ExtCID created on a live partner --


def test_ext_cid_created_active_on_a_live_partner_needs_a_run_or_the_override(public_partner, gate, admin_user):
    with pytest.raises(ApplicationError) as refused:
        tenant_services.ext_client_create(
            partner=public_partner, actor="t", ext_cid="brand-two", base_url="https://two.example/api"
        )
    assert refused.value.code == "certification_required"
    assert "ExtCID brand-two" in refused.value.message
    assert not ExtClient.objects.filter(ext_cid="brand-two").exists()
    assert (
        not AuditLog.objects.filter(action="extclient.create", partner=public_partner)
        .exclude(changes__ext_cid="brand-one")
        .exists()
    )

    ext = tenant_services.ext_client_create(
        partner=public_partner,
        actor=admin_user,
        ext_cid="brand-two",
        base_url="https://two.example/api",
        go_live_override="brand launch tonight, run booked tomorrow",
    )
    assert ext.is_active
    [entry] = _overrides()
    assert entry.actor == admin_user
    assert entry.changes["missing"] == ["ExtCID brand-two"]
    assert entry.changes["reason"] == "brand launch tonight, run booked tomorrow"


def test_ext_cid_created_inactive_is_certified_then_activated(public_partner, gate):
    ext = tenant_services.ext_client_create(
        partner=public_partner, actor="t", ext_cid="brand-two", base_url="https://two.example/api", is_active=False
    )
    _passed_run(public_partner, "public_api", ext_client=ext)

    ext = tenant_services.ext_client_update(ext_client=ext, actor="t", is_active=True)

    assert ext.is_active
    assert not _overrides()


# ----------------------------------------------- (b3) ExtCID activated on a live partner --


def test_ext_cid_activated_on_a_live_partner_needs_a_run(public_partner, gate):
    ext = public_partner.ext_clients.get()
    tenant_services.ext_client_update(ext_client=ext, actor="t", is_active=False)
    two = tenant_services.ext_client_create(
        partner=public_partner, actor="t", ext_cid="brand-two", base_url="https://two.example/api", is_active=False
    )
    _passed_run(public_partner, "public_api", ext_client=ext, hub_version="an-older-release")

    with pytest.raises(ApplicationError) as refused:
        tenant_services.ext_client_update(ext_client=two, actor="t", is_active=True)
    assert "ExtCID brand-two" in refused.value.message
    two.refresh_from_db()
    assert two.is_active is False
    # On a live partner a passing full run of that ExtCID certifies it, whatever code version ran it.
    assert tenant_services.ext_client_update(ext_client=ext, actor="t", is_active=True).is_active
    assert not _overrides()


def test_admin_activate_ext_cid_action_refuses_then_the_override_action_records_it(
    public_partner, gate, admin_client, admin_user
):
    ext = public_partner.ext_clients.get()
    tenant_services.ext_client_update(ext_client=ext, actor="t", is_active=False)

    page = admin_client.post(
        url("extclient", "changelist"),
        {"action": "activate", "_selected_action": [str(ext.pk)], "index": "0"},
        follow=True,
    )
    assert "Certification required" in page.content.decode()
    ext.refresh_from_db()
    assert ext.is_active is False

    form = run_action(admin_client, "extclient", "activate_with_override", [ext.pk])
    assert form.status_code == 200
    assert "override" in form.content.decode().lower()
    apply_action(admin_client, "extclient", "activate_with_override", [ext.pk], override_reason="signed off by CTO")
    ext.refresh_from_db()
    assert ext.is_active is True
    [entry] = _overrides()
    assert entry.actor == admin_user
    assert entry.changes["missing"] == ["ExtCID brand-one"]


def test_admin_inline_ext_cid_on_a_live_partner_is_a_form_error_then_saved_with_an_override(
    public_partner, gate, admin_client
):
    data = change_form_data(admin_client.get(url("partner", "change", public_partner.pk)))
    new = f"ext_clients-{int(data['ext_clients-TOTAL_FORMS']) - 1}"
    data.update({f"{new}-ext_cid": "brand-two", f"{new}-base_url": "https://two.example/api"})
    data["name"] = "Renamed"

    response = admin_client.post(url("partner", "change", public_partner.pk), data)

    assert response.status_code == 200
    assert "Certification required" in response.content.decode()
    public_partner.refresh_from_db()
    assert public_partner.name == "Swipe Aggregator"
    assert not ExtClient.objects.filter(ext_cid="brand-two").exists()

    data["go_live_override"] = "pilot brand"
    response = admin_client.post(url("partner", "change", public_partner.pk), data)
    assert response.status_code == 302
    assert ExtClient.objects.get(ext_cid="brand-two").is_active
    assert _overrides()[0].changes["missing"] == ["ExtCID brand-two"]


def test_admin_ext_cid_add_page_on_a_live_partner_is_a_form_error(public_partner, gate, admin_client):
    post = {
        "partner": str(public_partner.pk),
        "ext_cid": "brand-three",
        "name": "",
        "base_url": "https://three.example/api",
        "is_active": "on",
        "currencies": "",
        "_save": "Save",
    }
    response = admin_client.post(url("extclient", "add"), post)
    assert response.status_code == 200
    assert "Certification required" in response.content.decode()
    assert not ExtClient.objects.filter(ext_cid="brand-three").exists()

    response = admin_client.post(url("extclient", "add"), {**post, "go_live_override": "pilot"})
    assert response.status_code == 302
    assert ExtClient.objects.get(ext_cid="brand-three").is_active


# --------------------------------------------------- (b4) a protocol enabled on a live partner --


def test_igsp_enabled_on_a_live_partner_needs_a_run_or_the_override(public_partner, gate, admin_user):
    with pytest.raises(ApplicationError) as refused:
        tenant_services.partner_update(
            partner=public_partner, actor="t", igsp_enabled=True, igsp_hooks_url="https://hooks.swipe.example/igsp"
        )
    assert refused.value.code == "certification_required"
    assert "IGSP hooks" in refused.value.message
    public_partner.refresh_from_db()
    assert public_partner.igsp_enabled is False
    assert public_partner.igsp_hooks_url == ""

    # The way without an override: the hooks URL and an IGSP key first, then a passing IGSP run, then enable.
    partner = tenant_services.partner_update(
        partner=public_partner, actor="t", igsp_hooks_url="https://hooks.swipe.example/igsp"
    )
    tenant_services.credential_issue(partner=partner, purpose=CredentialPurpose.IGSP, actor="t")
    _passed_run(partner, "igsp")
    partner = tenant_services.partner_update(partner=partner, actor="t", igsp_enabled=True)
    assert partner.igsp_enabled
    assert not _overrides()


def test_igsp_run_can_start_before_igsp_is_enabled(public_partner, gate):
    from certification import services as cert_services

    partner = tenant_services.partner_update(
        partner=public_partner, actor="t", igsp_hooks_url="https://hooks.swipe.example/igsp"
    )
    run = cert_services.run_start(
        partner=partner, protocol="igsp", actor="t", via="admin", currency="USD", player_id="p1", enqueue=False
    )
    assert run.status == RunStatus.QUEUED
    assert run.target_url == "https://hooks.swipe.example/igsp"


def test_admin_enabling_igsp_on_a_live_partner_is_a_form_error_then_saved_with_an_override(
    public_partner, gate, admin_client, admin_user
):
    data = change_form_data(admin_client.get(url("partner", "change", public_partner.pk)))
    data.update({"igsp_enabled": "on", "igsp_hooks_url": "https://hooks.swipe.example/igsp"})

    response = admin_client.post(url("partner", "change", public_partner.pk), data)

    assert response.status_code == 200
    assert "Certification required" in response.content.decode()
    public_partner.refresh_from_db()
    assert not public_partner.igsp_enabled
    assert not public_partner.credentials.filter(purpose="igsp").exists()

    data["go_live_override"] = "IGSP pilot"
    response = admin_client.post(url("partner", "change", public_partner.pk), data)
    assert response.status_code == 200
    assert "igspSecretKey" in response.content.decode()  # the keys, shown once
    public_partner.refresh_from_db()
    assert public_partner.igsp_enabled
    [entry] = _overrides()
    assert entry.actor == admin_user
    assert entry.changes["missing"] == ["IGSP hooks"]


def test_onboarding_live_with_an_override_checks_its_ext_cids(gate, admin_user):
    result = tenant_services.partner_onboard(
        name="Eager",
        actor=admin_user,
        igsp=False,
        public_api=True,
        ext_clients=[{"ext_cid": "eager-1", "base_url": "https://e.example/api"}],
        status=PartnerStatus.ACTIVE,
        go_live_override="migrated from the old platform",
    )
    assert result.partner.status == PartnerStatus.ACTIVE
    [entry] = _overrides()
    assert entry.changes["missing"] == ["ExtCID eager-1"]


def test_admin_onboarding_live_with_an_override(gate, admin_client):
    from tests.tenants.test_admin import onboarding_data

    response = admin_client.post(url("partner", "add"), onboarding_data())
    assert response.status_code == 200
    assert "Certification required" in response.content.decode()

    data = onboarding_data(go_live_override="migrated", submission=secrets.token_urlsafe(24))
    response = admin_client.post(url("partner", "add"), data)
    assert response.status_code == 200
    assert "igspSecretKey" in response.content.decode()
    [entry] = _overrides()
    assert entry.changes["missing"] == ["IGSP hooks", "ExtCID acme-brand"]


def test_partner_changelist_still_renders(public_partner, gate, admin_client):
    assert admin_client.get(reverse("admin:tenants_partner_changelist")).status_code == 200


# ---------------------------------------------------- scripted entry points --


@pytest.mark.django_db(transaction=True)
def test_registration_api_and_command_onboard_without_going_live(gate, live_server):
    import io
    import json

    import httpx
    from django.core.management import call_command

    from tenants.models import Partner

    resp = httpx.post(
        f"{live_server.url}/api/v1/partners/register",
        headers={"X-Admin-Key": "test-admin-key"},
        json={
            "name": "Script Casino",
            "integrationMode": "public_api",
            "defaultCurrency": "USD",
            "extClients": [{"extCID": "script-1", "baseUrl": "https://script.example/api"}],
        },
        timeout=10,
    )
    assert resp.status_code == 201
    assert resp.json()["status"] == PartnerStatus.ONBOARDING
    out = io.StringIO()
    call_command(
        "onboard_partner",
        "--name",
        "Cmd Casino",
        "--mode",
        "igsp",
        "--hooks-url",
        "https://c.example/h",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["status"] == PartnerStatus.ONBOARDING
    assert set(Partner.objects.values_list("status", flat=True)) == {PartnerStatus.ONBOARDING}


def test_only_staff_who_may_switch_partners_live_may_override(public_partner, gate, client, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="tenants",
            codename__in=["view_partner", "change_partner", "view_extclient", "change_extclient", "add_extclient"],
        )
    )
    tenant_services.partner_update(partner=public_partner, actor="t", account_manager=clerk)
    client.force_login(clerk)
    page = client.get(url("extclient", "add"))
    assert page.status_code == 200
    assert "go_live_override" not in page.content.decode()
    assert "go_live_override" not in client.get(url("partner", "change", public_partner.pk)).content.decode()

    response = client.post(
        url("extclient", "add"),
        {
            "partner": str(public_partner.pk),
            "ext_cid": "brand-three",
            "base_url": "https://three.example/api",
            "is_active": "on",
            "go_live_override": "I say so",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert "Certification required" in response.content.decode()
    assert not ExtClient.objects.filter(ext_cid="brand-three").exists()
    assert not _overrides()
