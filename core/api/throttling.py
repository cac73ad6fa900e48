"""Per-partner throttles of the partner APIs (``core.ratelimit`` counts; settings name the rates).

A refusal is DRF's ``Throttled`` (429 with ``Retry-After``), which ``core.api.exceptions`` answers in the view's
protocol shape. Applied after authentication: the budget is the signing partner's, whatever the protocol.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.ratelimit import rate_hit


class PartnerThrottle(BaseThrottle):
    scope = ""
    setting = ""

    def allow_request(self, request: Any, view: Any) -> bool:
        partner = getattr(request.user, "partner", None)
        if partner is None:
            return True
        self._wait = rate_hit(self.scope, str(partner.pk), getattr(settings, self.setting))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class LookupThrottle(PartnerThrottle):
    """Transaction lookups and round details (HUB_LOOKUP_RATE)."""

    scope, setting = "lookup", "HUB_LOOKUP_RATE"


class ReportThrottle(PartnerThrottle):
    """Reconciliation reports (HUB_REPORT_RATE)."""

    scope, setting = "report", "HUB_REPORT_RATE"
