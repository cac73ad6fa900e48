"""Client address and IP allowlists."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address HUB_NUM_PROXIES trusted proxies put in X-Forwarded-For."""
    meta = getattr(request, "META", {})
    num_proxies = getattr(settings, "HUB_NUM_PROXIES", 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies > 0 and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-min(num_proxies, len(hops))]
    return meta.get("REMOTE_ADDR", "")


def ip_allowed(ip: str, allowlist: list[str] | None) -> bool:
    if not allowlist:
        return True
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for cidr in allowlist:
        try:
            if addr in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False
