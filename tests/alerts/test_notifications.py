"""Alert notifications: one Celery task per email and per webhook, each with its own timeout
(HUB_ALERT_TIMEOUT_SECONDS), so a partner whose webhook hangs delays no other partner's alert; each sent at most
once however often its task runs; the webhook signed with the partner's own alert webhook secret (not a wallet-call
key) over the timestamp, the event type and the body. Real local HTTP receivers throughout."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts import services as alerts
from alerts.models import Incident, Notification
from config.celery import app as celery_app
from core import signing
from core.tasks import task
from tenants import services as tenant_services
from tenants.models import CredentialPurpose
from tests.conftest import run_together
from wallet.models import PartnerDeliveryState

from .conftest import alert_partner

pytestmark = pytest.mark.django_db(transaction=True)

SEND = "alerts.send_notification"


def _open_breaker(partner) -> None:
    PartnerDeliveryState.objects.update_or_create(
        partner=partner,
        defaults={"open_until": timezone.now() + timedelta(minutes=5), "consecutive_failures": 9},
    )


@pytest.fixture
def published(monkeypatch):
    """What the hub hands to Celery (the tests play the workers)."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(alerts, "publish", lambda name, *args, **kw: sent.append((name, args)))
    return sent


def test_a_hanging_webhook_does_not_delay_another_partners_alert(hook_server, published, settings):
    settings.HUB_ALERT_TIMEOUT_SECONDS = 1.0
    hanging_url, hanging_got = hook_server(delay=30)
    fast_url, fast_got = hook_server()
    hanging, _, _ = alert_partner("A hanging partner", hanging_url)  # first by name: the old loop sent its alert first
    fast, _, _ = alert_partner("B fast partner", fast_url)
    _open_breaker(hanging)
    _open_breaker(fast)

    started = time.monotonic()
    assert alerts.evaluate()["opened"] == 2  # the beat task
    assert time.monotonic() - started < 1.0, "the beat task waited on a webhook"
    assert not hanging_got
    assert not fast_got  # nothing sent inline: one task per notification
    assert {name for name, _ in published} == {SEND}
    assert len(published) == 2  # no mail recipients: webhooks only

    # Two worker threads take the two tasks.
    started = time.monotonic()
    results = run_together(len(published), lambda i: task(published[i][0])(*published[i][1]), timeout=20)
    assert len(fast_got) == 1
    assert fast_got[0][0] - started < 1.0  # at once, though the other webhook hangs
    assert time.monotonic() - started < 1.0 + 2.0  # the hanging one gave up after its own timeout
    assert len(hanging_got) == 1
    assert len(results) == 2
    hanging_result = Incident.objects.get(partner=hanging).webhook_result
    assert hanging_result.startswith("opened: ")
    assert "HTTP" not in hanging_result
    assert Incident.objects.get(partner=fast).webhook_result == "opened: HTTP 204"


def test_the_webhook_signature_covers_event_and_timestamp_and_no_wallet_key_verifies_it(
    hook_server, published, django_user_model
):
    url, got = hook_server()
    partner, wallet_keys, alert_secret = alert_partner("Signed partner", url, django_user_model)
    alerts.notify_certification_failed(partner=partner, run_id="run-1", summary="3 of 40 checks failed")
    for name, args in published:
        task(name)(*args)
    assert len(got) == 1
    assert len(mail.outbox) == 1
    _, headers, body = got[0]

    # The documented recipe: hex HMAC-SHA256(secret, "<X-Hub-Timestamp>.<X-Hub-Event>." + raw body), "v1=" first.
    event, timestamp = headers["X-Hub-Event"], headers["X-Hub-Timestamp"]
    assert event == "incident.opened"
    assert json.loads(body)["event"] == event
    assert abs(int(timestamp) - time.time()) < 30
    expected = hmac.new(alert_secret.encode(), f"{timestamp}.{event}.".encode() + body, hashlib.sha256).hexdigest()
    signatures = [s.strip() for s in headers["X-Hub-Signature"].split(",")]
    assert f"v1={expected}" in signatures
    assert signing.alert_verify([alert_secret], body, headers) == 0
    assert headers["X-Hub-Delivery"] == str(Notification.objects.get(channel="webhook").pk)

    # Not the wallet-call scheme, and no wallet key verifies it.
    assert "Authorization" not in headers
    assert "X-Signature" not in headers
    assert "X-REQUEST-SIGN" not in headers
    for key in wallet_keys.values():
        with pytest.raises(signing.SignatureError):
            signing.alert_verify([key.secret], body, headers)
    # The event type and the timestamp are signed: changing either breaks the signature; an old one is refused.
    for changed in ({"X-Hub-Event": "incident.resolved"}, {"X-Hub-Timestamp": str(int(timestamp) - 1)}):
        with pytest.raises(signing.SignatureError):
            signing.alert_verify([alert_secret], body, {**headers, **changed})
    with pytest.raises(signing.SignatureError):
        signing.alert_verify([alert_secret], body, headers, now=timezone.now() + timedelta(minutes=10))


