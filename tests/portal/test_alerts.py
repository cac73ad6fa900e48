"""Alerts: a breaker opening, stuck deliveries and a failed certification notify the account manager (Django's
locmem mail) and the partner's alert webhook (a real HTTP receiver, signature checked), once per incident, with
a resolve message when it clears."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from alerts import services as alerts
from alerts.models import Incident
from core import signing
from tenants import services as tenant_services
from tenants.models import CredentialPurpose
from wallet.delivery import sweeper
from wallet.models import PartnerDeliveryState, Transaction

from .conftest import play


@pytest.fixture(autouse=True)
def _alert_tasks_run_inline(tasks_inline):
    """Each notification is its own Celery task: here it runs as it is published (after commit)."""


def setup_partner(wired, django_user_model, url):
    manager = django_user_model.objects.create_user(username="am", email="am@hub.example", is_staff=True)
    partner = tenant_services.partner_update(
        partner=wired.partner, actor="test", account_manager=manager, alert_webhook_url=url
    )
    wired.alert_secret = tenant_services.credential_issue(
        partner=partner, purpose=CredentialPurpose.ALERT_WEBHOOK, actor="test"
    ).secret
    return partner


def test_breaker_open_alerts_once_and_resolves(two_partners, game, django_user_model, alert_receiver, settings):
    url, got = alert_receiver
    a, b = two_partners
    partner = setup_partner(a, django_user_model, url)
    settings.HUB_BREAKER_FAILURES = 2
    a.faults(win={"error_rate": 1.0})
    from wallet import delivery

    _, _, win = play(a, game)
    Transaction.objects.filter(pk=win.pk).update(next_attempt_at=timezone.now())
    delivery.deliver(win.pk)  # second failure: the breaker opens
    assert PartnerDeliveryState.objects.get(partner=partner).open_until is not None

    # The delivery engine published alerts.evaluate as the breaker opened (run inline here): the incident is open.
    assert Incident.objects.filter(partner=partner, kind="breaker_open", resolved_at=None).count() == 1
    assert alerts.evaluate()["opened"] == 0  # once per incident
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["am@hub.example"]
    assert "circuit breaker open" in mail.outbox[0].subject
    assert partner.name in mail.outbox[0].subject
    assert len(got) == 1
    headers, body = got[0]
    signing.alert_verify([a.alert_secret], body, headers)  # raises if not (its own secret, not a wallet key)
    payload = json.loads(body)
    assert payload["event"] == "incident.opened"
    assert payload["incident"]["kind"] == "breaker_open"
    assert payload["incident"]["partnerId"] == str(partner.pk)
    # The other partner hears nothing.
    assert not Incident.objects.filter(partner=b.partner).exists()

    PartnerDeliveryState.objects.filter(partner=partner).update(open_until=None, consecutive_failures=0)
    assert alerts.evaluate()["resolved"] == 1
    assert alerts.evaluate()["resolved"] == 0
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("[hub] resolved:")
    assert json.loads(got[1][1])["event"] == "incident.resolved"
    assert len(got) == 2
    assert Incident.objects.get().webhook_result == "resolved: HTTP 204"


def test_stuck_deliveries_from_the_sweeper(two_partners, game, django_user_model, alert_receiver, settings):
    url, got = alert_receiver
    a, _ = two_partners
    setup_partner(a, django_user_model, url)
    a.faults(win={"error_rate": 1.0})
    _, _, win = play(a, game)
    Transaction.objects.filter(pk=win.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert sweeper.sweep()["stuck_flagged"] == 1
    alerts.evaluate()
    incident = Incident.objects.get(kind="delivery_stuck")
    assert incident.details == {"count": 1}
    assert "1 delivery" in mail.outbox[0].subject + mail.outbox[0].body
    Transaction.objects.filter(pk=win.pk).update(status="confirmed")
    alerts.evaluate()
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert len(mail.outbox) == 2
    assert len(got) == 2


def test_certification_hook_and_the_one_open_incident_constraint(two_partners, django_user_model, alert_receiver):
    url, _got = alert_receiver
    a, _ = two_partners
    partner = setup_partner(a, django_user_model, url)
    first = alerts.notify_certification_failed(partner=partner, run_id="run-7", summary="3 of 40 checks failed")
    assert first is not None
    # Another run failing while the first incident is open: the same incident, no second mail.
    assert alerts.notify_certification_failed(partner=partner, run_id="run-8", summary="again") is None
    assert len(mail.outbox) == 1
    assert "Certification failed" in mail.outbox[0].body
    with pytest.raises(IntegrityError):  # the database, not the code, keeps one open incident
        Incident.objects.create(partner=partner, kind="certification_failed", key=first.key, summary="x")


def test_webhook_url_is_validated_like_partner_urls(two_partners):
    from django.core.exceptions import ValidationError

    a, _ = two_partners
    a.partner.alert_webhook_url = "http://169.254.169.254/latest"
    with pytest.raises(ValidationError):
        a.partner.full_clean()
