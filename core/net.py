"""Client address and IP allowlists; where the hub may send outbound calls."""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import threading
from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    """REMOTE_ADDR, or the address HUB_NUM_PROXIES trusted proxies put in X-Forwarded-For."""
    meta = getattr(request, "META", {})
    num_proxies = settings.HUB_NUM_PROXIES
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


# ---------------------------------------------------- outbound destinations --
# Partner URLs (IGSP hooks, ExtCID base URLs) must point to the public internet: never to the hub's own
# host, its private network or a cloud metadata service. The URL is checked when it is saved
# (tenants.validators) and the address every new outbound connection actually reaches is checked again
# (wallet.transport), so a name re-pointed after it was saved (DNS rebinding) is refused too.
# HUB_ALLOW_HTTP_LOOPBACK (development, tests) allows loopback; HUB_OUTBOUND_ALLOWED_NETWORKS lists the
# private ranges an on-premises install may reach.

# Blocked even where Python's ``is_global`` says otherwise (its tables change between versions).
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",
        "::ffff:0:0/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
# Names that only ever mean something inside a network (RFC 6761, 6762, 8375, cloud metadata).
_INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home.arpa",
    ".corp",
    ".private",
)
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_LABEL_RE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
RESOLVE_TIMEOUT_SECONDS = 2.0

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(ValueError):
    """A partner URL's host is not a public destination. ``code``: invalid_host, nonstandard_ip,
    private_destination; ``resolved``: the refusal came from what the name resolves to."""

    def __init__(self, code: str, *, resolved: bool = False):
        super().__init__(code)
        self.code, self.resolved = code, resolved


@functools.lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def _allowed_networks() -> tuple:
    return _networks(tuple(settings.HUB_OUTBOUND_ALLOWED_NETWORKS or ()))


def _embedded_ipv4(ip: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, NAT64), which is where it goes."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(ip: IpAddress) -> bool:
    return ip.is_global and not any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version)


def outbound_address_allowed(address: str | IpAddress) -> bool:
    """May the hub connect to this IP address? Public, or loopback while HUB_ALLOW_HTTP_LOOPBACK is on,
    or inside HUB_OUTBOUND_ALLOWED_NETWORKS. An IPv6 address that carries an IPv4 one is judged by both."""
    return _address_allowed(address, _allowed_networks(), bool(settings.HUB_ALLOW_HTTP_LOOPBACK))


# The verdict is a pure function of the address and the two settings (part of the key): every delivery call
# asks it for its partner's address, and parsing the address and testing its networks cost as much as the
# rest of the call's own checks.
@functools.lru_cache(maxsize=1024)
def _address_allowed(address: str | IpAddress, allowed: tuple, loopback: bool) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return False
    candidates = [ip] + [v4 for v4 in (_embedded_ipv4(ip),) if v4 is not None]
    if any(c in net for c in candidates for net in allowed if net.version == c.version):
        return True
    if loopback and any(c.is_loopback for c in candidates):
        return True
    return all(_is_public(c) for c in candidates)


def is_loopback_host(host: str) -> bool:
    """localhost, *.localhost or a loopback IP literal (standard spelling)."""
    host = (host or "").lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    embedded = _embedded_ipv4(ip)
    return ip.is_loopback or (embedded is not None and embedded.is_loopback)


@functools.lru_cache(maxsize=1024)  # pure: a host's verdict never changes (a refusal raises, and is not cached)
def _ip_literal(host: str) -> IpAddress | None:
    """The address a host names when it is an IP literal in any spelling; raises for a non-standard IPv4
    spelling (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``: resolvers read them as IPv4)."""
    if ":" in host:  # IPv6 (brackets already stripped); a zone id (fe80::1%eth0) is link-local anyway
        if "%" in host:
            raise DestinationRefused("private_destination")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise DestinationRefused("invalid_host") from None
    last = host.rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL_RE.match(last):
        return None  # a name (the WHATWG URL rule: a host whose last label is a number is an IPv4 address)
    try:
        return ipaddress.IPv4Address(host)  # the four-decimal dotted form, no leading zeros
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
    except OSError:
        raise DestinationRefused("invalid_host") from None
    raise DestinationRefused("nonstandard_ip")


def ip_literal(host: str) -> IpAddress | None:
    """The address ``host`` names when it is an IP literal (brackets stripped), None for a name; raises
    ``DestinationRefused`` for a spelling resolvers read as an address (``2130706433``, ``127.1``…)."""
    return _ip_literal(host.lower())


def _resolve(host: str) -> list[str] | None:
    """The addresses a name resolves to, or None when it does not resolve (in RESOLVE_TIMEOUT_SECONDS)."""
    box: dict = {}

    def run() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            box["infos"] = None

    worker = threading.Thread(target=run, name="resolve-partner-host", daemon=True)
    worker.start()
    worker.join(RESOLVE_TIMEOUT_SECONDS)
    infos = box.get("infos")
    if not infos:
        return None
    return [info[4][0] for info in infos]


def check_outbound_host(host: str, *, resolve: bool = True) -> None:
    """Raise DestinationRefused unless ``host`` (a URL's hostname, brackets stripped) is a public destination.

    A name that does not resolve now is accepted: it cannot be judged (its DNS may go live later), and
    every connection to it is checked when it is made (wallet.transport), which is the real guard.
    """
    host = (host or "").strip().lower()
    if not host:
        raise DestinationRefused("invalid_host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise DestinationRefused("invalid_host") from None
    ip = _ip_literal(host)
    if ip is not None:
        if not outbound_address_allowed(ip):
            raise DestinationRefused("private_destination")
        return
    name = host.removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise DestinationRefused("invalid_host")
    loopback_name = name in _LOOPBACK_NAMES or name.endswith(".localhost")
    if loopback_name:
        if not settings.HUB_ALLOW_HTTP_LOOPBACK:
            raise DestinationRefused("private_destination")
    elif len(labels) < 2 or name.endswith(_INTERNAL_SUFFIXES):
        raise DestinationRefused("private_destination")
    if not resolve:
        return
    addresses = _resolve(name)
    if addresses and not all(outbound_address_allowed(a) for a in addresses):
        raise DestinationRefused("private_destination", resolved=True)
