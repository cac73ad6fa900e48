"""Shared pieces of the partner authentication classes (DRF contract)."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.errors import AUTH_FAILED_MESSAGE, AccountBlocked
from core.net import client_ip, ip_allowed

logger = logging.getLogger(__name__)


@dataclass
class PartnerPrincipal:
    """``request.user`` for a request signed by a partner."""

    partner: object
    credential: object
    is_authenticated: bool = True
    is_anonymous: bool = False

    def __str__(self) -> str:
        return f"partner:{getattr(self.partner, 'slug', '?')}"


def auth_failed() -> exceptions.AuthenticationFailed:
    """One error for every failure: unknown key, revoked key, bad signature, stale timestamp."""
    return exceptions.AuthenticationFailed(AUTH_FAILED_MESSAGE)


def enforce_partner_access(request: Request, partner: Any) -> None:
    """After a valid signature: the partner's IP allowlist and status."""
    if not ip_allowed(client_ip(request), partner.ip_allowlist):
        raise exceptions.PermissionDenied("Requests from this IP address are not allowed for this partner.")
    if partner.is_blocked:
        raise AccountBlocked("The partner account is blocked.", code="account_blocked")


class IsPartner(BasePermission):
    message = AUTH_FAILED_MESSAGE

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, PartnerPrincipal)


class AdminKeyPrincipal:
    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return "api:admin-key"


def _admin_key_cache_keys(ip: str) -> tuple[str, str]:
    return f"hub:admin-key:failures:{ip}", f"hub:admin-key:locked:{ip}"


def admin_key_locked_for(ip: str) -> int:
    """Seconds until ``ip`` may try an X-Admin-Key again (0: not locked)."""
    until = cache.get(_admin_key_cache_keys(ip)[1])
    return max(0, math.ceil(until - time.time())) if until else 0


def admin_key_failure(ip: str) -> None:
    """Count a failed X-Admin-Key from ``ip``; the HUB_AUTH_FAILURE_LIMIT-th failure within
    HUB_AUTH_LOCKOUT_SECONDS (counted from the first) locks the address for HUB_AUTH_LOCKOUT_SECONDS."""
    failures_key, locked_key = _admin_key_cache_keys(ip)
    window = settings.HUB_AUTH_LOCKOUT_SECONDS
    if cache.add(failures_key, 1, window):
        failures = 1
    else:
        try:
            failures = cache.incr(failures_key)
        except ValueError:  # expired between add and incr
            cache.add(failures_key, 1, window)
            failures = 1
    if failures >= settings.HUB_AUTH_FAILURE_LIMIT:
        cache.set(locked_key, time.time() + window, window)
        cache.delete(failures_key)
        logger.warning("admin key: %s failures from %s, locked for %ss", failures, ip, window)


def admin_key_throttle_reset(ip: str) -> None:
    cache.delete_many(_admin_key_cache_keys(ip))


class AdminKeyAuthentication(BaseAuthentication):
    """``X-Admin-Key`` = HUB_ADMIN_API_KEY, for platform scripts (registration). Disabled when unset.

    Throttled per client address (``client_ip``, so HUB_NUM_PROXIES applies): after
    HUB_AUTH_FAILURE_LIMIT wrong keys the address gets 429 with Retry-After for
    HUB_AUTH_LOCKOUT_SECONDS, even with the right key (a brute force learns nothing while locked).
    A right key before the lock clears the address's failures."""

    def authenticate(self, request: Request) -> tuple[AdminKeyPrincipal, None] | None:
        from core.signing import constant_time_equals

        provided = request.META.get("HTTP_X_ADMIN_KEY")
        if provided is None:
            return None
        ip = client_ip(request)
        wait = admin_key_locked_for(ip)
        if wait:
            raise exceptions.Throttled(
                wait=wait, detail="Too many failed X-Admin-Key attempts from this address; try again later."
            )
        expected = settings.HUB_ADMIN_API_KEY
        if not expected or not constant_time_equals(provided, expected):
            admin_key_failure(ip)
            raise auth_failed()
        admin_key_throttle_reset(ip)
        return AdminKeyPrincipal(), None

    def authenticate_header(self, request: Request) -> str:
        return 'X-Admin-Key realm="hub"'


class IsPlatformAdmin(BasePermission):
    message = AUTH_FAILED_MESSAGE

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, AdminKeyPrincipal)
