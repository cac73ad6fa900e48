"""Certification runs cannot crowd out payouts: one queued or running run per partner and protocol, a daily cap
on runs started through the API (429 with Retry-After, in each protocol's shape), runs on their own Celery queue,
and one open certification incident per partner however many runs fail."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import httpx
import pytest
from django.utils import timezone

from certification import services
from certification.models import CertificationRun, RunStatus
from config.celery import app as celery_app
from core import signing
from tenants import services as tenant_services
from tenants.models import CredentialPurpose
from tests.conftest import run_together

from .conftest import PLAYER, SESSION

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


_LAST = [timezone.now()]


def _unique_second():
    """Now, or the second after the last one used: the same body signed in the same second is a replay."""
    now = timezone.now().replace(microsecond=0)
    _LAST[0] = now if now > _LAST[0] else _LAST[0] + timedelta(seconds=1)
    return _LAST[0]


def _igsp_start(cert, live_hub) -> httpx.Response:
    creds = cert.credentials[CredentialPurpose.IGSP]
    body = json.dumps({"player_id": PLAYER, "currency": "USD", "groups": ["balance"]}).encode()
    headers = signing.igsp_headers(creds.credential.public_id, creds.secret, body, now=_unique_second())
    return httpx.post(
        f"{live_hub.url}/igsp/v1/certification/runs",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
    )


def _public_start(cert, live_hub) -> httpx.Response:
    key = cert.credentials[CredentialPurpose.CORE_API].secret
    payload = {
        "cID": str(cert.partner.pk),
        "extCID": cert.slug,
        "sessionID": SESSION,
        "currency": "USD",
        "groups": ["balance"],
        "requestId": str(uuid.uuid4()),
        "timestamp": int(timezone.now().timestamp()),
    }
    body, sig = signing.public_sign_body(key, payload)
    return httpx.post(
        f"{live_hub.url}/api/v1/certification/runs",
        content=body,
        headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"},
    )


def _finish_all(partner) -> None:
    CertificationRun.objects.filter(partner=partner).update(status=RunStatus.PASSED, finished_at=timezone.now())


@mock.patch("certification.services.publish")
def test_a_second_run_of_a_protocol_while_one_is_queued_is_refused_409_in_each_protocols_shape(
    publish_mock, cert, live_hub
):
    assert _igsp_start(cert, live_hub).status_code == 202
    again = _igsp_start(cert, live_hub)
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "run_in_progress"
    assert again.json()["status"] == 409
    assert "still queued" in again.json()["message"]

    # The other protocol is its own queue of one.
    assert _public_start(cert, live_hub).status_code == 202
    public_again = _public_start(cert, live_hub)
    assert public_again.status_code == 409
    assert set(public_again.json()) <= {"message", "details", "code"}
    assert "still queued" in public_again.json()["message"]
    assert CertificationRun.objects.filter(partner=cert.partner).count() == 2

    _finish_all(cert.partner)  # once the run has a result, the next one may start
    assert _igsp_start(cert, live_hub).status_code == 202


def test_two_starts_at_once_make_one_run(cert):
    def start(_i):
        try:
            services.run_start(
                partner=cert.partner,
                protocol="igsp",
                actor="test",
                via="api",
                currency="USD",
                player_id=PLAYER,
                enqueue=False,
            )
        except services.RunInProgress:
            return "refused"
        return "started"

    assert sorted(run_together(2, start)) == ["refused", "started"]
    assert CertificationRun.objects.filter(partner=cert.partner, status=RunStatus.QUEUED).count() == 1


def test_the_database_holds_one_active_run_per_partner_and_protocol(cert):
    from django.db import IntegrityError, transaction

    kw = dict(partner=cert.partner, protocol="igsp", currency="USD", target_url="x", hub_version="v")
    CertificationRun.objects.create(status=RunStatus.RUNNING, **kw)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationRun.objects.create(status=RunStatus.QUEUED, **kw)
    CertificationRun.objects.create(status=RunStatus.FAILED, **kw)  # finished runs are history, any number


@mock.patch("certification.services.publish")
def test_beyond_the_daily_cap_api_runs_get_429_with_retry_after_until_midnight(publish_mock, cert, live_hub, settings):
    settings.HUB_CERTIFICATION_RUNS_PER_DAY = 2
    for _ in range(2):
        assert _igsp_start(cert, live_hub).status_code == 202
        _finish_all(cert.partner)
    refused = _igsp_start(cert, live_hub)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_requests"
    assert refused.json()["status"] == 429
    now = timezone.now()
    to_midnight = ((now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0) - now).total_seconds()
    assert abs(int(refused.headers["Retry-After"]) - to_midnight) < 30

    public = _public_start(cert, live_hub)  # the cap is the partner's, whichever door
    assert public.status_code == 429
    assert "message" in public.json()
    assert "error" not in public.json()
    assert int(public.headers["Retry-After"]) > 0

    # Runs started by the account manager (admin, command) are not the partner's allowance.
    run = services.run_start(
        partner=cert.partner, protocol="igsp", actor="test", via="admin", currency="USD", player_id=PLAYER
    )
    assert run.status == RunStatus.QUEUED
    # Yesterday's runs do not count.
    CertificationRun.objects.filter(partner=cert.partner).update(
        created_at=timezone.now() - timedelta(days=1), status=RunStatus.PASSED
    )
    assert _igsp_start(cert, live_hub).status_code == 202


def test_a_run_no_worker_finished_ends_as_an_error_and_frees_the_partner(cert, settings):
    kw = dict(protocol="igsp", actor="test", via="api", currency="USD", player_id=PLAYER, enqueue=False)
    old = services.run_start(partner=cert.partner, **kw)
    CertificationRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    new = services.run_start(partner=cert.partner, **kw)
    old.refresh_from_db()
    assert old.status == RunStatus.ERROR
    assert "Abandoned" in old.error
    assert old.finished_at
    assert new.status == RunStatus.QUEUED


def test_runs_go_to_their_own_queue_that_the_payout_workers_do_not_consume(settings):
    def queue(name: str) -> str:
        return celery_app.amqp.router.route({}, name)["queue"].name

    assert queue("certification.execute_run") == "certification"
    assert queue("wallet.deliver_partner") == celery_app.conf.task_default_queue == "celery"
    settings.HUB_CERTIFICATION_QUEUE = "cert-elsewhere"
    assert queue("certification.execute_run") == "cert-elsewhere"

    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    assert re.search(r"\s-Q celery\s", procfile["worker"]), procfile["worker"]
    assert re.search(r"\s-Q \$\{HUB_CERTIFICATION_QUEUE:-certification\}\s", procfile["certification"])


def test_two_failed_runs_open_one_incident_and_one_mail(cert, settings, mailoutbox, tasks_inline):
    from alerts.models import Incident, IncidentKind

    settings.HUB_ALERT_EMAILS = ["ops@example.com"]
    good_url = cert.partner.igsp_hooks_url
    partner = tenant_services.partner_update(
        partner=cert.partner, actor="test", igsp_hooks_url="http://127.0.0.1:9/nothing"
    )
    kw = dict(protocol="igsp", actor="test", via="test", currency="USD", player_id=PLAYER, enqueue=False)
    for _ in range(2):
        run = services.run_execute(run_id=services.run_start(partner=partner, groups=["balance"], **kw).pk)
        assert run.status == RunStatus.ERROR
    open_ = Incident.objects.filter(partner=partner, kind=IncidentKind.CERTIFICATION_FAILED, resolved_at=None)
    assert open_.count() == 1
    assert len(mailoutbox) == 1

    partner = tenant_services.partner_update(partner=partner, actor="test", igsp_hooks_url=good_url)
    assert services.run_execute(run_id=services.run_start(partner=partner, groups=["balance"], **kw).pk).status == (
        RunStatus.PASSED
    )
    assert not open_.exists()
    assert len(mailoutbox) == 2  # resolved, and said so once
    run = services.run_execute(
        run_id=services.run_start(
            partner=tenant_services.partner_update(
                partner=partner, actor="test", igsp_hooks_url="http://127.0.0.1:9/nothing"
            ),
            groups=["balance"],
            **kw,
        ).pk
    )
    assert run.status == RunStatus.ERROR
    assert open_.count() == 1  # a new failure after the pass opens a new one
