"""Certification a partner runs and reads alone, in its portal, over real HTTP: it starts a run of its own wallet
(a CSRF-checked POST through ``certification.services.run_start``: one active run per protocol and the daily
allowance it shares with the API, shown as a clear refusal), watches it (the run page refreshes itself while the run
is queued or running) and opens the same report and printable page as its account manager; never another
partner's run."""

from __future__ import annotations

import json
import re
from unittest import mock

import httpx
import pytest
from django.utils import timezone

from certification import services as certification_services
from certification import tasks
from certification.models import CaseResult, CertificationRun, RunStatus
from portal import services as portal_services
from tenants import services as tenant_services
from tenants.models import AuditLog, CredentialPurpose
from tests.certification.conftest import PLAYER, SESSION, cert  # noqa: F401

from .conftest import portal_client

pytestmark = pytest.mark.django_db(transaction=True)


def enter(wired, live_hub, admin_user=None, label="dev") -> httpx.Client:
    issued = portal_services.portal_link_issue(partner=wired.partner, actor=admin_user or "test", label=label)
    return portal_client(live_hub, issued.url)


def csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def start(client: httpx.Client, **fields) -> httpx.Response:
    page = client.get("/portal/certification")
    assert page.status_code == 200, page.text
    return client.post(
        "/portal/certification/start", data={"csrfmiddlewaretoken": csrf(page.text), "currency": "USD", **fields}
    )


