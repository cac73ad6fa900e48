"""The three entry points (admin, command, signed API) call the same service; the go-live gate obeys runs."""

from __future__ import annotations

import io
import json
import time
import uuid
from unittest import mock

import httpx
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from certification import services, tasks
from certification.models import CertificationRun, RunStatus
from certification.version import hub_version
from core import signing
from core.errors import ApplicationError
from tenants import services as tenant_services
from tenants.models import AuditLog, CredentialPurpose, PartnerStatus

from .conftest import PLAYER, SESSION

pytestmark = pytest.mark.django_db(transaction=True)


def _passed_run(partner, protocol, **kw):
    """A stored passing full run (the real runs are proven in test_runner.py)."""
    defaults = dict(status=RunStatus.PASSED, groups=[], hub_version=hub_version(), currency="USD", target_url="x")
    if protocol == "public_api":
        defaults["ext_client"] = partner.ext_clients.get()
    return CertificationRun.objects.create(partner=partner, protocol=protocol, **{**defaults, **kw})


# ------------------------------------------------------------------ gate --


@pytest.fixture
def onboarding(igsp_partner, settings):
    settings.HUB_CERTIFICATION_GATE = True
    tenant_services.partner_update(partner=igsp_partner, actor="test", status=PartnerStatus.ONBOARDING)
    return igsp_partner


@pytest.mark.django_db
def test_gate_refuses_going_live_without_a_passing_run_of_this_version(onboarding):
    _passed_run(onboarding, "igsp", hub_version="an-older-commit")  # passed, but for other code
    _passed_run(onboarding, "igsp", groups=["balance"])  # passed, but not a full run
    _passed_run(onboarding, "igsp", status=RunStatus.FAILED)
    with pytest.raises(ApplicationError) as refused:
        tenant_services.partner_activate(partner=onboarding, actor="test")
    assert refused.value.code == "certification_required"
    assert refused.value.status_code == 409
    onboarding.refresh_from_db()
    assert onboarding.status == PartnerStatus.ONBOARDING
    with pytest.raises(ApplicationError):  # the other write path obeys too
        tenant_services.partner_update(partner=onboarding, actor="test", status=PartnerStatus.ACTIVE)

    _passed_run(onboarding, "igsp")
    tenant_services.partner_activate(partner=onboarding, actor="test")
    onboarding.refresh_from_db()
    assert onboarding.status == PartnerStatus.ACTIVE


@pytest.mark.django_db
def test_gate_override_needs_a_reason_and_is_audited(onboarding, admin_user):
    tenant_services.partner_activate(partner=onboarding, actor=admin_user, override_reason="contract signed, CEO ok")
    onboarding.refresh_from_db()
    assert onboarding.status == PartnerStatus.ACTIVE
    entry = AuditLog.objects.get(action="partner.go_live_override")
    assert entry.actor == admin_user
    assert entry.changes["reason"] == "contract signed, CEO ok"
    assert entry.changes["missing"] == ["IGSP hooks"]


@pytest.mark.django_db
def test_gate_refuses_creating_a_partner_live(settings):
    settings.HUB_CERTIFICATION_GATE = True
    with pytest.raises(ApplicationError):
        tenant_services.partner_onboard(
            name="Eager",
            actor="test",
            igsp=True,
            public_api=False,
            igsp_hooks_url="https://e.example/h",
            status=PartnerStatus.ACTIVE,
        )
    result = tenant_services.partner_onboard(
        name="Patient", actor="test", igsp=True, public_api=False, igsp_hooks_url="https://p.example/h"
    )
    assert result.partner.status == PartnerStatus.ONBOARDING  # the default while the gate is on


@pytest.mark.django_db
def test_admin_activate_is_refused_then_override_action_with_reason(onboarding, admin_client):
    changelist = reverse("admin:tenants_partner_changelist")
    data = {"action": "activate_partners", "_selected_action": [str(onboarding.pk)], "index": "0"}
    page = admin_client.post(changelist, data, follow=True)
    assert "Certification required" in page.content.decode()
    onboarding.refresh_from_db()
    assert onboarding.status == PartnerStatus.ONBOARDING

    data = {"action": "activate_partners_override", "_selected_action": [str(onboarding.pk)], "apply": "1"}
    admin_client.post(changelist, {**data, "keys-override_reason": "pilot week"})
    onboarding.refresh_from_db()
    assert onboarding.status == PartnerStatus.ACTIVE
    assert AuditLog.objects.get(action="partner.go_live_override").changes["reason"] == "pilot week"


# ---------------------------------------------------------- entry points --


