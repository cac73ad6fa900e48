"""The partner portal over real HTTP: magic links (hashed, expiring, revocable, audited), the delivery log with
what was sent and answered, endpoint health, "retry now", keys without secrets; scoped to one partner."""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import timedelta

import httpx
from django.utils import timezone

from portal import services as portal_services
from portal.models import PortalLink
from tenants import services as tenant_services
from tenants.models import AuditLog, Partner, PartnerStatus
from wallet.models import DeliveryAttempt, Transaction, WalletCall

from .conftest import play, portal_client, portal_refused


def csrf(client: httpx.Client, html: str) -> dict:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return {"csrfmiddlewaretoken": token}


def test_every_wallet_call_is_logged_with_request_response_and_latency(two_partners, game):
    a, _ = two_partners
    session, rounds, win_tx = play(a, game, protocol="public_api")
    calls = {c.kind: c for c in WalletCall.objects.filter(partner=a.partner)}
    assert set(calls) == {"bet", "balance"}
    bet = WalletCall.objects.filter(partner=a.partner, kind="bet").first()
    assert bet.http_status == 200
    assert bet.outcome == "ok"
    assert bet.round_id in {r.pk for r in rounds}
    assert bet.request["method"] == "POST"
    assert bet.request["body"]["amount"] == "1.00"
    assert "balance" in bet.response_body
    assert calls["balance"].request["query"] == {"sessionID": session.partner_session_ref}
    attempt = DeliveryAttempt.objects.get(transaction=win_tx)
    assert attempt.request["body"]["txID"] == str(win_tx.pk)
    assert attempt.response_body is not None
    # No signature or key is ever stored.
    stored = str([c.request for c in WalletCall.objects.all()]) + str(attempt.request)
    assert a.credentials["integration_api"].secret not in stored
    assert "X-REQUEST-SIGN" not in stored


def test_magic_link_opens_the_portal_of_its_partner_only(two_partners, game, live_hub, admin_user):
    a, b = two_partners
    _, rounds_a, win_a = play(a, game, player="alice")
    _, _rounds_b, win_b = play(b, game, player="bob")
    issued = portal_services.portal_link_issue(partner=a.partner, actor=admin_user, days=3, label="dev")
    link = PortalLink.objects.get()
    assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in str(list(PortalLink.objects.values())) + str(list(AuditLog.objects.values()))
    client = portal_client(live_hub, issued.url)

    home = client.get("/portal/")
    assert home.status_code == 200
    assert a.partner.name in home.text
    assert b.partner.name not in home.text
    assert home.headers["Cache-Control"].startswith("private")
    assert "no-store" in home.headers["Cache-Control"]
    for cred in a.credentials.values():  # fingerprints only, never a secret
        assert cred.secret not in home.text
        assert cred.credential.fingerprint in home.text

    log = client.get("/portal/log").text
    assert str(win_a.pk) in log
    assert str(win_b.pk) not in log
    assert "alice" in log
    assert "bob" not in log
    assert client.get("/portal/log", params={"q": "alice"}).text.count("<tr class=") == 4  # balance, 2 bets, win
    by_round = client.get("/portal/log", params={"q": str(rounds_a[1].pk)}).text
    assert by_round.count("<tr class=") == 1
    assert client.get("/portal/log", params={"q": str(win_a.pk), "kind": "win"}).text.count("<tr class=") == 1
    # The other partner's ids find nothing, and its entries are 404.
    assert "No calls" in client.get("/portal/log", params={"q": str(win_b.pk)}).text
    other = DeliveryAttempt.objects.get(transaction=win_b)
    assert client.get(f"/portal/log/delivery/{other.pk}").status_code == 404
    mine = DeliveryAttempt.objects.get(transaction=win_a)
    detail = client.get(f"/portal/log/delivery/{mine.pk}")
    assert detail.status_code == 200
    assert str(win_a.pk) in detail.text
    assert "Request" in detail.text

    assert AuditLog.objects.filter(action="portal_link.issue", partner=a.partner).exists()
    assert AuditLog.objects.filter(action="portal_link.open", partner=a.partner).count() == 1