def run_id_of(response: httpx.Response) -> str:
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    match = re.fullmatch(r"/portal/certification/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def refusal(response: httpx.Response) -> str:
    found = re.search(r'id="certification-refusal"[^>]*>(.*?)</p>', response.text, re.S)
    assert found, response.text[:3000]
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("&#x27;", "'")


def finish_all(partner) -> None:
    CertificationRun.objects.filter(partner=partner).update(status=RunStatus.PASSED, finished_at=timezone.now())


@mock.patch("certification.services.publish")
def test_partner_starts_a_run_watches_it_and_reads_the_report_with_failures_first(publish, cert, live_hub):  # noqa: F811
    client = enter(cert, live_hub)
    started = start(client, protocol="igsp", player_id=PLAYER, groups=["idempotency"])
    run_id = run_id_of(started)
    run = CertificationRun.objects.get(pk=run_id)
    assert (run.partner_id, run.requested_via, run.player_id, run.groups) == (
        cert.partner.pk,
        "portal",
        PLAYER,
        ["idempotency"],
    )
    publish.assert_called_once_with("certification.execute_run", run_id)  # a worker runs it
    audit = AuditLog.objects.get(action="certification.start", partner=cert.partner)
    assert audit.actor_label.startswith("portal link ")
    assert audit.changes["via"] == "portal"

    queued = client.get(f"/portal/certification/{run_id}")
    assert queued.status_code == 200
    assert '<meta http-equiv="refresh" content="3">' in queued.text
    assert f"0/{run.total} cases run" in queued.text
    assert "Waiting for a worker" in queued.text
    assert re.search(
        rf'data-group="idempotency"><span class="cert-group-name">idempotency</span> <b>0/{run.total}</b>', queued.text
    )

    cert.sandbox.set_faults(cert.slug, {"win": {"double_credit": True}}, seed=1)  # a wallet that credits twice
    tasks.execute_run(run_id)  # what the worker does with the published task
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.failed_count >= 1
    failed = list(CaseResult.objects.filter(run=run, passed=False))

    page = client.get(f"/portal/certification/{run_id}")
    html = page.text
    assert page.status_code == 200
    assert "http-equiv" not in html
    assert 'id="run-state">failed<' in html
    assert f"<b>{run.passed_count}/{run.total}</b> <small>{run.failed_count} failed</small>" in html
    assert html.index('id="cert-summary"') < html.index('id="cert-failures"') < html.index('id="cert-passes"')
    shown = html.replace("&#x27;", "'").replace("&quot;", '"')
    for row in failed:
        assert f'id="case-{row.case_id}"' in html
        assert f"<strong>How to fix:</strong> {row.fix}" in shown
    assert '<details class="cert-passes" id="cert-passes">' in html  # passes folded
    for credential in cert.credentials.values():
        assert credential.secret not in html  # the exchanges show what was sent, never a key

    printable = client.get(f"/portal/certification/{run_id}/print")
    assert printable.status_code == 200
    assert "Wallet certification report" in printable.text
    assert 'id="cert-summary"' in printable.text
    assert "Partial run (idempotency)" in printable.text
    assert "default-src 'self'" in printable.headers["Content-Security-Policy"]
    assert "<style" not in printable.text
    assert client.get("/static/certification/print.css").status_code == 200

    document = client.get(f"/portal/certification/{run_id}.json")
    assert document.status_code == 200
    assert "attachment" in document.headers["Content-Disposition"]
    assert json.loads(document.text)["status"] == "failed"
    assert len(json.loads(document.text)["cases"]) == run.total

    home = client.get("/portal/").text
    assert f'href="/portal/certification/{run_id}"' in home
    assert "HOOK" not in home
    assert "once certification is available" not in home


@mock.patch("certification.services.publish")
def test_a_second_run_is_refused_409_and_beyond_the_days_allowance_429_as_a_message_on_the_page(
    publish_mock,
    cert,  # noqa: F811
    live_hub,
    settings,
):
    settings.HUB_CERTIFICATION_RUNS_PER_DAY = 3
    client = enter(cert, live_hub)
    run_id_of(start(client, protocol="igsp", player_id=PLAYER, groups=["balance"]))
    again = start(client, protocol="igsp", player_id=PLAYER, groups=["balance"])
    assert again.status_code == 409
    assert refusal(again).startswith("A run is already in progress.")
    assert "still queued" in refusal(again)
    # The other protocol is its own queue of one.
    run_id_of(start(client, protocol="public_api", session_id=SESSION, ext_cid=cert.slug, groups=["balance"]))
    finish_all(cert.partner)

    # The allowance is the partner's, whichever door: a run started through the API counts.
    certification_services.run_start(
        partner=cert.partner, protocol="igsp", actor="test", via="api", currency="USD", player_id=PLAYER
    )
    finish_all(cert.partner)
    spent = start(client, protocol="igsp", player_id=PLAYER, groups=["balance"])
    assert spent.status_code == 429
    assert int(spent.headers["Retry-After"]) > 0
    assert refusal(spent).startswith("Today's allowance of runs is spent.")
    assert "00:00 UTC" in refusal(spent)
    assert CertificationRun.objects.filter(partner=cert.partner).count() == 3

    # Runs the account manager starts are not the partner's allowance.
    certification_services.run_start(
        partner=cert.partner, protocol="igsp", actor="test", via="admin", currency="USD", player_id=PLAYER
    )


@mock.patch("certification.services.publish")
def test_bad_input_is_a_clear_4xx_never_a_500(publish, cert, live_hub):  # noqa: F811
    client = enter(cert, live_hub)
    no_player = start(client, protocol="igsp", player_id="  ")
    assert no_player.status_code == 400
    assert "Name the test player" in no_player.text
    for fields in (
        {"protocol": "nope", "player_id": PLAYER},
        {"protocol": "igsp", "player_id": PLAYER, "groups": ["no-such-group"]},
        {"protocol": "igsp", "player_id": PLAYER, "currency": "XXX"},
        {"protocol": "public_api", "session_id": SESSION, "ext_cid": "someone-elses"},
    ):
        refused = start(client, **fields)
        assert refused.status_code == 400, fields
        assert 'class="error"' in refused.text, fields
    # A live partner may only certify against the test players its account manager declared.
    undeclared = start(client, protocol="igsp", player_id="a-real-player")
    assert undeclared.status_code == 403
    assert "not one of this partner's declared test players" in refusal(undeclared)
    # Without the CSRF token, or without a portal session: refused, nothing started.
    page = client.get("/portal/certification")
    assert client.post("/portal/certification/start", data={"protocol": "igsp"}).status_code == 403
    with httpx.Client(base_url=live_hub.url, cookies=client.cookies) as other:
        other.cookies.delete("sessionid")
        anonymous = other.post("/portal/certification/start", data={"csrfmiddlewaretoken": csrf(page.text)})
        assert anonymous.status_code == 403
        assert 'id="portal-denied"' in anonymous.text
    assert not CertificationRun.objects.exists()
    assert not publish.called


def test_a_partner_never_opens_another_partners_run(two_partners, live_hub):
    a, b = two_partners
    kw = dict(protocol="igsp", actor="test", via="admin", currency="USD", player_id="p", enqueue=False)
    theirs = certification_services.run_start(partner=b.partner, **kw)
    client_a = enter(a, live_hub)
    for path in ("", "/print", ".json"):
        assert client_a.get(f"/portal/certification/{theirs.pk}{path}").status_code == 404, path
    assert str(theirs.pk) not in client_a.get("/portal/").text + client_a.get("/portal/certification").text
    client_b = enter(b, live_hub)
    assert client_b.get(f"/portal/certification/{theirs.pk}").status_code == 200
    assert f'href="/portal/certification/{theirs.pk}"' in client_b.get("/portal/certification").text


def test_the_portal_start_service_is_the_certification_service_with_the_partners_limits(cert):  # noqa: F811
    link = portal_services.portal_link_issue(partner=cert.partner, actor="test", label="ops").link
    run = portal_services.portal_certification_start(
        link=link, protocol="public_api", currency="USD", session_id=SESSION, player_id="ignored", ext_cid=cert.slug
    )
    assert (run.requested_via, run.session_id, run.player_id, run.ext_client.ext_cid) == (
        "portal",
        SESSION,
        "",
        cert.slug,
    )
    assert AuditLog.objects.get(action="certification.start").actor_label == f"portal link {str(link.pk)[:8]} (ops)"
    with pytest.raises(certification_services.RunInProgress):
        portal_services.portal_certification_start(link=link, protocol="public_api", currency="USD", session_id=SESSION)
    tenant_services.partner_update(partner=cert.partner, actor="test", certification_test_players=[])
    link.partner.refresh_from_db()
    with pytest.raises(certification_services.NotATestPlayer):
        portal_services.portal_certification_start(link=link, protocol="igsp", currency="USD", player_id=PLAYER)


def test_keys_cannot_leak_through_the_certification_pages(cert, live_hub):  # noqa: F811
    client = enter(cert, live_hub)
    page = client.get("/portal/certification").text
    assert all(c.secret not in page for c in cert.credentials.values())
    assert cert.credentials[CredentialPurpose.IGSP].credential.public_id not in page
