"""Alerts: open an incident when a partner's breaker opens, deliveries get stuck, a certification fails or (the
contract watch, ``contractwatch.services``) its wallet's answers drift from the contract;
notify the partner's account manager by email and, when the partner set one, its alert webhook; once per
incident (``Incident``'s unique constraint per open incident), and once more when it resolves.

Entry points:
- :func:`evaluate`: reads the breakers and stuck deliveries and opens / resolves incidents to match. The beat
  task ``alerts.evaluate`` runs it periodically; the delivery engine publishes the same task when a breaker
  opens or the sweeper flags stuck rows (``wallet.delivery``), so the alert goes out at once.
- :func:`notify_certification_failed` / :func:`notify_certification_passed`: the hook for the certification
  app (call it from the service that finishes a run).

Each email and each webhook call is a ``Notification`` row and its own Celery task (``alerts.send_notification``,
on the default queue), published after commit and bounded by HUB_ALERT_TIMEOUT_SECONDS: one partner's hanging
webhook delays no one else's alert, and no evaluation waits on a webhook. The task claims its row before it sends,
so a redelivered or retried message sends nothing (at most once); a message the broker lost is published again by
the next evaluation (HUB_ALERT_REPUBLISH_SECONDS).

The webhook is a POST of RFC 8785 JSON signed with the partner's own alert webhook secret (credential purpose
``alert_webhook``; issued when the URL is set, shown once, rotated and revoked like any key; never a wallet-call
key): ``X-Hub-Timestamp`` (Unix seconds), ``X-Hub-Event``, ``X-Hub-Delivery`` (the notification's id, the same on
a resend) and ``X-Hub-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<event>." + body)>``, one ``v1=`` per
secret that still verifies (``core.signing.alert_verify`` is the receiver's recipe). Sent through ``core.http``
(the outbound SSRF policy on every connection). Its URL is validated like every partner URL
(``tenants.validators``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from core import http, signing
from core.tasks import publish
from tenants.models import CredentialPurpose, Partner
from tenants.selectors import partner_verifying_keys
from wallet.models import PartnerDeliveryState
from wallet.selectors import stuck_deliveries

from .models import Incident, IncidentKind, Notification, NotificationChannel

logger = logging.getLogger("alerts")
SEND_TASK = "alerts.send_notification"


# ------------------------------------------------------------------ incidents --


def incident_open(*, partner: Partner, kind: str, summary: str, key: str = "", details: dict | None = None):
    """Open an incident and notify; None (and no notification) when the same one is already open."""
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                partner=partner, kind=kind, key=key[:100], summary=summary[:500], details=details or {}
            )
    except IntegrityError:
        return None
    _notify(incident, "opened")
    return incident


def incident_resolve(*, partner: Partner, kind: str, key: str | None = "", resolution: str = "") -> int:
    """Resolve the open incident(s) of ``kind`` (``key=None``: every key) and notify each once."""
    qs = Incident.objects.filter(partner=partner, kind=kind, resolved_at__isnull=True)
    if key is not None:
        qs = qs.filter(key=key)
    resolved = 0
    for incident in list(qs):
        now = timezone.now()
        if Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
            resolved_at=now, resolution=resolution[:500]
        ):
            incident.resolved_at, incident.resolution = now, resolution[:500]
            _notify(incident, "resolved")
            resolved += 1
    return resolved


def evaluate(*, partner_id=None, now: datetime | None = None) -> dict[str, int]:
    """Open and resolve breaker and stuck-delivery incidents to match the ledger (all partners, or one), and
    publish again the notifications whose message was lost."""
    now = now or timezone.now()
    notifications_republish(partner_id=partner_id)
    partners = Partner.objects.all() if partner_id is None else Partner.objects.filter(pk=partner_id)
    counts = {"opened": 0, "resolved": 0}

    open_breakers = {
        row["partner_id"]: row
        for row in PartnerDeliveryState.objects.filter(partner__in=partners, open_until__isnull=False).values(
            "partner_id", "open_until", "consecutive_failures"
        )
    }
    stuck = dict(
        stuck_deliveries()
        .filter(partner__in=partners)
        .values("partner_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("partner_id", "n")
    )
    open_now = set(
        Incident.objects.filter(
            partner__in=partners,
            resolved_at__isnull=True,
            kind__in=[IncidentKind.BREAKER_OPEN, IncidentKind.DELIVERY_STUCK],
        ).values_list("partner_id", "kind")
    )
    involved = set(open_breakers) | set(stuck) | {pid for pid, _ in open_now}
    for partner in Partner.objects.filter(pk__in=involved):
        breaker = open_breakers.get(partner.pk)
        if (
            breaker is not None
            and breaker["open_until"] is not None  # the rows are filtered on it
            and (partner.pk, IncidentKind.BREAKER_OPEN) not in open_now
        ):
            summary = (
                f"Circuit breaker open for {partner.name}: {breaker['consecutive_failures']} failed wallet calls in a "
                f"row; nothing is sent until {breaker['open_until']:%Y-%m-%d %H:%M:%S} UTC, then one call probes."
            )
            details = {"open_until": breaker["open_until"].isoformat(), "failures": breaker["consecutive_failures"]}
            if incident_open(partner=partner, kind=IncidentKind.BREAKER_OPEN, summary=summary, details=details):
                counts["opened"] += 1
        elif breaker is None and (partner.pk, IncidentKind.BREAKER_OPEN) in open_now:
            counts["resolved"] += incident_resolve(
                partner=partner, kind=IncidentKind.BREAKER_OPEN, resolution="The breaker closed: deliveries flow again."
            )
        n = stuck.get(partner.pk, 0)
        if n and (partner.pk, IncidentKind.DELIVERY_STUCK) not in open_now:
            summary = (
                f"{n} deliver{'y' if n == 1 else 'ies'} to {partner.name} stuck for longer than "
                f"{settings.HUB_STUCK_AFTER // 60} min (wins / refunds the wallet has not confirmed)."
            )
            if incident_open(partner=partner, kind=IncidentKind.DELIVERY_STUCK, summary=summary, details={"count": n}):
                counts["opened"] += 1
        elif not n and (partner.pk, IncidentKind.DELIVERY_STUCK) in open_now:
            counts["resolved"] += incident_resolve(
                partner=partner, kind=IncidentKind.DELIVERY_STUCK, resolution="No stuck deliveries remain."
            )
    return counts


def notify_certification_failed(*, partner: Partner, run_id, summary: str, url: str = "", details: dict | None = None):
    """HOOK for the certification app: a run failed. One open incident per partner (a second failure while it is
    open notifies no one again); returns it (None if already open)."""
    return incident_open(
        partner=partner,
        kind=IncidentKind.CERTIFICATION_FAILED,
        key="certification",
        summary=f"Certification failed for {partner.name}: {summary}",
        details={**(details or {}), **({"url": url} if url else {}), "run_id": str(run_id)},
    )


def notify_certification_passed(*, partner: Partner, run_id=None) -> int:
    """HOOK for the certification app: a later run passed; resolves the partner's open certification incidents
    (``run_id``: only that run's)."""
    return incident_resolve(
        partner=partner,
        kind=IncidentKind.CERTIFICATION_FAILED,
        key=None if run_id is None else str(run_id),
        resolution="A certification run passed.",
    )


# --------------------------------------------------------------- notifying --


def _recipients(partner: Partner) -> list[str]:
    out = list(settings.HUB_ALERT_EMAILS)
    manager = partner.account_manager
    if manager is not None and manager.email:
        out.insert(0, manager.email)
    return list(dict.fromkeys(out))


def webhook_payload(incident: Incident, event: str) -> dict:
    return {
        "event": f"incident.{event}",
        "incident": {
            "id": incident.pk,
            "kind": incident.kind,
            "partnerId": str(incident.partner_id),
            "summary": incident.summary,
            "details": incident.details,
            "openedAt": incident.opened_at.isoformat(),
            "resolvedAt": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "resolution": incident.resolution,
        },
    }


def _notify(incident: Incident, event: str) -> None:
    """Queue the email and the webhook for ``event`` (opened | resolved), at most once: the claim is a conditional
    UPDATE; each notification is a row and its own task, published after commit."""
    field = "opened_notified_at" if event == "opened" else "resolved_notified_at"
    partner = incident.partner
    with transaction.atomic():
        if not Incident.objects.filter(pk=incident.pk, **{f"{field}__isnull": True}).update(**{field: timezone.now()}):
            return
        channels = [NotificationChannel.EMAIL] if _recipients(partner) else []
        if partner.alert_webhook_url:
            channels.append(NotificationChannel.WEBHOOK)
        for channel in channels:
            note = Notification.objects.create(incident=incident, event=event, channel=channel)
            transaction.on_commit(partial(_publish, note.pk))


def _publish(notification_id) -> None:
    try:
        publish(SEND_TASK, str(notification_id))
    except Exception as exc:  # noqa: BLE001 - a broker down loses nothing: alerts.evaluate publishes it again
        logger.warning("alert notification %s not published: %s", notification_id, type(exc).__name__)


def notifications_republish(*, partner_id=None, now: datetime | None = None) -> int:
    """Publish again the notifications no worker took within HUB_ALERT_REPUBLISH_SECONDS (a lost broker message).
    Sending stays at most once: the task claims its row first."""
    now = now or timezone.now()
    overdue = Notification.objects.filter(
        claimed_at__isnull=True, published_at__lt=now - timedelta(seconds=settings.HUB_ALERT_REPUBLISH_SECONDS)
    )
    if partner_id is not None:
        overdue = overdue.filter(incident__partner_id=partner_id)
    ids = list(overdue.order_by("published_at").values_list("pk", flat=True)[:500])
    Notification.objects.filter(pk__in=ids, claimed_at__isnull=True).update(published_at=now)
    for pk in ids:
        _publish(pk)
    return len(ids)


def notification_send(*, notification_id) -> str:
    """The task ``alerts.send_notification``: send one email or one webhook call, once. A second run (a
    redelivered message, a retry, a republish) finds the row claimed and sends nothing."""
    if not Notification.objects.filter(pk=notification_id, claimed_at__isnull=True).update(claimed_at=timezone.now()):
        return ""
    note = Notification.objects.select_related("incident__partner__account_manager").get(pk=notification_id)
    incident = note.incident
    try:
        if note.channel == NotificationChannel.EMAIL:
            result = _send_email(incident, note.event)
        else:
            result = _send_webhook(incident, note.event, delivery_id=str(note.pk))
    except Exception as exc:  # noqa: BLE001 - recorded on the row, never raised (a retry must not send twice)
        result = f"{note.event}: not sent ({type(exc).__name__})"
    result = result[:300]
    Notification.objects.filter(pk=note.pk).update(finished_at=timezone.now(), result=result)
    if note.channel == NotificationChannel.WEBHOOK and result:
        Incident.objects.filter(pk=incident.pk).update(webhook_result=result)
    return result


def _send_email(incident: Incident, event: str) -> str:
    partner = incident.partner
    label = incident.get_kind_display().lower()
    subject = f"[hub] {partner.name}: {label}" if event == "opened" else f"[hub] resolved: {partner.name}: {label}"
    lines = [incident.summary] if event == "opened" else [f"Resolved: {incident.resolution}", "", incident.summary]
    lines += ["", f"Partner: {partner.name} ({partner.pk})", f"Opened: {incident.opened_at:%Y-%m-%d %H:%M:%S} UTC"]
    if incident.resolved_at:
        lines.append(f"Resolved: {incident.resolved_at:%Y-%m-%d %H:%M:%S} UTC")
    if incident.details:
        lines += ["", json.dumps(incident.details, indent=2, default=str)]
    recipients = _recipients(partner)
    if not recipients:
        return f"{event}: no recipient"
    try:
        send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, recipients)  # EMAIL_TIMEOUT bounds it
    except Exception as exc:  # noqa: BLE001 - a mail server down must not stop the other alerts
        logger.warning("alert email not sent for incident %s: %s", incident.pk, type(exc).__name__)
        return f"{event}: email not sent ({type(exc).__name__})"
    return f"{event}: emailed {len(recipients)}"


def _send_webhook(incident: Incident, event: str, *, delivery_id: str) -> str:
    partner = incident.partner
    if not partner.alert_webhook_url:
        return ""
    secrets = [k.secret for k in partner_verifying_keys(partner=partner, purpose=CredentialPurpose.ALERT_WEBHOOK)]
    if not secrets:
        return (
            f"{event}: not sent: the partner has no alert webhook secret (issue one: Partners, Issue a new key, "
            "Alert webhook secret)"
        )
    body = signing.canonical_json(webhook_payload(incident, event))
    headers = {
        **signing.alert_headers(secrets, f"incident.{event}", body),
        "X-Hub-Delivery": delivery_id,
        "Content-Type": "application/json",
    }
    response, error, _ = http.send(
        "POST", partner.alert_webhook_url, content=body, headers=headers, timeout=settings.HUB_ALERT_TIMEOUT_SECONDS
    )
    return f"{event}: HTTP {response.status_code}" if response is not None else f"{event}: {error}"
