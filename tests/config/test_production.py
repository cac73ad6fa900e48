"""Production-safe defaults: settings that refuse to start unsafe, /metrics and seed_demo under production,
throttled admin logins and X-Admin-Key attempts, and unhandled errors in each protocol's JSON shape."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core import signing
from tests import contracts

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "p8Vq-3rTz_Lm9Wc2Xn7Yb4Hd6Kf1Gs5Jt0Aq8Ru3Ev6Ow9Iy2Pz"  # what `check --deploy` takes for a real key
FERNET = "Q2hhbmdlTWVDaGFuZ2VNZUNoYW5nZU1lQ2hhbmdlTWU="
ADMIN_KEY = "a" * 32
VALID = {"DJANGO_SECRET_KEY": GOOD_KEY, "HUB_FERNET_KEYS": FERNET, "DJANGO_ALLOWED_HOSTS": "hub.example.com"}

DUMP = """
import json, django
django.setup()
from django.apps import apps
from django.conf import settings
import config.urls  # the URLconf imports without the sandbox app
print(json.dumps({
    "hsts": settings.SECURE_HSTS_SECONDS, "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER, "sandbox": apps.is_installed("sandbox"),
    "allowed_hosts": settings.ALLOWED_HOSTS, "production": settings.HUB_PRODUCTION,
    "axes": apps.is_installed("axes"), "backends": settings.AUTHENTICATION_BACKENDS,
}))
"""


def run_production(extra_env: dict, args: list[str] | None = None) -> subprocess.CompletedProcess:
    """Start Python under the production settings with a controlled environment (no DJANGO_* / HUB_* leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUB_"))}
    env["HUB_VAR_DIR"] = os.environ.get("HUB_VAR_DIR", str(ROOT / "var"))
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **extra_env})
    return subprocess.run(
        args or [sys.executable, "-c", DUMP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_settings(extra_env: dict) -> dict:
    proc = run_production({**VALID, **extra_env})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ settings --


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
        ({"HUB_ADMIN_API_KEY": "dev-admin-key"}, "HUB_ADMIN_API_KEY"),
        ({"HUB_ADMIN_API_KEY": "x" * 31}, "HUB_ADMIN_API_KEY"),
        ({"HUB_ROOT_URLCONF": "sandbox.urls"}, "sandbox"),
    ],
)
def test_production_refuses_to_start_unsafe(extra, message):
    env = {**VALID, **extra}
    if not env["DJANGO_ALLOWED_HOSTS"]:
        del env["DJANGO_ALLOWED_HOSTS"]
    proc = run_production(env)
    assert proc.returncode != 0, proc.stdout
    assert "ImproperlyConfigured" in proc.stderr
    assert message in proc.stderr


def test_production_defaults_are_safe():
    s = production_settings({})
    assert s["production"] is True
    assert s["allowed_hosts"] == ["hub.example.com"]
    assert s["hsts"] >= 31536000
    assert s["ssl_redirect"] is True
    assert s["proxy_header"] is None  # no proxy in front: X-Forwarded-Proto is the client's, never trusted
    assert s["sandbox"] is False  # stores partner secrets in plain text: never installed in production
    assert s["axes"] is True
    assert s["backends"][0] == "axes.backends.AxesStandaloneBackend"


def test_production_security_settings_are_overridable():
    s = production_settings(
        {
            "DJANGO_SECURE_HSTS_SECONDS": "60",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "HUB_NUM_PROXIES": "1",
            "HUB_ADMIN_API_KEY": ADMIN_KEY,
        }
    )
    assert s["hsts"] == 60
    assert s["ssl_redirect"] is False
    assert s["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]  # trusted only behind a proxy


def test_production_passes_check_deploy():
    proc = run_production(
        {**VALID, "HUB_ADMIN_API_KEY": ADMIN_KEY},
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    issues = [line for line in out.splitlines() if "(security." in line or "(axes." in line or "(admin." in line]
    # HSTS preload stays an explicit opt-in (DJANGO_SECURE_HSTS_PRELOAD): it commits the whole domain.
    assert [line for line in issues if "security.W021" not in line] == [], out


def test_dev_and_test_keep_the_sandbox():
    from django.apps import apps
    from django.conf import settings

    assert apps.is_installed("sandbox")
    assert settings.HUB_PRODUCTION is False


# ----------------------------------------------------------------- seed_demo --


@pytest.mark.django_db
def test_seed_demo_refuses_under_production_settings(settings, django_user_model):
    settings.HUB_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not django_user_model.objects.exists()


# ------------------------------------------------------------------- metrics --


@pytest.mark.django_db
def test_metrics_under_production_need_a_token(client, settings):
    settings.HUB_PRODUCTION = True
    settings.HUB_METRICS_TOKEN = ""
    resp = client.get("/metrics")
    assert resp.status_code == 403
    assert b"hub_" not in resp.content
    settings.HUB_METRICS_TOKEN = "t" * 32
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 31).status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 32).status_code == 200


# -------------------------------------------------------- admin login throttle --


