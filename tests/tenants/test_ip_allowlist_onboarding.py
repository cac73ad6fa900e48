"""The per-partner inbound IP allowlist is part of onboarding: every onboarding path takes it, the keys page
shows it, and an empty one is warned about where HUB_WARN_EMPTY_IP_ALLOWLIST is on (production's default)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tenants.models import Partner

from .test_admin import apply_action, onboarding_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ANY_ADDRESS = "any address"
WARNING = "No inbound IP allowlist"


def keys_page(admin_client, **overrides) -> str:
    response = admin_client.post(reverse("admin:tenants_partner_add"), onboarding_data(**overrides))
    assert response.status_code == 200, response.content[:500]
    assert next(t.name for t in response.templates) == "admin/tenants/credentials_issued.html"
    return response.content.decode()


def test_the_keys_page_shows_the_allowlist_the_partner_was_onboarded_with(admin_client, settings):
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = True

    body = keys_page(admin_client, ip_allowlist="203.0.113.0/24, 198.51.100.7")

    assert "Inbound IP allowlist" in body
    assert "203.0.113.0/24, 198.51.100.7" in body
    assert WARNING not in body


def test_an_empty_allowlist_reads_any_address_and_is_warned_about_in_production(admin_client, settings):
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = False
    quiet = keys_page(admin_client, ip_allowlist="")
    assert "Inbound IP allowlist" in quiet
    assert ANY_ADDRESS in quiet
    assert WARNING not in quiet

    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = True
    loud = keys_page(admin_client, name="Open Casino", ip_allowlist="", **{"ext_clients-0-ext_cid": "open-brand"})
    assert WARNING in loud


def test_the_partner_page_warns_while_the_allowlist_is_empty(admin_client, igsp_partner, settings):
    page = reverse("admin:tenants_partner_change", args=[igsp_partner.pk])
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = True
    assert WARNING in admin_client.get(page).content.decode()

    Partner.objects.filter(pk=igsp_partner.pk).update(ip_allowlist=["10.0.0.0/8"])
    assert WARNING not in admin_client.get(page).content.decode()
    Partner.objects.filter(pk=igsp_partner.pk).update(ip_allowlist=[])
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = False
    assert WARNING not in admin_client.get(page).content.decode()


def test_the_rotate_keys_page_shows_the_allowlist_too(admin_client, igsp_partner, settings):
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = True
    Partner.objects.filter(pk=igsp_partner.pk).update(ip_allowlist=["192.0.2.0/24"])

    body = apply_action(
        admin_client, "partner", "rotate_keys", [igsp_partner.pk], purpose="igsp", grace_seconds="60"
    ).content.decode()

    assert "Copy now" in body
    assert "192.0.2.0/24" in body
    assert WARNING not in body


def test_the_registration_api_takes_validates_and_returns_the_allowlist(client, settings):
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = True
    body = {
        "name": "Fox",
        "integrationMode": "igsp",
        "igspHooksUrl": "https://fox.example/h",
        "defaultCurrency": "EUR",
        "ipAllowlist": ["203.0.113.0/24"],
    }

    resp = client.post(
        "/api/v1/partners/register", body, content_type="application/json", HTTP_X_ADMIN_KEY="test-admin-key"
    )

    assert resp.status_code == 201, resp.content
    assert resp.json()["ipAllowlist"] == ["203.0.113.0/24"]
    assert "warnings" not in resp.json()
    assert Partner.objects.get(name="Fox").ip_allowlist == ["203.0.113.0/24"]
    bad = client.post(
        "/api/v1/partners/register",
        {**body, "name": "Bad", "ipAllowlist": ["10.0.0.0/33"]},
        content_type="application/json",
        HTTP_X_ADMIN_KEY="test-admin-key",
    )
    assert bad.status_code == 400
    assert "ipAllowlist" in bad.json()["message"]
    open_ = client.post(
        "/api/v1/partners/register",
        {**body, "name": "Open", "ipAllowlist": []},
        content_type="application/json",
        HTTP_X_ADMIN_KEY="test-admin-key",
    )
    assert open_.status_code == 201
    assert open_.json()["ipAllowlist"] == []
    assert WARNING in open_.json()["warnings"][0]


def test_the_onboard_command_takes_the_allowlist_and_warns_when_empty(settings):
    settings.HUB_WARN_EMPTY_IP_ALLOWLIST = True
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "onboard_partner",
        "--name",
        "Cmd",
        "--mode",
        "igsp",
        "--hooks-url",
        "https://cmd.example/h",
        "--ip-allowlist",
        "203.0.113.0/24, 198.51.100.7",
        "--json",
        stdout=out,
        stderr=err,
    )
    assert json.loads(out.getvalue())["ipAllowlist"] == ["203.0.113.0/24", "198.51.100.7"]
    assert Partner.objects.get(name="Cmd").ip_allowlist == ["203.0.113.0/24", "198.51.100.7"]
    assert WARNING not in err.getvalue()

    out, err = io.StringIO(), io.StringIO()
    call_command(
        "onboard_partner",
        "--name",
        "Open",
        "--mode",
        "igsp",
        "--hooks-url",
        "https://open.example/h",
        "--json",
        stdout=out,
        stderr=err,
    )
    assert json.loads(out.getvalue())["ipAllowlist"] == []
    assert WARNING in err.getvalue()

    with pytest.raises(CommandError, match="not-an-ip"):
        call_command(
            "onboard_partner",
            "--name",
            "Bad",
            "--mode",
            "igsp",
            "--hooks-url",
            "https://bad.example/h",
            "--ip-allowlist",
            "not-an-ip",
        )
    assert not Partner.objects.filter(name="Bad").exists()


def test_production_warns_about_empty_allowlists_by_default_and_development_does_not():
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.HUB_WARN_EMPTY_IP_ALLOWLIST)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUB_FERNET", "HUB_WARN"))}
    prod = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "hub.example",
        "HUB_FERNET_KEYS": "Q2hhbmdlTWVDaGFuZ2VNZUNoYW5nZU1lQ2hhbmdlTWU=",
    }
    dev = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    for environ, expected in ((prod, "True"), (dev, "False")):
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == expected