def test_a_rotated_alert_secret_signs_with_both_keys_during_the_grace_period(hook_server, published):
    url, got = hook_server()
    partner, _, old_secret = alert_partner("Rotating partner", url)
    old = partner.credentials.get(purpose=CredentialPurpose.ALERT_WEBHOOK)
    new_secret = tenant_services.credential_rotate(credential=old, actor="test", grace_seconds=3600).secret
    alerts.notify_certification_failed(partner=partner, run_id="run-1", summary="failed")
    for name, args in published:
        task(name)(*args)
    _, headers, body = got[0]
    assert signing.alert_verify([new_secret], body, headers) == 0
    assert signing.alert_verify([old_secret], body, headers) == 0  # the partner switches keys at leisure


def test_without_an_alert_secret_the_webhook_is_not_sent_with_a_wallet_key(hook_server, published):
    url, got = hook_server()
    partner, _, _ = alert_partner("Keyless partner", url)
    for cred in partner.credentials.filter(purpose=CredentialPurpose.ALERT_WEBHOOK):
        tenant_services.credential_revoke(credential=cred, actor="test")
    alerts.notify_certification_failed(partner=partner, run_id="run-1", summary="failed")
    for name, args in published:
        task(name)(*args)
    assert not got
    assert "alert webhook secret" in Incident.objects.get(partner=partner).webhook_result


def test_a_task_run_twice_sends_once_and_a_lost_message_is_published_again(
    hook_server, published, django_user_model, settings
):
    url, got = hook_server()
    partner, _, _ = alert_partner("Twice partner", url, django_user_model)
    alerts.notify_certification_failed(partner=partner, run_id="run-1", summary="failed")
    assert len(published) == 2  # the email and the webhook, one task each
    for name, args in published * 2:  # every message delivered twice (acks_late redelivery, a retry)
        task(name)(*args)
    run_together(2, lambda i: task(published[0][0])(*published[0][1]))
    assert len(got) == 1
    assert len(mail.outbox) == 1

    # A message the broker lost: the next evaluation publishes the notification again, once it is overdue.
    published.clear()
    alerts.notify_certification_passed(partner=partner)
    lost = list(published)
    published.clear()
    alerts.evaluate()
    assert published == []  # not overdue yet: its message may still be on its way
    Notification.objects.filter(claimed_at__isnull=True).update(published_at=timezone.now() - timedelta(minutes=5))
    alerts.evaluate()
    assert sorted(published) == sorted(lost)
    for name, args in published + lost:
        task(name)(*args)
    assert len(got) == 2
    assert len(mail.outbox) == 2
    published.clear()
    alerts.evaluate()
    assert published == []  # sent: never published again


def test_notification_tasks_go_to_the_default_queue():
    """Each is bounded by HUB_ALERT_TIMEOUT_SECONDS and incidents are rare (one per open incident), so they share
    the payout workers' queue rather than wait behind minutes-long certification runs."""
    assert celery_app.amqp.router.route({}, SEND)["queue"].name == celery_app.conf.task_default_queue == "celery"


def test_setting_the_webhook_url_in_the_admin_issues_its_secret_shown_once(admin_client, igsp_partner):
    from tests.tenants.test_admin import assert_shown_once_page, change_form_data, plaintext

    change = f"/admin/tenants/partner/{igsp_partner.pk}/change/"
    data = change_form_data(admin_client.get(change))
    data["alert_webhook_url"] = "https://ops.casino.example/hub-alerts"
    body = assert_shown_once_page(admin_client.post(change, data))
    secret = plaintext(igsp_partner.credentials.get(purpose=CredentialPurpose.ALERT_WEBHOOK))
    assert secret.startswith("hub_alert_")
    assert secret in body
    assert "alertWebhookSecret" in body
    assert igsp_partner.secret not in body  # the wallet key is not shown again
    assert secret not in admin_client.get(change).content.decode()
