"""Reads of certification runs, scoped by partner (and by the account manager's partners in the admin)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from tenants.models import Partner

from .models import CertificationRun, RunStatus


def runs_for_partner(*, partner: Partner) -> QuerySet[CertificationRun]:
    return CertificationRun.objects.filter(partner=partner).order_by("-created_at")


def run_for_partner(*, partner: Partner, run_id) -> CertificationRun | None:
    try:
        return CertificationRun.objects.filter(partner=partner, pk=run_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def passing_full_run(*, partner: Partner, protocol: str, ext_client=None, version: str | None = None):
    """The newest passing full run (every case group) of code ``version`` (None: of any version), or None."""
    qs = CertificationRun.objects.filter(partner=partner, protocol=protocol, status=RunStatus.PASSED, groups=[])
    if version is not None:
        qs = qs.filter(hub_version=version)
    if ext_client is not None:
        qs = qs.filter(ext_client=ext_client)
    return qs.order_by("-finished_at").first()
