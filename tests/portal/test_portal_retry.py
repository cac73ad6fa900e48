"""The portal's "Retry now" refused, over real HTTP through a portal session: a delivery a worker is sending right
now (its lease still held) answers 409, a second retry within HUB_RETRY_NOW_INTERVAL_SECONDS answers 429 with
Retry-After; both as the portal's own page with the refusal next to the stuck deliveries (not a bare text page),
and neither changes anything in the database (the row, the audit log)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.forms.models import model_to_dict
from django.utils import timezone

from portal import services as portal_services
from tenants.models import AuditLog
from wallet.models import Transaction

from .conftest import play, portal_client
from .test_portal import csrf


def _row(tx) -> dict:
    return model_to_dict(Transaction.objects.get(pk=tx.pk))


def _refusal(html: str) -> str:
    found = re.search(r'id="retry-refusal"[^>]*>(.*?)</p>', html, re.S)
    assert found, html[:3000]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _stuck(wired, game):
    wired.faults(win={"error_rate": 1.0})
    _, _, win = play(wired, game)
    Transaction.objects.filter(pk=win.pk).update(stuck=True, next_attempt_at=timezone.now() + timedelta(hours=1))
    return win


def test_retry_now_of_a_delivery_being_sent_answers_409_on_the_portal_page_and_changes_nothing(
    two_partners, game, live_hub, admin_user
):
    a, _ = two_partners
    win = _stuck(a, game)
    Transaction.objects.filter(pk=win.pk).update(lease_until=timezone.now() + timedelta(seconds=30))  # in flight
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    home = client.get("/portal/").text
    assert f"stuck-{win.pk}" in home
    assert "Retry now" in home
    before = _row(win)

    refused = client.post(f"/portal/stuck/{win.pk}/retry", data=csrf(client, home))
    assert refused.status_code == 409, refused.text[:2000]
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "being sent right now" in _refusal(refused.text)
    assert a.partner.name in refused.text
    assert f"stuck-{win.pk}" in refused.text  # the portal, its delivery listed
    assert "default-src 'self'" in refused.headers["Content-Security-Policy"]
    assert _row(win) == before
    assert not AuditLog.objects.filter(action="delivery.retry_now").exists()


def test_a_second_retry_now_within_the_interval_answers_429_with_retry_after_and_changes_nothing(
    two_partners, game, live_hub, admin_user, settings
):
    settings.HUB_RETRY_NOW_INTERVAL_SECONDS = 60
    a, _ = two_partners
    win = _stuck(a, game)
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    home = client.get("/portal/").text

    done = client.post(f"/portal/stuck/{win.pk}/retry", data=csrf(client, home))
    assert done.status_code == 302, done.text[:2000]
    assert Transaction.objects.get(pk=win.pk).next_attempt_at <= timezone.now()
    # The worker has not taken it yet (the pump is not running here); the partner clicks again.
    later = timezone.now() + timedelta(hours=1)
    Transaction.objects.filter(pk=win.pk).update(next_attempt_at=later)
    before = _row(win)

    refused = client.post(f"/portal/stuck/{win.pk}/retry", data=csrf(client, client.get("/portal/").text))
    assert refused.status_code == 429, refused.text[:2000]
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "retried less than 60 s ago" in _refusal(refused.text)
    assert f"stuck-{win.pk}" in refused.text
    assert _row(win) == before
    assert Transaction.objects.get(pk=win.pk).next_attempt_at == later
    assert AuditLog.objects.filter(action="delivery.retry_now").count() == 1  # the first retry only


def test_the_retried_notice_names_only_a_transaction_id_never_text_from_the_address(two_partners, live_hub, admin_user):
    a, _ = two_partners
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    forged = client.get("/portal/", params={"retried": "nothing. Your keys leaked: mail them to x@example.com"})
    assert forged.status_code == 200
    assert 'id="retried"' not in forged.text
    assert "keys leaked" not in forged.text
    tx_id = "0b9d3c52-4a8e-4f4e-9a57-2f1de6f0c1aa"
    assert f"Retry of {tx_id} requested" in client.get("/portal/", params={"retried": tx_id}).text
