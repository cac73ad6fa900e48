"""A certification start while the task broker is unreachable: every door answers a clear 503 (the IGSP and Core
API error shapes, a message on the portal's page and on the admin's Certify page), the run it created is ended at
once (error "could not be queued", no incident: nothing ran at the partner's wallet), so the partner can start
again as soon as the broker is back instead of waiting HUB_CERTIFICATION_STALE_SECONDS behind a queued run.

The broker is a port that refuses connections; real HTTP to the live server (same process, same Celery app)."""

from __future__ import annotations

import json
import re
from unittest import mock

import pytest
from django.urls import reverse

from alerts.models import Incident
from certification.models import CertificationRun, RunStatus
from config.celery import app as celery_app
from tests.celery_workers import reset_broker_pools
from tests.portal.test_portal_certification import enter, refusal, run_id_of, start

from .conftest import PLAYER, SESSION
from .test_run_limits import _igsp_start, _public_start

pytestmark = pytest.mark.django_db(transaction=True)

REFUSING = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused at once


@pytest.fixture
def broker_down():
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = REFUSING
    reset_broker_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = original
        reset_broker_pools()


def _ended_not_queued(partner, protocol: str) -> CertificationRun:
    run = CertificationRun.objects.get(partner=partner, protocol=protocol)
    assert run.status == RunStatus.ERROR, run.status
    assert "could not be queued" in run.error
    assert run.finished_at is not None
    assert run.started_at is None
    return run


def test_the_apis_answer_503_in_their_shapes_and_end_the_run_so_a_retry_starts_at_once(
    cert, live_hub, broker_down, settings
):
    settings.HUB_CERTIFICATION_RUNS_PER_DAY = 1  # a run that never reached a worker does not spend the allowance
    refused = _igsp_start(cert, live_hub)
    assert refused.status_code == 503, refused.text
    body = refused.json()
    assert body["error"] == "run_not_queued"
    assert body["status"] == 503
    assert "could not be queued" in body["message"]
    assert int(refused.headers["Retry-After"]) > 0
    _ended_not_queued(cert.partner, "igsp")

    public = _public_start(cert, live_hub)
    assert public.status_code == 503, public.text
    assert set(public.json()) <= {"message", "details", "code"}
    assert "could not be queued" in public.json()["message"]
    assert int(public.headers["Retry-After"]) > 0
    _ended_not_queued(cert.partner, "public_api")
    assert not Incident.objects.filter(partner=cert.partner).exists()  # nothing ran at the partner's wallet

    # The broker is back: the next start is queued at once (no run left queued blocks it).
    with mock.patch("certification.services.publish") as publish:
        again = _igsp_start(cert, live_hub)
    assert again.status_code == 202, again.text
    publish.assert_called_once_with("certification.execute_run", again.json()["id"])
    assert CertificationRun.objects.get(pk=again.json()["id"]).status == RunStatus.QUEUED


def test_the_portal_shows_the_refusal_503_and_a_retry_starts_at_once(cert, live_hub, broker_down):
    client = enter(cert, live_hub)
    refused = start(client, protocol="igsp", player_id=PLAYER, groups=["balance"])
    assert refused.status_code == 503, refused.text[:2000]
    assert "could not be queued" in refusal(refused)
    assert int(refused.headers["Retry-After"]) > 0
    run = _ended_not_queued(cert.partner, "igsp")
    assert re.search(rf'id="run-{run.pk}" class="cert-run error"', client.get("/portal/certification").text)

    with mock.patch("certification.services.publish"):
        run_id_of(start(client, protocol="public_api", session_id=SESSION, ext_cid=cert.slug, groups=["balance"]))
        run_id_of(start(client, protocol="igsp", player_id=PLAYER, groups=["balance"]))


def test_the_admins_certify_page_shows_the_refusal_and_a_retry_starts_at_once(cert, admin_client, broker_down):
    page = reverse("admin:certification_certify", args=[cert.partner.pk])
    data = {"protocol": "igsp", "currency": "USD", "player_id": PLAYER, "groups": ["balance"]}
    refused = admin_client.post(page, data)
    assert refused.status_code == 503
    shown = re.sub(r"\s+", " ", refused.content.decode())
    assert "could not be queued" in shown
    _ended_not_queued(cert.partner, "igsp")

    with mock.patch("certification.services.publish") as publish:
        queued = admin_client.post(page, data)
    assert queued.status_code == 302
    publish.assert_called_once()


def test_the_openapi_documents_the_503_of_both_starts(client):
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    for path in ("/igsp/v1/certification/runs", "/api/v1/certification/runs"):
        assert "503" in schema["paths"][path]["post"]["responses"], path


def test_inside_a_callers_transaction_the_run_is_ended_when_that_commits(cert, broker_down):
    """No one is left to answer a 503 after the caller's commit: the run is ended all the same (and nothing raises
    out of the caller's commit, which would skip its other on-commit work)."""
    from django.db import transaction

    from certification import services

    after = []
    with transaction.atomic():
        run = services.run_start(
            partner=cert.partner, protocol="igsp", actor="test", via="admin", currency="USD", player_id=PLAYER
        )
        transaction.on_commit(lambda: after.append("ran"))
        assert CertificationRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    _ended_not_queued(cert.partner, "igsp")
    assert after == ["ran"]
