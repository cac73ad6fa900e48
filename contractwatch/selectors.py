"""Reads of the contract watch, scoped by partner (the portal's endpoint health, the admin)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from alerts.models import Incident, IncidentKind
from tenants.models import Partner

from .models import ContractViolation, ContractWatchMinute

SHOWN = 20  # counters on the portal, the most recently seen first


def contract_watch_for(*, partner: Partner, now: datetime | None = None) -> dict:
    """The partner's counters (field, the contract's rule, count, last seen, the example answer redacted), its
    answers checked and broken in the drift window, and its open contract incident (None)."""
    now = now or timezone.now()
    minutes = int(settings.HUB_CONTRACT_DRIFT_MINUTES)
    window = ContractWatchMinute.objects.filter(partner=partner, minute__gte=now - timedelta(minutes=minutes))
    sums = window.aggregate(answers=Sum("answers"), violations=Sum("violations"))
    rows = [
        {
            "pk": row.pk,
            "protocol": row.protocol,
            "call_kind": row.call_kind,
            "field": row.field,
            "rule": row.rule,
            "expected": row.expected,
            "contract": row.contract,
            "count": row.count,
            "first_seen_at": row.first_seen_at,
            "last_seen_at": row.last_seen_at,
            "example_status": row.example_status,
            "example_json": json.dumps(row.example, indent=2) if row.example is not None else "(no answer body)",
        }
        for row in ContractViolation.objects.filter(partner=partner).order_by("-last_seen_at", "pk")[:SHOWN]
    ]
    incident = (
        Incident.objects.filter(partner=partner, kind=IncidentKind.CONTRACT_DRIFT, resolved_at__isnull=True)
        .order_by("-opened_at")
        .first()
    )
    return {
        "violations": rows,
        "minutes": minutes,
        "answers": sums["answers"] or 0,
        "violating": sums["violations"] or 0,
        "incident": incident,
        "sampled": float(settings.HUB_CONTRACT_WATCH_SAMPLE),
    }