def test_revoked_expired_and_unknown_links_are_refused(two_partners, live_hub, admin_user):
    a, _ = two_partners
    issued = portal_services.portal_link_issue(partner=a.partner, actor=admin_user)
    client = portal_client(live_hub, issued.url)
    assert client.get("/portal/").status_code == 200
    portal_services.portal_link_revoke(link=issued.link, actor=admin_user)
    assert client.get("/portal/").status_code == 403  # the open session ends at the next click
    assert portal_refused(live_hub, issued.token) == 403
    assert AuditLog.objects.filter(action="portal_link.revoke").exists()

    expiring = portal_services.portal_link_issue(partner=a.partner, actor=admin_user)
    PortalLink.objects.filter(pk=expiring.link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert portal_refused(live_hub, expiring.token) == 403
    assert portal_refused(live_hub, "hub_portal_nope") == 403
    assert portal_refused(live_hub, "") == 403
    assert httpx.get(f"{live_hub.url}/portal/", follow_redirects=False).status_code == 403

    leaving = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    home = leaving.get("/portal/")
    assert leaving.post("/portal/leave", data=csrf(leaving, home.text)).status_code == 200
    assert leaving.get("/portal/").status_code == 403  # left: the link must be opened again


def test_retry_now_on_a_stuck_delivery_and_not_on_another_partners(two_partners, game, live_hub, admin_user):
    a, b = two_partners
    a.faults(win={"error_rate": 1.0})
    b.faults(win={"error_rate": 1.0})
    _, _, win_a = play(a, game)
    _, _, win_b = play(b, game)
    Transaction.objects.filter(pk__in=[win_a.pk, win_b.pk]).update(
        stuck=True, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    home = client.get("/portal/").text
    assert f"stuck-{win_a.pk}" in home
    assert str(win_b.pk) not in home
    assert "Retry now" in home

    refused = client.post(f"/portal/stuck/{win_b.pk}/retry", data=csrf(client, home))
    assert refused.status_code == 404
    assert Transaction.objects.get(pk=win_b.pk).next_attempt_at > timezone.now() + timedelta(minutes=30)

    done = client.post(f"/portal/stuck/{win_a.pk}/retry", data=csrf(client, home))
    assert done.status_code == 302
    assert Transaction.objects.get(pk=win_a.pk).next_attempt_at <= timezone.now()
    entry = AuditLog.objects.get(action="delivery.retry_now")
    assert entry.partner_id == a.partner.pk
    assert entry.actor_label.startswith("portal link")
    # Without the CSRF token the POST is refused.
    assert client.post(f"/portal/stuck/{win_a.pk}/retry").status_code == 403


def test_endpoint_health_counts_failures_as_the_breaker_does(two_partners, game):
    from portal import selectors

    a, _ = two_partners
    play(a, game, bets=3)
    a.faults(bet={"error_rate": 1.0})
    from decimal import Decimal

    from tests.wallet.test_policies import new_session
    from wallet import services

    session = new_session(a, game, "igsp", player="p-2")
    with contextlib.suppress(Exception):  # the 5xx declines the bet
        services.bet_place(session=session, amount=Decimal("1.00"))
    health = selectors.endpoint_health(partner=a.partner, window="hour")
    calls = (
        WalletCall.objects.filter(partner=a.partner).count() + DeliveryAttempt.objects.filter(partner=a.partner).count()
    )
    assert health["calls"] == calls
    assert calls >= 6
    assert health["success_rate"] == round(100 * (calls - 1) / calls, 1)
    assert health["p50_ms"] is not None
    assert health["p99_ms"] >= health["p50_ms"]
    assert len(health["series"]) == 12
    assert sum(b["calls"] for b in health["series"]) == calls
    assert selectors.breaker_status(partner=a.partner)["state"] == "closed"


def test_call_log_purge_keeps_the_recent_calls(igsp_partner, settings):
    from wallet.calllog import purge

    settings.HUB_CALL_LOG_DAYS = 30
    now = timezone.now()
    for age in (31, 29):
        WalletCall.objects.create(
            partner=igsp_partner, kind="balance", started_at=now - timedelta(days=age), outcome="ok"
        )
    assert purge(now=now) == 1
    assert WalletCall.objects.get().started_at == now - timedelta(days=29)


def test_log_payloads_are_redacted_bounded_and_storable():
    from wallet.calllog import MAX_CHARS, bounded

    record = bounded({"token": "abc", "nested": {"password": "x"}, "text": "a\x00b", "n": float("nan")})
    assert record == {"token": "[REDACTED]", "nested": {"password": "[REDACTED]"}, "text": "ab", "n": "nan"}
    big = bounded({"blob": "x" * 10_000})
    assert big["truncated"] is True
    assert len(big["preview"]) == MAX_CHARS


def test_a_suspended_partners_links_and_retry_now_are_refused_and_suspension_revokes_them(
    two_partners, game, live_hub, admin_user
):
    a, b = two_partners
    a.faults(win={"error_rate": 1.0})
    _, _, win = play(a, game)
    later = timezone.now() + timedelta(hours=1)
    Transaction.objects.filter(pk=win.pk).update(stuck=True, next_attempt_at=later)
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    unopened = portal_services.portal_link_issue(partner=a.partner, actor=admin_user)
    others = portal_client(live_hub, portal_services.portal_link_issue(partner=b.partner, actor=admin_user).url)
    home = client.get("/portal/").text
    assert "Retry now" in home

    # Whatever path set the status, a suspended partner's portal is closed at once: pages, retry, new entries.
    Partner.objects.filter(pk=a.partner.pk).update(status=PartnerStatus.SUSPENDED)
    assert client.get("/portal/").status_code == 403
    assert client.post(f"/portal/stuck/{win.pk}/retry", data=csrf(client, home)).status_code == 403
    assert Transaction.objects.get(pk=win.pk).next_attempt_at == later
    assert portal_refused(live_hub, unopened.token) == 403
    assert others.get("/portal/").status_code == 200  # another partner's portal is untouched

    # Suspending through the service revokes every link (audited): they stay dead after reactivation.
    Partner.objects.filter(pk=a.partner.pk).update(status=PartnerStatus.ACTIVE)
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    assert client.get("/portal/").status_code == 200
    tenant_services.partner_suspend(partner=a.partner, actor=admin_user, reason="chargebacks")
    assert not PortalLink.objects.filter(partner=a.partner, revoked_at__isnull=True).exists()
    assert PortalLink.objects.filter(partner=b.partner, revoked_at__isnull=True).count() == 1
    assert AuditLog.objects.filter(action="portal_link.revoke", partner=a.partner).count() == 3
    tenant_services.partner_activate(partner=a.partner, actor=admin_user, reason="resolved")
    assert client.get("/portal/").status_code == 403
    assert portal_refused(live_hub, unopened.token) == 403
