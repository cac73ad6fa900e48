"""The contract watch: every wallet answer checked against its protocol's contract, off the bet's path.

``wallet.calllog`` hands batches of answers to :func:`answers_check` (registered in ``ContractWatchConfig.ready``):
the bets' and balance calls' on the call-log batch thread, the wins' and refunds' on the delivery process's
``answers`` batch thread, never on a request's or the pump's thread. Each answer is checked
(``contractwatch.rules``; ``HUB_CONTRACT_WATCH_SAMPLE`` of them, 1.0: all, 0: the watch is off), and the batch
adds its counts in a few statements: one counter per (partner, protocol, call kind, field, rule) with the last
violating answer redacted as the delivery log is (``wallet.calllog.bounded``), one row per partner and minute
(answers checked, answers that broke the contract).

Drift (:func:`drift_evaluate`): at least ``HUB_CONTRACT_DRIFT_VIOLATIONS`` violating answers in the last
``HUB_CONTRACT_DRIFT_MINUTES`` open one incident per partner (``alerts``: kind ``contract_drift``, email and
webhook as the other alerts); it resolves once the partner's answers conformed for
``HUB_CONTRACT_RESOLVE_MINUTES`` (answers checked, none broke the contract). A batch with violations evaluates
its partners at once; the beat task ``contractwatch.evaluate`` opens and resolves the rest and purges old minutes.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alerts import services as alerts
from alerts.models import Incident, IncidentKind
from tenants.models import Partner
from wallet.calllog import Answer, response_record

from . import rules
from .models import ContractViolation, ContractWatchMinute

logger = logging.getLogger("contractwatch")


@dataclass
class _Counter:
    violation: rules.Violation
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    example: Answer | None = None


@dataclass
class _Minute:
    answers: int = 0
    violations: int = 0


@dataclass
class BatchCounts:
    checked: int = 0
    violating: int = 0
    partners: set = field(default_factory=set)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def answers_check(answers: list[Answer], *, now: datetime | None = None) -> BatchCounts:
    """Check a batch of answers and add its counts; evaluate drift for the partners whose answers broke the
    contract. Runs on a batch thread (never a request's)."""
    sample = float(settings.HUB_CONTRACT_WATCH_SAMPLE)
    counts = BatchCounts()
    if sample <= 0 or not answers:
        return counts
    counters: dict[tuple, _Counter] = {}
    minutes: dict[tuple, _Minute] = {}
    for answer in answers:
        if sample < 1 and random.random() >= sample:  # noqa: S311 - a sampling rate, not a secret
            continue
        result = answer.result
        found = rules.violations(answer.protocol, answer.kind, result.http_status, result.body)
        if found is None:
            continue
        counts.checked += 1
        bucket = minutes.setdefault((answer.partner_id, _minute(answer.at)), _Minute())
        bucket.answers += 1
        if not found:
            continue
        counts.violating += 1
        counts.partners.add(answer.partner_id)
        bucket.violations += 1
        for violation in found:
            key = (answer.partner_id, answer.protocol, answer.kind, violation.field, violation.rule)
            counter = counters.setdefault(key, _Counter(violation))
            counter.count += 1
            counter.first = min(counter.first or answer.at, answer.at)
            if counter.last is None or answer.at >= counter.last:
                counter.last, counter.example, counter.violation = answer.at, answer, violation
    for key, counter in counters.items():
        _count_violation(key, counter)
    new_minutes = {pid for (pid, minute), bucket in minutes.items() if _count_minute(pid, minute, bucket)}
    if new_minutes:
        _purge(partner_ids=new_minutes, now=now)
    if counts.partners:
        drift_evaluate(partner_ids=counts.partners, now=now)
    return counts


def _count_violation(key: tuple, counter: _Counter) -> None:
    partner_id, protocol, kind, field_path, rule = key
    violation, example = counter.violation, counter.example
    if example is None or counter.first is None or counter.last is None:
        raise ValueError("a counted violation has its example and its first and last times")
    changes = {
        "expected": violation.expected,
        "contract": violation.contract[:120],
        "last_seen_at": counter.last,
        "example_status": example.result.http_status,
        "example": response_record(example.result),
    }
    rows = ContractViolation.objects.filter(
        partner_id=partner_id, protocol=protocol, call_kind=kind, field=field_path, rule=rule
    )
    if rows.update(count=F("count") + counter.count, **changes):
        return
    try:
        with transaction.atomic():
            ContractViolation.objects.create(
                partner_id=partner_id,
                protocol=protocol,
                call_kind=kind,
                field=field_path,
                rule=rule,
                count=counter.count,
                first_seen_at=counter.first,
                **changes,
            )
    except IntegrityError:  # another process's batch created it meanwhile
        rows.update(count=F("count") + counter.count, **changes)


def _count_minute(partner_id, minute: datetime, bucket: _Minute) -> bool:
    """Add to the partner's minute; True when the row is new (the first batch of that minute)."""
    rows = ContractWatchMinute.objects.filter(partner_id=partner_id, minute=minute)
    delta = {"answers": F("answers") + bucket.answers, "violations": F("violations") + bucket.violations}
    if rows.update(**delta):
        return False
    try:
        with transaction.atomic():
            ContractWatchMinute.objects.create(
                partner_id=partner_id, minute=minute, answers=bucket.answers, violations=bucket.violations
            )
    except IntegrityError:
        rows.update(**delta)
        return False
    return True


def _purge(*, partner_ids=None, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.HUB_CONTRACT_WATCH_KEEP_MINUTES)
    old = ContractWatchMinute.objects.filter(minute__lt=cutoff)
    if partner_ids is not None:
        old = old.filter(partner_id__in=partner_ids)
    deleted, _ = old.delete()
    return deleted


# ------------------------------------------------------------------ drift --


def _summary(partner: Partner, violating: int, minutes: int, top: list[dict]) -> str:
    text = (
        f"{partner.name}'s wallet answers break its contract: {violating} answer{'s' if violating != 1 else ''} "
        f"in the last {minutes} min"
    )
    if top:
        first = top[0]
        text += f" (e.g. {first['kind']} answers: {first['field']}, {first['expected']})"
    return text + "."


def _top(partner_id, since: datetime) -> list[dict]:
    rows = ContractViolation.objects.filter(partner_id=partner_id, last_seen_at__gte=since).order_by("-count")[:5]
    return [
        {
            "protocol": row.protocol,
            "kind": row.call_kind,
            "field": row.field,
            "rule": row.rule,
            "expected": row.expected[:120],
            "count": row.count,
            "lastSeenAt": row.last_seen_at.isoformat(),
        }
        for row in rows
    ]


def drift_evaluate(*, partner_ids=None, now: datetime | None = None) -> dict[str, int]:
    """Open the contract incident of each partner whose answers drift, resolve those whose answers conform again
    (all partners with recent answers or an open incident, or ``partner_ids``)."""
    now = now or timezone.now()
    drift_minutes = int(settings.HUB_CONTRACT_DRIFT_MINUTES)
    quiet_minutes = int(settings.HUB_CONTRACT_RESOLVE_MINUTES)
    threshold = max(1, int(settings.HUB_CONTRACT_DRIFT_VIOLATIONS))
    drift_since, quiet_since = now - timedelta(minutes=drift_minutes), now - timedelta(minutes=quiet_minutes)
    recent = ContractWatchMinute.objects.filter(minute__gte=min(drift_since, quiet_since))
    incidents = Incident.objects.filter(kind=IncidentKind.CONTRACT_DRIFT, resolved_at__isnull=True)
    if partner_ids is not None:
        recent, incidents = recent.filter(partner_id__in=partner_ids), incidents.filter(partner_id__in=partner_ids)
    drift: dict = {}
    quiet: dict = {}
    for pid, minute, answers, violating in recent.values_list("partner_id", "minute", "answers", "violations"):
        if minute >= drift_since:
            drift[pid] = drift.get(pid, 0) + violating
        if minute >= quiet_since:
            seen = quiet.setdefault(pid, [0, 0])
            seen[0] += answers
            seen[1] += violating
    open_now = set(incidents.values_list("partner_id", flat=True))
    counts = {"opened": 0, "resolved": 0}
    to_open = {pid for pid, n in drift.items() if n >= threshold and pid not in open_now}
    # Resolved: answers were checked in the quiet window and none broke the contract (no answers: nothing says so).
    to_resolve = {pid for pid in open_now if pid in quiet and quiet[pid][0] > 0 and quiet[pid][1] == 0}
    for partner in Partner.objects.filter(pk__in=to_open | to_resolve):
        if partner.pk in to_open:
            top = _top(partner.pk, drift_since)
            details = {"violations": drift[partner.pk], "minutes": drift_minutes, "threshold": threshold}
            details["fields"] = top
            opened = alerts.incident_open(
                partner=partner,
                kind=IncidentKind.CONTRACT_DRIFT,
                summary=_summary(partner, drift[partner.pk], drift_minutes, top),
                details=details,
            )
            counts["opened"] += opened is not None
        else:
            answers = quiet[partner.pk][0]
            counts["resolved"] += alerts.incident_resolve(
                partner=partner,
                kind=IncidentKind.CONTRACT_DRIFT,
                resolution=(
                    f"The wallet's answers conform again: {answers} answer{'s' if answers != 1 else ''} in the last "
                    f"{quiet_minutes} min, none broke the contract."
                ),
            )
    return counts


def evaluate(*, now: datetime | None = None) -> dict[str, int]:
    """The beat task ``contractwatch.evaluate``: drift for every partner, and the minutes no window reads any more
    purged."""
    counts = drift_evaluate(now=now)
    counts["purged"] = _purge(now=now)
    return counts
