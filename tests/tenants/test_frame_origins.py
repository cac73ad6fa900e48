"""Partner.frame_origins: the sites allowed to embed the game page, validated, normalised and audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tenants import services
from tenants.models import AuditLog, Partner

from .test_admin import change_form_data, onboarding_data

pytestmark = pytest.mark.django_db


def test_origins_are_normalised_and_the_change_is_audited(igsp_partner):
    saved = services.partner_update(
        partner=igsp_partner,
        actor="am",
        frame_origins=[
            " https://Casino.Example/ ",
            "https://casino.example:443",
            "https://m.casino.example:8443",
            "http://127.0.0.1:8000",
        ],
    )
    assert saved.frame_origins == ["https://casino.example", "https://m.casino.example:8443", "http://127.0.0.1:8000"]
    assert Partner.objects.get(pk=igsp_partner.pk).frame_origins == saved.frame_origins
    entry = AuditLog.objects.get(action="partner.update")
    assert entry.changes["frame_origins"] == {"from": [], "to": saved.frame_origins}


@pytest.mark.parametrize(
    "bad",
    [
        "https://casino.example/lobby",  # a path: an origin has none
        "https://casino.example?x=1",
        "https://casino.example#top",
        "http://casino.example",  # http only to loopback in development
        "casino.example",  # no scheme
        "*",
        "https://*.casino.example",
        "https://*",  # never every site (nor a wildcard postMessage cannot target)
        "https://casino.example; script-src *",  # no way into the policy header
        "https://casino.example 'unsafe-inline'",
        "https://user:pw@casino.example",
        "javascript:alert(1)",
        "data:text/html,x",
        "'self'",
        "https://",
    ],
)
def test_bad_origins_are_refused_and_nothing_is_written(igsp_partner, bad):
    with pytest.raises(ValidationError):
        services.partner_update(partner=igsp_partner, actor="am", frame_origins=["https://ok.example", bad])
    assert Partner.objects.get(pk=igsp_partner.pk).frame_origins == []
    assert not AuditLog.objects.filter(action="partner.update").exists()


def test_http_loopback_is_refused_when_the_setting_is_off(igsp_partner, settings):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(ValidationError):
        services.partner_update(partner=igsp_partner, actor="am", frame_origins=["http://localhost:8000"])


def test_account_managers_set_them_in_the_partner_admin(admin_client, admin_user, igsp_partner):
    page = admin_client.get(reverse("admin:tenants_partner_change", args=[igsp_partner.pk]))
    assert "Game page embedding" in page.content.decode()
    data = change_form_data(page)
    data["frame_origins"] = "https://casino.example, https://m.casino.example"
    resp = admin_client.post(reverse("admin:tenants_partner_change", args=[igsp_partner.pk]), data)
    assert resp.status_code == 302
    igsp_partner.refresh_from_db()
    assert igsp_partner.frame_origins == ["https://casino.example", "https://m.casino.example"]
    entry = AuditLog.objects.get(action="partner.update")
    assert entry.actor == admin_user
    assert "frame_origins" in entry.changes

    data["frame_origins"] = "https://casino.example/lobby"
    resp = admin_client.post(reverse("admin:tenants_partner_change", args=[igsp_partner.pk]), data)
    assert resp.status_code == 200
    assert "origin" in resp.content.decode()
    igsp_partner.refresh_from_db()
    assert igsp_partner.frame_origins == ["https://casino.example", "https://m.casino.example"]


def test_onboarding_in_the_admin_takes_them_too(admin_client):
    resp = admin_client.post(
        reverse("admin:tenants_partner_add"),
        onboarding_data(frame_origins="https://acme.example https://acme.example/"),
    )
    assert resp.status_code == 200, resp.content[:500]  # the keys page
    assert Partner.objects.get(name="Acme Casino").frame_origins == ["https://acme.example"]
