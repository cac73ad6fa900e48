"""Alerts: open an incident when a partner's breaker opens, deliveries get stuck or a certification fails;
notify the partner's account manager by email and, when the partner set one, its alert webhook; once per
incident (``Incident``'s unique constraint per open incident), and once more when it resolves.

Entry points:
- :func:`evaluate`: reads the breakers and stuck deliveries and opens / resolves incidents to match. The beat
  task ``alerts.evaluate`` runs it periodically; the delivery engine publishes the same task when a breaker
  opens or the sweeper flags stuck rows (``wallet.delivery``), so the alert goes out at once.
- :func:`notify_certification_failed` / :func:`notify_certification_passed`: the hook for the certification
  app (call it from the service that finishes a run).

The webhook is a POST of JSON signed like the hub's wallet calls: with the partner's IGSP key
(``Authorization: Bearer <api key>``, ``X-Timestamp``, ``X-Signature``) when it has one, else with its
Integration API key (``X-REQUEST-SIGN`` over the RFC 8785 body); sent through ``core.http`` (the outbound
SSRF policy on every connection). Its URL is validated like every partner URL (``tenants.validators``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from core import http, signing
from tenants.models import CredentialPurpose, Partner
from tenants.selectors import partner_signing_key
from wallet.models import PartnerDeliveryState
from wallet.selectors import stuck_deliveries

from .models import Incident, IncidentKind

logger = logging.getLogger("alerts")
WEBHOOK_TIMEOUT_SECONDS = 5.0


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
    """Open and resolve breaker and stuck-delivery incidents to match the ledger (all partners, or one)."""
    now = now or timezone.now()
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
        if breaker is not None and (partner.pk, IncidentKind.BREAKER_OPEN) not in open_now:
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


def _signed(partner: Partner, payload: dict) -> tuple[bytes, dict[str, str]] | None:
    if partner.igsp_enabled:
        key = partner_signing_key(partner=partner, purpose=CredentialPurpose.IGSP)
        if key is not None and key.credential.public_id:
            body = signing.canonical_json(payload)
            return body, signing.igsp_headers(key.credential.public_id, key.secret, body)
    key = partner_signing_key(partner=partner, purpose=CredentialPurpose.INTEGRATION_API)
    if key is not None:
        body, sig = signing.public_sign_body(key.secret, payload)
        return body, {"X-REQUEST-SIGN": sig}
    return None


def _send_webhook(incident: Incident, event: str) -> str:
    partner = incident.partner
    if not partner.alert_webhook_url:
        return ""
    signed = _signed(partner, webhook_payload(incident, event))
    if signed is None:
        return "not sent: the partner has no active signing key"
    body, headers = signed
    headers = {**headers, "Content-Type": "application/json"}
    response, error, _ = http.send(
        "POST", partner.alert_webhook_url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS
    )
    return f"{event}: HTTP {response.status_code}" if response is not None else f"{event}: {error}"[:300]


def _notify(incident: Incident, event: str) -> None:
    """Email and webhook for ``event`` (opened | resolved), at most once: the claim is a conditional UPDATE."""
    field = "opened_notified_at" if event == "opened" else "resolved_notified_at"
    if not Incident.objects.filter(pk=incident.pk, **{f"{field}__isnull": True}).update(**{field: timezone.now()}):
        return
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
    if recipients:
        try:
            send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, recipients)
        except Exception as exc:  # noqa: BLE001 - a mail server down must not stop the other alerts
            logger.warning("alert email not sent for incident %s: %s", incident.pk, type(exc).__name__)
    try:
        result = _send_webhook(incident, event)
    except Exception as exc:  # noqa: BLE001
        result = f"{event}: not sent ({type(exc).__name__})"
    if result:
        Incident.objects.filter(pk=incident.pk).update(webhook_result=result[:300])
        incident.webhook_result = result[:300]
