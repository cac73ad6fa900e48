"""POST /api/v1/partners/register and `manage.py onboard_partner`."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core import signing
from tenants.models import AuditLog, Credential, ExtClient, Partner

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN_KEY = {"X-Admin-Key": "test-admin-key"}


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def test_register_igsp_partner_returns_working_keys_once(http, settings):
    resp = http.post(
        "/api/v1/partners/register",
        headers=ADMIN_KEY,
        json={
            "name": "Fox Casino",
            "integrationMode": "igsp",
            "igspHooksUrl": "https://fox.example/igsp/hooks",
            "defaultCurrency": "eur",
        },
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    assert body["igspApiKey"].startswith("gp_live_")
    assert len(body["igspSecretKey"]) == 64
    partner = Partner.objects.get(pk=body["partnerId"])
    assert partner.igsp_enabled
    assert not partner.public_api_enabled
    assert partner.default_currency == "EUR"
    assert partner.status == "active"
    cred = Credential.objects.get(public_id=body["igspApiKey"])
    assert body["igspSecretKey"] not in cred.secret_encrypted  # encrypted at rest
    assert body["igspSecretKey"] not in json.dumps(list(AuditLog.objects.values_list("changes", flat=True)))


def test_registered_public_api_partner_can_sign_core_api_calls(http, settings):
    settings.ROOT_URLCONF = "tests.integration_hub.urls"
    resp = http.post(
        "/api/v1/partners/register",
        headers=ADMIN_KEY,
        json={
            "name": "Swipe Agg",
            "integrationMode": "public_api",
            "defaultCurrency": "USD",
            "extClients": [
                {"extCID": "agg-1", "baseUrl": "https://agg.example/v1"},
                {"extCID": "agg-2", "baseUrl": "https://agg2.example/v1"},
            ],
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) >= {"cID", "apiKey", "integrationApiKey", "extCIDs"}
    assert [e["extCID"] for e in body["extCIDs"]] == ["agg-1", "agg-2"]
    payload = {"cID": body["cID"], "extCID": "agg-1"}
    raw, sig = signing.public_sign_body(body["apiKey"], payload)
    echo = http.post(
        "/test/public-echo", content=raw, headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"}
    )
    assert echo.status_code == 200, echo.text


@pytest.mark.parametrize("headers", [{}, {"X-Admin-Key": "wrong"}, {"X-Admin-Key": ""}])
def test_register_requires_the_admin_key(http, headers):
    resp = http.post(
        "/api/v1/partners/register",
        headers=headers,
        json={"name": "X", "integrationMode": "igsp", "igspHooksUrl": "https://x.example/h", "defaultCurrency": "USD"},
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == "unauthorized"
    assert not Partner.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"integrationMode": "igsp", "igspHooksUrl": "http://casino.example/hooks"}, "igspHooksUrl"),
        ({"integrationMode": "igsp", "igspHooksUrl": "https://user:pw@casino.example/hooks"}, "igspHooksUrl"),
        ({"integrationMode": "igsp", "igspHooksUrl": "ftp://casino.example/hooks"}, "igspHooksUrl"),
        ({"integrationMode": "igsp", "igspHooksUrl": "javascript:alert(1)"}, "igspHooksUrl"),
        ({"integrationMode": "igsp"}, "igspHooksUrl"),
        ({"integrationMode": "public_api"}, "extClients"),
        (
            {"integrationMode": "public_api", "extClients": [{"extCID": "a", "baseUrl": "http://10.0.0.1/x"}]},
            "extClients",
        ),
        ({"integrationMode": "soap", "igspHooksUrl": "https://x.example"}, "integrationMode"),
        ({"integrationMode": "igsp", "igspHooksUrl": "https://x.example", "defaultCurrency": "€€"}, "defaultCurrency"),
    ],
)
def test_register_validation_errors_are_400_and_write_nothing(http, payload, field):
    body = {"name": "Bad", "defaultCurrency": "USD", **payload}
    resp = http.post("/api/v1/partners/register", headers=ADMIN_KEY, json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_request"
    assert field in resp.json()["message"]
    assert not Partner.objects.exists()
    assert not Credential.objects.exists()


def test_register_loopback_http_allowed_only_when_enabled(http, settings):
    body = {
        "name": "Local",
        "integrationMode": "igsp",
        "igspHooksUrl": "http://127.0.0.1:9/hooks",
        "defaultCurrency": "USD",
    }
    assert http.post("/api/v1/partners/register", headers=ADMIN_KEY, json=body).status_code == 201
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    body["name"] = "Local 2"
    assert http.post("/api/v1/partners/register", headers=ADMIN_KEY, json=body).status_code == 400


def test_register_duplicate_ext_cid_is_409_and_atomic(http):
    first = {
        "name": "A",
        "integrationMode": "public_api",
        "defaultCurrency": "USD",
        "extClients": [{"extCID": "shared", "baseUrl": "https://a.example"}],
    }
    assert http.post("/api/v1/partners/register", headers=ADMIN_KEY, json=first).status_code == 201
    second = {
        **first,
        "name": "B",
        "extClients": [
            {"extCID": "fresh", "baseUrl": "https://b.example"},
            {"extCID": "shared", "baseUrl": "https://b.example"},
        ],
    }
    resp = http.post("/api/v1/partners/register", headers=ADMIN_KEY, json=second)
    assert resp.status_code == 409, resp.text
    assert "shared" in resp.json()["message"]
    assert list(Partner.objects.values_list("name", flat=True)) == ["A"]
    assert not ExtClient.objects.filter(ext_cid="fresh").exists()


def test_register_rejects_non_object_and_bad_json(http):
    assert http.post("/api/v1/partners/register", headers=ADMIN_KEY, json=[1, 2]).status_code == 400
    resp = http.post(
        "/api/v1/partners/register", headers={**ADMIN_KEY, "Content-Type": "application/json"}, content=b"{nope"
    )
    assert resp.status_code == 400


def test_onboard_partner_command_prints_credentials_json():
    out = io.StringIO()
    call_command(
        "onboard_partner",
        "--name",
        "Cmd IGSP",
        "--mode",
        "igsp",
        "--hooks-url",
        "https://cmd.example/hooks",
        "--json",
        stdout=out,
    )
    body = json.loads(out.getvalue())
    assert body["igspApiKey"].startswith("gp_live_")
    assert body["igspSecretKey"]
    out = io.StringIO()
    call_command(
        "onboard_partner",
        "--name",
        "Cmd PA",
        "--mode",
        "public_api",
        "--ext-cid",
        "cmd-1",
        "--base-url",
        "https://cmd.example/api",
        "--json",
        stdout=out,
    )
    body = json.loads(out.getvalue())
    assert body["cID"]
    assert body["apiKey"]
    assert body["integrationApiKey"]
    assert body["extCIDs"] == [{"extCID": "cmd-1", "baseUrl": "https://cmd.example/api"}]


def test_onboard_partner_command_reports_validation_errors():
    with pytest.raises(CommandError, match="https"):
        call_command("onboard_partner", "--name", "Bad", "--mode", "igsp", "--hooks-url", "http://bad.example/h")
    assert not Partner.objects.exists()
