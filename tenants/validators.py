"""Validators for partner configuration: URLs, origins, CIDRs, currency codes, test player ids."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from core import net

CURRENCY_RE = re.compile(r"^[A-Za-z]{1,2}[A-Z0-9]{2,8}$")

_HOST_ERRORS = {
    "invalid_host": "Enter a valid host name or IP address.",
    "nonstandard_ip": "Write an IP address in its standard form (four decimal numbers, e.g. 192.0.2.10 "
    "written as 192.0.2.10, not as one number, hex or octal).",
    "private_destination": "The URL must point to a public internet host, not a private, loopback or internal address.",
}
_RESOLVED_ERROR = (
    "The URL's host name resolves to a private, loopback or internal address; partner URLs "
    "must point to a public internet host."
)


def validate_partner_url(value: str) -> None:
    """https only; http only to loopback when HUB_ALLOW_HTTP_LOOPBACK; no credentials; a public destination
    (core.net: no private, loopback, link-local or metadata address, in any spelling, and no name
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
    if scheme == "http" and not (net.is_loopback_host(host) and settings.HUB_ALLOW_HTTP_LOOPBACK):
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


# ---------------------------------------------------------------- origins --

_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def normalize_origin(value: str) -> str:
    """``https://Casino.Example:443/`` → ``https://casino.example``; anything that is not an origin is returned
    stripped (and refused by validate_frame_origin)."""
    value = str(value or "").strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return value
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if (
        not scheme
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or "?" in value
        or "#" in value
    ):
        return value
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{suffix}"


def validate_frame_origin(value) -> None:
    """An origin allowed to embed the game page: scheme, host and optional port; https only (plain http to
    loopback hosts only, when HUB_ALLOW_HTTP_LOOPBACK); no path, no wildcard, nothing that could leave the
    Content-Security-Policy header's source list."""
    example = "give only the scheme, the host and an optional port, e.g. https://casino.example"
    if not isinstance(value, str) or not value or len(value) > 200 or re.search(r"[\s;,'\"*\\]", value):
        raise ValidationError(f"{value!s} is not an origin: {example}.", code="invalid_origin")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a bad port
    except ValueError as exc:
        raise ValidationError(f"{value} is not an origin: {example}.", code="invalid_origin") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if (
        scheme not in ("https", "http")
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
        or "@" in parts.netloc
    ):
        raise ValidationError(f"{value} is not an origin: {example}.", code="invalid_origin")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_RE.match(host):
            raise ValidationError(f"{value} is not an origin: {example}.", code="invalid_origin") from None
    if scheme == "http" and not (net.is_loopback_host(host) and settings.HUB_ALLOW_HTTP_LOOPBACK):
        raise ValidationError(
            f"{value}: the origin must use https (plain http is allowed only for loopback hosts in development).",
            code="insecure_scheme",
        )


def validate_origin_list(value) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, list):
        raise ValidationError("Enter a list of origins.", code="invalid_origin")
    for item in value:
        validate_frame_origin(item)


def validate_test_player_id(value) -> None:
    """A player id (IGSP ``player_id``) or a Public API ``sessionID``: 1 to 255 characters, no spaces."""
    if not isinstance(value, str) or not 1 <= len(value) <= 255 or any(ch.isspace() for ch in value):
        raise ValidationError(
            "Enter player ids or sessionIDs of at most 255 characters, without spaces.", code="invalid_player"
        )


def validate_test_player_list(value) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, list) or len(value) > 100:
        raise ValidationError("Enter a list of at most 100 test players.", code="invalid_player")
    for item in value:
        validate_test_player_id(item)
