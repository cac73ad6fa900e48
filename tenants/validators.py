"""Validators for partner configuration: URLs, CIDRs, currency codes."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from integration_hub import net

CURRENCY_RE = re.compile(r"^[A-Za-z]{1,2}[A-Z0-9]{2,8}$")

_HOST_ERRORS = {
    "invalid_host": "Enter a valid host name or IP address.",
    "nonstandard_ip": "Write an IP address in its standard form (four decimal numbers, e.g. 192.0.2.10 "
                      "written as 192.0.2.10, not as one number, hex or octal).",
    "private_destination": "The URL must point to a public internet host, not a private, loopback or "
                           "internal address.",
}
_RESOLVED_ERROR = ("The URL's host name resolves to a private, loopback or internal address; partner URLs "
                   "must point to a public internet host.")


def validate_partner_url(value: str) -> None:
    """https only; http only to loopback when HUB_ALLOW_HTTP_LOOPBACK; no credentials; a public destination
    (integration_hub.net: no private, loopback, link-local or metadata address, in any spelling, and no name
    that resolves to one; loopback with HUB_ALLOW_HTTP_LOOPBACK, HUB_OUTBOUND_ALLOWED_NETWORKS allowed)."""
    if not value:
        return
    if len(value) > 500 or any(ch.isspace() for ch in value):
        raise ValidationError("Enter a valid URL without spaces.", code="invalid_url")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise ValidationError("Enter a valid URL.", code="invalid_url") from exc
    del port
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("https", "http"):
        raise ValidationError("The URL must use https.", code="invalid_scheme")
    if not host:
        raise ValidationError("The URL must have a host.", code="invalid_url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("The URL must not contain credentials.", code="credentials_in_url")
    if parts.fragment:
        raise ValidationError("The URL must not contain a fragment.", code="invalid_url")
    if scheme == "http":
        if not (net.is_loopback_host(host) and settings.HUB_ALLOW_HTTP_LOOPBACK):
            raise ValidationError(
                "The URL must use https (plain http is allowed only for loopback hosts in development).",
                code="insecure_scheme",
            )
    try:
        net.check_outbound_host(host)
    except net.DestinationRefused as exc:
        message = _RESOLVED_ERROR if exc.resolved else _HOST_ERRORS[exc.code]
        raise ValidationError(message, code=exc.code) from None


def validate_cidr_list(value) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, list):
        raise ValidationError("Enter a list of CIDRs.", code="invalid_cidr")
    for item in value:
        try:
            ipaddress.ip_network(str(item).strip(), strict=False)
        except ValueError as exc:
            raise ValidationError(f"{item!s} is not a valid IP address or CIDR.", code="invalid_cidr") from exc


def normalize_currency(code: str) -> str:
    """Currency codes are upper case, except the crypto sub-units (uBTC, mETH, mLTC)."""
    code = (code or "").strip()
    if len(code) > 1 and code[0] in "um" and code[1:].isupper():
        return code
    return code.upper()


def validate_currency_code(value: str) -> None:
    if not isinstance(value, str) or not CURRENCY_RE.match(normalize_currency(value)):
        raise ValidationError(f"{value!s} is not a currency code.", code="invalid_currency")


def validate_currency_list(value) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, list):
        raise ValidationError("Enter a list of currency codes.", code="invalid_currency")
    for item in value:
        validate_currency_code(item)
