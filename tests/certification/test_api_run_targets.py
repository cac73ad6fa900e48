"""Runs started through the partners' API touch real money at the partner's wallet (bets, wins, and the runner's
balance restore, which moves money outside the hub's ledger). Once the partner is live they may only target the
test players the account manager declared on the partner; while onboarding, any player. Anything else is a 403
``not_a_test_player`` in each protocol's own error shape, and nothing is written. Runs the account manager starts
(admin, command) are not limited."""

from __future__ import annotations

from unittest import mock

import pytest

from certification import services
from certification.models import CertificationRun, RunStatus
from tenants import services as tenant_services
from tenants.models import AuditLog, PartnerStatus

from .conftest import PLAYER, SESSION
from .test_run_limits import _igsp_start, _public_start

pytestmark = pytest.mark.django_db(transaction=True)


def _undeclare(cert):
    cert.partner = tenant_services.partner_update(partner=cert.partner, actor="test", certification_test_players=[])
    assert cert.partner.status == PartnerStatus.ACTIVE
    return cert


def _starts_written(cert) -> tuple[int, int]:
    return (
        CertificationRun.objects.filter(partner=cert.partner).count(),
        AuditLog.objects.filter(partner=cert.partner, action="certification.start").count(),
    )


@mock.patch("certification.services.publish")
def test_a_live_partner_cannot_certify_against_an_undeclared_player_in_either_protocol(publish_mock, cert, live_hub):
    _undeclare(cert)

    igsp = _igsp_start(cert, live_hub)
    assert igsp.status_code == 403, igsp.text
    assert igsp.json()["error"] == "not_a_test_player"
    assert igsp.json()["status"] == 403
    assert PLAYER in igsp.json()["message"]
    assert "test player" in igsp.json()["message"]

    public = _public_start(cert, live_hub)
    assert public.status_code == 403, public.text
    # The Core API's error shape: a message (its ``code`` enum is the contract's, which has no such code).
    assert set(public.json()) <= {"message", "details"}
    assert SESSION in public.json()["message"]
    assert "test player" in public.json()["message"]

    assert _starts_written(cert) == (0, 0)
    publish_mock.assert_not_called()


@mock.patch("certification.services.publish")
def test_declared_test_players_may_be_certified_through_the_api(publish_mock, cert, live_hub):
    _undeclare(cert)
    cert.partner = tenant_services.partner_update(
        partner=cert.partner, actor="test", certification_test_players=[f" {PLAYER} ", SESSION, PLAYER]
    )
    assert cert.partner.certification_test_players == [PLAYER, SESSION]  # trimmed, once each
    assert _igsp_start(cert, live_hub).status_code == 202
    assert _public_start(cert, live_hub).status_code == 202
    assert _starts_written(cert) == (2, 2)


@mock.patch("certification.services.publish")
def test_an_onboarding_partner_may_certify_against_any_player(publish_mock, cert, live_hub):
    _undeclare(cert)
    from tenants.models import Partner

    Partner.objects.filter(pk=cert.partner.pk).update(status=PartnerStatus.ONBOARDING)
    assert _igsp_start(cert, live_hub).status_code == 202
    assert _public_start(cert, live_hub).status_code == 202


def test_runs_the_account_manager_starts_are_not_limited(cert):
    _undeclare(cert)
    kw = dict(actor="test", currency="USD", enqueue=False)
    run = services.run_start(partner=cert.partner, protocol="igsp", via="admin", player_id=PLAYER, **kw)
    assert run.status == RunStatus.QUEUED
    run = services.run_start(partner=cert.partner, protocol="public_api", via="command", session_id=SESSION, **kw)
    assert run.status == RunStatus.QUEUED
    with pytest.raises(services.NotATestPlayer):  # the service itself refuses an API start, whoever calls it
        services.run_start(partner=cert.partner, protocol="igsp", via="api", player_id="someone-else", **kw)


def test_the_test_players_are_set_in_the_partner_admin(cert, admin_client):
    page = admin_client.get(f"/admin/tenants/partner/{cert.partner.pk}/change/")
    assert page.status_code == 200
    assert b'name="certification_test_players"' in page.content
