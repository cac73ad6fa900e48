"""A run as plain data: the JSON download, the API's answer and the printable report share it."""

from __future__ import annotations

from .models import CertificationRun


def _iso(dt):
    return None if dt is None else dt.isoformat().replace("+00:00", "Z")


def run_summary(run: CertificationRun) -> dict:
    return {
        "id": str(run.pk),
        "partner": {"id": str(run.partner_id), "name": run.partner.name},
        "protocol": run.protocol,
        "extCID": run.ext_client.ext_cid if run.ext_client_id and run.ext_client else None,
        "targetUrl": run.target_url,
        "playerId": run.player_id or None,
        "sessionId": run.session_id or None,
        "currency": run.currency,
        "groups": run.groups,
        "full": run.is_full,
        "status": run.status,
        "hubVersion": run.hub_version,
        "total": run.total,
        "done": run.done,
        "passed": run.passed_count,
        "failed": run.failed_count,
        "progressPercent": run.progress_percent,
        "startBalance": run.start_balance or None,
        "endBalance": run.end_balance or None,
        "balanceAdjustments": run.adjustments,
        "error": run.error or None,
        "requestedVia": run.requested_via,
        "createdAt": _iso(run.created_at),
        "startedAt": _iso(run.started_at),
        "finishedAt": _iso(run.finished_at),
    }


def run_document(run: CertificationRun) -> dict:
    return {
        **run_summary(run),
        "cases": [
            {
                "id": r.case_id,
                "group": r.group,
                "title": r.title,
                "passed": r.passed,
                "expected": r.expected,
                "actual": r.actual,
                "howToFix": r.fix or None,
                "ms": r.ms,
                "exchanges": r.exchanges,
            }
            for r in run.results.all()
        ],
    }