def test_admin_certify_queues_a_worker_task_and_shows_progress_results_and_reports(cert, admin_client):
    partner = cert.partner
    form = admin_client.get(reverse("admin:certification_certify", args=[partner.pk]))
    assert form.status_code == 200
    assert "Not certified" in form.content.decode()
    with mock.patch("certification.services.publish") as publish:
        response = admin_client.post(
            reverse("admin:certification_certify", args=[partner.pk]),
            {"protocol": "igsp", "currency": "USD", "player_id": PLAYER, "groups": ["balance", "bet"]},
        )
    run = CertificationRun.objects.get(partner=partner)
    assert response.status_code == 302
    assert response["Location"].endswith(f"{run.pk}/report/")
    publish.assert_called_once_with("certification.execute_run", str(run.pk))
    queued = admin_client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in queued
    assert "0/8 cases run" in queued  # progress while it runs

    tasks.execute_run(str(run.pk))  # what the worker does with the published task
    page = admin_client.get(response["Location"]).content.decode()
    assert "8/8 cases run" in page
    assert "http-equiv" not in page
    assert "balance_ok" in page
    report = admin_client.get(reverse("admin:certification_run_json", args=[run.pk]))
    document = json.loads(report.content)
    assert document["status"] == "passed"
    assert len(document["cases"]) == 8
    assert document["cases"][0]["exchanges"][0]["status"] == 200
    printable = admin_client.get(reverse("admin:certification_run_print", args=[run.pk])).content.decode()
    assert "Wallet certification report" in printable
    assert "Partial run" in printable


@pytest.mark.django_db
def test_account_manager_sees_only_own_partners_runs(igsp_partner, client, django_user_model):
    other = django_user_model.objects.create_user(username="carol", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name="Account managers"))
    client.force_login(other)
    run = _passed_run(igsp_partner, "igsp")
    assert client.get(reverse("admin:certification_certify", args=[igsp_partner.pk])).status_code == 404
    assert client.get(reverse("admin:certification_run_report", args=[run.pk])).status_code == 404
    tenant_services.partner_update(partner=igsp_partner, actor="test", account_manager=other)
    assert client.get(reverse("admin:certification_run_report", args=[run.pk])).status_code == 200
    assert client.get(reverse("admin:certification_certify", args=[igsp_partner.pk])).status_code == 200
    assert client.get(reverse("admin:certification_certificationrun_changelist")).status_code == 200


def test_command_runs_in_the_foreground_and_exits_1_on_failure(cert):
    out = io.StringIO()
    call_command(
        "certify_partner",
        cert.partner.slug,
        "--protocol",
        "public_api",
        "--currency",
        "USD",
        "--session-id",
        SESSION,
        "--groups",
        "balance",
        stdout=out,
    )
    assert "PASSED: 5/5 passed" in out.getvalue() or "PASSED: 4/4 passed" in out.getvalue()
    cert.sandbox.set_faults(cert.slug, {"balance": {"error_rate": 1.0}}, seed=1)
    with pytest.raises(SystemExit) as exited:
        call_command(
            "certify_partner",
            cert.partner.slug,
            "--protocol",
            "public_api",
            "--session-id",
            SESSION,
            "--groups",
            "balance",
            stdout=io.StringIO(),
        )
    assert exited.value.code == 1
    assert CertificationRun.objects.filter(partner=cert.partner, requested_via="command").count() == 2


def test_partner_starts_and_reads_its_own_run_through_the_signed_igsp_api(cert, live_hub):
    creds = cert.credentials[CredentialPurpose.IGSP]
    body = json.dumps({"player_id": PLAYER, "currency": "USD", "groups": ["balance"]}).encode()
    headers = signing.igsp_headers(creds.credential.public_id, creds.secret, body)
    with mock.patch("certification.services.publish") as publish:
        started = httpx.post(
            f"{live_hub.url}/igsp/v1/certification/runs",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.json()["status"] == "queued"
    assert started.json()["hubVersion"] == hub_version()
    tasks.execute_run(publish.call_args.args[1])

    url = f"{live_hub.url}/igsp/v1/certification/runs/{run_id}"
    read = httpx.get(url, headers=signing.igsp_headers(creds.credential.public_id, creds.secret, b""))
    assert read.status_code == 200
    assert read.json()["status"] == "passed"
    assert {c["id"] for c in read.json()["cases"]} >= {"balance_ok", "balance_shape"}

    unsigned = httpx.post(f"{live_hub.url}/igsp/v1/certification/runs", content=body)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]
    missing = httpx.get(
        f"{live_hub.url}/igsp/v1/certification/runs/{uuid.uuid4()}",
        headers=signing.igsp_headers(creds.credential.public_id, creds.secret, b""),
    )
    assert missing.status_code == 404


