"""Operations: health, readiness, OpenAPI schema and docs, production settings, log redaction."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.logging import RedactSecretsFilter

ROOT = Path(__file__).resolve().parents[2]


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.content
    assert resp.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_503_when_broker_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["checks"]["broker"].startswith("error")


@pytest.mark.django_db
def test_openapi_schema_and_self_hosted_docs(client):
    resp = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    schema = json.loads(resp.content)
    assert "/api/v1/partners/register" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg" not in html


def _import_production(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HUB_FERNET"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **extra_env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_KEY = "k" * 50
FERNET = "Q2hhbmdlTWVDaGFuZ2VNZUNoYW5nZU1lQ2hhbmdlTWU="


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-dev-only-key-do-not-use-in-production"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_DEBUG": "true", "HUB_FERNET_KEYS": FERNET}, "DJANGO_DEBUG"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "HUB_FERNET_KEYS"),
    ],
)
def test_production_settings_refuse_unsafe_defaults(extra, message):
    proc = _import_production(extra)
    assert proc.returncode != 0
    assert "ImproperlyConfigured" in proc.stderr
    assert message in proc.stderr


def test_production_settings_start_when_configured():
    proc = _import_production(
        {"DJANGO_SECRET_KEY": GOOD_KEY, "HUB_FERNET_KEYS": FERNET, "DJANGO_ALLOWED_HOSTS": "hub.example.com"}
    )
    assert proc.returncode == 0, proc.stderr


def test_log_filter_redacts_secrets_in_message_args_extras_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    from pythonjsonlogger.json import JsonFormatter

    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    secret = "a3f9" * 16
    try:
        logger.warning("auth failed headers=%s", {"Authorization": "Bearer gp_live_abc123", "X-Signature": secret})
        logger.warning("calling hooks", extra={"igspSecretKey": secret, "payload": {"apiKey": "sk_live_zzz"}})
        logger.warning("session igsp_%s opened", "Zx9" * 10)
        try:
            raise ValueError(f"bad secret={secret}")
        except ValueError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert secret not in out
    assert "gp_live_abc123" not in out
    assert "sk_live_zzz" not in out
    assert "Zx9Zx9" not in out
    assert out.count("[REDACTED]") >= 4
    assert "boom" in out
    assert "ValueError" in out