def admin_login(client, ip: str, password: str):
    return client.post(
        "/admin/login/?next=/admin/", {"username": "root@example.com", "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_admin_login_is_locked_per_client_address_after_failures(client, django_user_model, settings):
    django_user_model.objects.create_superuser("root@example.com", "root@example.com", "right-password")
    limit = settings.HUB_AUTH_FAILURE_LIMIT
    for _ in range(limit - 1):
        resp = admin_login(client, "203.0.113.7", "wrong")
        assert resp.status_code == 200  # the form again, with its error
    assert admin_login(client, "203.0.113.7", "wrong").status_code == 429  # the limit-th failure locks
    locked = admin_login(client, "203.0.113.7", "right-password")
    assert locked.status_code == 429  # even the right password, until the cool-off passes
    assert "_auth_user_id" not in client.session
    ok = admin_login(client, "203.0.113.8", "right-password")  # another address is not affected
    assert ok.status_code == 302
    assert ok["Location"] == "/admin/"


@pytest.mark.django_db
def test_admin_login_lockout_uses_the_trusted_proxy_address(client, django_user_model, settings):
    django_user_model.objects.create_superuser("root@example.com", "root@example.com", "right-password")
    settings.HUB_NUM_PROXIES = 1
    for _ in range(settings.HUB_AUTH_FAILURE_LIMIT):
        client.post(
            "/admin/login/",
            {"username": "root@example.com", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    resp = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root@example.com", "password": "right-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert resp.status_code == 302  # same proxy, other client: not locked


# ---------------------------------------------------------- X-Admin-Key throttle --


REGISTER = {
    "name": "Fox Casino",
    "integrationMode": "igsp",
    "igspHooksUrl": "https://fox.example/igsp/hooks",
    "defaultCurrency": "EUR",
}


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


@pytest.mark.django_db(transaction=True)
def test_admin_key_failures_are_throttled_per_client_address(http, settings):
    from tenants.models import Partner

    settings.HUB_NUM_PROXIES = 1
    settings.HUB_AUTH_LOCKOUT_SECONDS = 2
    attacker = {"X-Forwarded-For": f"192.0.2.{uuid.uuid4().int % 250 + 1}"}
    for _ in range(settings.HUB_AUTH_FAILURE_LIMIT):
        resp = http.post("/api/v1/partners/register", json=REGISTER, headers={**attacker, "X-Admin-Key": "guess"})
        assert resp.status_code == 401
    resp = http.post("/api/v1/partners/register", json=REGISTER, headers={**attacker, "X-Admin-Key": "guess"})
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 2
    body = resp.json()
    assert body["error"] == "too_many_requests"
    assert body["status"] == 429
    assert body["message"]
    # The right key from that address is refused too while the lock holds (no oracle for a brute force).
    resp = http.post("/api/v1/partners/register", json=REGISTER, headers={**attacker, "X-Admin-Key": "test-admin-key"})
    assert resp.status_code == 429
    assert not Partner.objects.exists()
    other = http.post(
        "/api/v1/partners/register",
        json=REGISTER,
        headers={"X-Forwarded-For": "198.51.100.9", "X-Admin-Key": "test-admin-key"},
    )
    assert other.status_code == 201, other.text
    time.sleep(2.2)
    resp = http.post(
        "/api/v1/partners/register",
        json={**REGISTER, "name": "Fox 2"},
        headers={**attacker, "X-Admin-Key": "test-admin-key"},
    )
    assert resp.status_code == 201, resp.text


# ------------------------------------------------------------ unhandled errors --


def core_games_get(http, partner):
    query = {"cID": str(partner.pk), "extCID": partner.ext_cid}
    sig = signing.public_sign(partner.api_key, signing.canonical_query(query))
    return http.get("/api/v1/games", params=query, headers={"X-REQUEST-SIGN": sig})


@pytest.mark.django_db(transaction=True)
def test_unhandled_error_in_the_core_api_is_its_error_response(http, public_partner, monkeypatch, caplog):
    secret = "f" * 40

    def boom(**kwargs):
        raise RuntimeError(f"database exploded token={secret}")

    monkeypatch.setattr("integration_hub.public_api.services.games_info_json", boom)
    with caplog.at_level(logging.ERROR):
        resp = core_games_get(http, public_partner)
    assert resp.status_code == 500
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == {"message": "Internal server error."}
    assert secret not in resp.text
    assert "exploded" not in resp.text
    contracts.validate_response("core-api", "/games", resp)
    # Logged with its traceback, through the filter that redacts secrets.
    assert "unhandled error in GET /api/v1/games" in caplog.text
    assert "RuntimeError: database exploded" in caplog.text
    assert secret not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_unhandled_error_in_igsp_is_the_igsp_shape(http, igsp_partner, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("integration_hub.igsp.views.game_selectors.providers_list", boom)
    headers = signing.igsp_headers(igsp_partner.api_key, igsp_partner.secret, b"")
    resp = http.get("/igsp/v1/providers", headers=headers)
    assert resp.status_code == 500
    assert resp.json() == {"error": "internal_error", "message": "Internal server error.", "status": 500}


@pytest.mark.django_db(transaction=True)
def test_django_errors_outside_drf_answer_json_on_api_paths(http, settings):
    settings.ROOT_URLCONF = "tests.config.urls_errors"
    resp = http.get("/api/v1/no-such-endpoint")
    assert resp.status_code == 404
    assert resp.json() == {"message": "Not found."}
    resp = http.get("/igsp/v1/no-such-endpoint")
    assert resp.status_code == 404
    assert resp.json() == {"error": "not_found", "message": "Not found.", "status": 404}
    resp = http.get("/api/v1/test-plain-boom")
    assert resp.status_code == 500
    assert resp.json() == {"message": "Internal server error."}
    resp = http.get("/igsp/v1/test-plain-boom")
    assert resp.status_code == 500
    assert resp.json() == {"error": "internal_error", "message": "Internal server error.", "status": 500}
    resp = http.get("/no-such-page")
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("text/html")


@pytest.mark.django_db(transaction=True)
def test_the_real_urlconf_answers_json_404_on_api_paths(http):
    resp = http.get("/api/v1/no-such-endpoint")
    assert resp.status_code == 404
    assert resp.json() == {"message": "Not found."}
    resp = http.get("/igsp/v1/sessions/x/nope")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"