def test_partner_starts_a_run_through_the_signed_core_api_and_other_partners_get_404(cert, live_hub, public_partner):
    key = cert.credentials[CredentialPurpose.CORE_API].secret
    payload = {
        "cID": str(cert.partner.pk),
        "extCID": cert.slug,
        "sessionID": SESSION,
        "currency": "USD",
        "groups": ["balance"],
        "requestId": str(uuid.uuid4()),
        "timestamp": int(time.time()),
    }
    body, sig = signing.public_sign_body(key, payload)
    with mock.patch("certification.services.publish"):
        started = httpx.post(
            f"{live_hub.url}/api/v1/certification/runs",
            content=body,
            headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"},
        )
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    services.run_execute(run_id=run_id)

    query = {"cID": str(cert.partner.pk)}
    read = httpx.get(
        f"{live_hub.url}/api/v1/certification/runs/{run_id}",
        params=query,
        headers={"X-REQUEST-SIGN": signing.public_sign(key, signing.canonical_query(query))},
    )
    assert read.status_code == 200
    assert read.json()["status"] == "passed"

    other = {"cID": str(public_partner.pk)}
    foreign = httpx.get(
        f"{live_hub.url}/api/v1/certification/runs/{run_id}",
        params=other,
        headers={"X-REQUEST-SIGN": signing.public_sign(public_partner.api_key, signing.canonical_query(other))},
    )
    assert foreign.status_code == 404
    assert "message" in foreign.json()

    bad = dict(payload, groups=["nope"], requestId=str(uuid.uuid4()))
    body, sig = signing.public_sign_body(key, bad)
    refused = httpx.post(
        f"{live_hub.url}/api/v1/certification/runs",
        content=body,
        headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"},
    )
    assert refused.status_code == 400
    assert "message" in refused.json()
    assert CertificationRun.objects.filter(partner=cert.partner).count() == 1


def _core_start(cert, live_hub, payload: dict) -> httpx.Response:
    body, sig = signing.public_sign_body(cert.credentials[CredentialPurpose.CORE_API].secret, payload)
    return httpx.post(
        f"{live_hub.url}/api/v1/certification/runs",
        content=body,
        headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"},
    )


@mock.patch("certification.services.publish")
def test_a_core_api_start_acts_once_a_replay_or_a_stale_capture_starts_nothing(publish_mock, cert, live_hub):
    """The Core API signs the body alone: requestId (remembered) and timestamp (±HUB_CLOCK_SKEW_SECONDS) in it."""
    start = {
        "cID": str(cert.partner.pk),
        "extCID": cert.slug,
        "sessionID": SESSION,
        "currency": "USD",
        "groups": ["balance"],
    }
    now = int(time.time())
    for spoiled in (
        start,  # neither field
        {**start, "requestId": str(uuid.uuid4())},  # no timestamp
        {**start, "timestamp": now},  # no requestId
        {**start, "requestId": "x", "timestamp": now},
        {**start, "requestId": str(uuid.uuid4()), "timestamp": now - 301},  # a capture of 5 minutes ago
        {**start, "requestId": str(uuid.uuid4()), "timestamp": "2026-01-01"},
    ):
        refused = _core_start(cert, live_hub, spoiled)
        assert refused.status_code == 400, refused.text
        assert set(refused.json()) <= {"message", "details", "code"}
    assert not CertificationRun.objects.filter(partner=cert.partner).exists()

    payload = {**start, "requestId": str(uuid.uuid4()), "timestamp": now}
    assert _core_start(cert, live_hub, payload).status_code == 202
    CertificationRun.objects.filter(partner=cert.partner).update(status=RunStatus.PASSED)  # no run in progress
    replayed = _core_start(cert, live_hub, payload)
    assert replayed.status_code == 409, replayed.text
    assert "requestId" in replayed.json()["message"], replayed.text
    assert CertificationRun.objects.filter(partner=cert.partner).count() == 1


def test_run_against_an_unreachable_wallet_is_an_error_not_a_crash(cert, settings):
    partner = tenant_services.partner_update(
        partner=cert.partner, actor="test", igsp_hooks_url="http://127.0.0.1:9/nothing"
    )
    run = services.run_start(
        partner=partner,
        protocol="igsp",
        actor="test",
        via="test",
        currency="USD",
        player_id=PLAYER,
        groups=["balance"],
        enqueue=False,
    )
    run = services.run_execute(run_id=run.pk)
    assert run.status == RunStatus.ERROR
    assert "balance" in run.error
    assert "connection error" in run.error
    assert not run.results.exists()


def test_a_failed_run_alerts_the_account_manager_once_and_a_passing_run_resolves_it(
    cert, settings, mailoutbox, tasks_inline
):
    from alerts.models import Incident, IncidentKind

    settings.HUB_ALERT_EMAILS = ["ops@example.com"]
    good_url = cert.partner.igsp_hooks_url
    partner = tenant_services.partner_update(
        partner=cert.partner, actor="test", igsp_hooks_url="http://127.0.0.1:9/nothing"
    )
    kwargs = dict(protocol="igsp", actor="test", via="test", currency="USD", player_id=PLAYER, enqueue=False)
    run = services.run_execute(run_id=services.run_start(partner=partner, groups=["balance"], **kwargs).pk)
    assert run.status == RunStatus.ERROR
    incident = Incident.objects.get(partner=partner, kind=IncidentKind.CERTIFICATION_FAILED)
    assert incident.key == "certification"
    assert incident.resolved_at is None
    assert len(mailoutbox) == 1
    assert "certification failed" in mailoutbox[0].subject
    partner = tenant_services.partner_update(partner=partner, actor="test", igsp_hooks_url=good_url)
    run = services.run_execute(run_id=services.run_start(partner=partner, groups=["balance"], **kwargs).pk)
    assert run.status == RunStatus.PASSED
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert len(mailoutbox) == 2
