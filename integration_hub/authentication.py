"""Shared pieces of the partner authentication classes (DRF contract)."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from integration_hub.errors import AUTH_FAILED_MESSAGE, AccountBlocked
from integration_hub.net import client_ip, ip_allowed

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


def enforce_partner_access(request, partner) -> None:
    """After a valid signature: the partner's IP allowlist and status."""
    if not ip_allowed(client_ip(request), partner.ip_allowlist):
        raise exceptions.PermissionDenied("Requests from this IP address are not allowed for this partner.")
    if partner.is_blocked:
        raise AccountBlocked("The partner account is blocked.", code="account_blocked")


class IsPartner(BasePermission):
    message = AUTH_FAILED_MESSAGE

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, PartnerPrincipal)


class AdminKeyPrincipal:
    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return "api:admin-key"


class AdminKeyAuthentication:
    """``X-Admin-Key`` = HUB_ADMIN_API_KEY, for platform scripts (registration). Disabled when unset."""

    def authenticate(self, request):
        from django.conf import settings

        from integration_hub.signing import constant_time_equals

        provided = request.META.get("HTTP_X_ADMIN_KEY")
        if provided is None:
            return None
        expected = settings.HUB_ADMIN_API_KEY
        if not expected or not constant_time_equals(provided, expected):
            raise auth_failed()
        return AdminKeyPrincipal(), None

    def authenticate_header(self, request) -> str:
        return 'X-Admin-Key realm="hub"'


class IsPlatformAdmin(BasePermission):
    message = AUTH_FAILED_MESSAGE

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, AdminKeyPrincipal)
