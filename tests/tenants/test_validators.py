"""Partner URLs cannot point inside: loopback, private, link-local, metadata, legacy IPv4 spellings.

Save-time refusal through every door (the validator, the admin, the registration API, the CLI); the
connect-time check on the socket is in tests/wallet/test_transport_limits.py.
"""

from __future__ import annotations

import io
import json
import socket

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tenants.models import AuditLog, Credential, Partner
from tenants.validators import validate_partner_url

ADMIN_KEY = {"X-Admin-Key": "test-admin-key"}

# The URLs of the issue, plus the other spellings of the same places.
INSIDE_ALWAYS = [
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://2130706433/",  # 127.0.0.1 as one decimal number
    "https://0x7f000001/",  # ... as hex
    "https://0177.0.0.1/",  # ... octal
    "https://127.1/",  # ... short form
    "https://3232235777/",  # 192.168.1.1 decimal
    "https://0xa9.0xfe.0xa9.0xfe/",  # 169.254.169.254 hex per octet
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata.google.internal./computeMetadata/v1/",
    "https://METADATA.GOOGLE.INTERNAL/",
    "https://metadata/",  # a single label resolves through the search domains
    "https://printer.local/",
    "https://router.home.arpa/",
    "https://0.0.0.0/",
    "https://0/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://172.16.5.4/",
    "https://192.168.1.1:8443/x",
    "https://198.18.0.1/",  # benchmarking
    "https://224.0.0.1/",  # multicast
    "https://240.0.0.1/",  # reserved
    "https://255.255.255.255/",
    "https://[::ffff:169.254.169.254]/",  # IPv4-mapped IPv6
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[fd00::1]/",  # unique local
    "https://[fe80::1]/",  # link-local
    "https://[fe80::1%25eth0]/",  # scoped
    "https://[::]/",
    "https://[ff02::1]/",  # multicast
    "https://[2002:a9fe:a9fe::1]/",  # 6to4 around 169.254.169.254
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 around 169.254.169.254
    "https://[::a9fe:a9fe]/",  # IPv4-compatible (deprecated)
    "https://%31%32%37.0.0.1/",
    "https://1.2.3.4.5/",
]
LOOPBACK = [
    "https://127.0.0.1:6379/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://localhost/",
    "https://api.localhost/",
    "http://127.0.0.1:8001/t/x/igsp/hooks",
]
PUBLIC = [
    "https://8.8.8.8/hooks",
    "https://[2606:4700:4700::1111]/hooks",
    "https://casino.example/igsp/hooks",  # does not resolve here: accepted, the connect-time check guards it
    "https://wallet.brand-one.example:8443/api",
]


def fake_dns(monkeypatch, table: dict[str, list[str]]):
    """getaddrinfo answering ``table`` for its names (and the real resolver for everything else)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        key = host.decode() if isinstance(host, bytes) else host
        if key in table:
            out = []
            for ip in table[key]:
                family = socket.AF_INET6 if ":" in ip else socket.AF_INET
                addr = (ip, port or 0, 0, 0) if family == socket.AF_INET6 else (ip, port or 0)
                out.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", addr))
            return out
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def refused(url: str) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        validate_partner_url(url)
    return err.value


# -------------------------------------------------------------- validator --


@pytest.mark.parametrize("url", INSIDE_ALWAYS)
@pytest.mark.parametrize("loopback_allowed", [False, True])
def test_inside_addresses_are_refused_whatever_the_loopback_flag(settings, url, loopback_allowed):
    settings.HUB_ALLOW_HTTP_LOOPBACK = loopback_allowed
    error = refused(url)
    message = " ".join(error.messages)
    assert "public" in message or "standard" in message or "valid" in message, message
    assert "169.254" not in message
    assert "10.0.0.1" not in message  # no internal detail echoed


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_refused_without_the_development_flag(settings, url):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    assert refused(url).code in ("private_destination", "insecure_scheme")


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_accepted_with_the_development_flag(settings, url):
    settings.HUB_ALLOW_HTTP_LOOPBACK = True
    validate_partner_url(url)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_destinations_are_accepted(settings, url):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    validate_partner_url(url)


def test_a_name_resolving_inside_is_refused(settings, monkeypatch):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    fake_dns(
        monkeypatch,
        {
            "wallet.sneaky.example": ["93.184.216.34", "127.0.0.1"],
            "meta.sneaky.example": ["169.254.169.254"],
            "v6.sneaky.example": ["::1"],
            "wallet.fine.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        },
    )
    for host in ("wallet.sneaky.example", "meta.sneaky.example", "v6.sneaky.example"):
        error = refused(f"https://{host}/hooks")
        assert error.code == "private_destination"
        assert "resolves" in error.messages[0]
        assert "127.0.0.1" not in error.messages[0]
    validate_partner_url("https://wallet.fine.example/hooks")
    settings.HUB_ALLOW_HTTP_LOOPBACK = True  # loopback allowed: the name resolving to 127.0.0.1 passes
    validate_partner_url("https://v6.sneaky.example/hooks")
    assert refused("https://meta.sneaky.example/hooks").code == "private_destination"


def test_extra_private_networks_an_on_premises_install_allows(settings, monkeypatch):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    settings.HUB_OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd12:3456::/32"]
    fake_dns(monkeypatch, {"wallet.onprem.example": ["10.20.4.5"]})
    validate_partner_url("https://10.20.1.5/hooks")
    validate_partner_url("https://[fd12:3456::7]/hooks")
    validate_partner_url("https://[::ffff:10.20.1.5]/hooks")
    validate_partner_url("https://wallet.onprem.example/hooks")
    for url in ("https://10.21.0.1/", "https://169.254.169.254/", "https://127.0.0.1/", "https://0x0a140105/"):
        refused(url)


# ------------------------------------------------- every door refuses it --


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad_url", ["https://169.254.169.254/latest", "https://0x7f000001/hooks", "https://metadata.google.internal/x"]
)
def test_admin_change_form_refuses_an_inside_hooks_url(admin_client, igsp_partner, bad_url):
    from tests.tenants.test_admin import change_form_data

    change = reverse("admin:tenants_partner_change", args=[igsp_partner.pk])
    data = change_form_data(admin_client.get(change))
    data["igsp_hooks_url"] = bad_url
    audit_before = AuditLog.objects.count()

    response = admin_client.post(change, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "igsp_hooks_url" in form.errors, form.errors
    assert "public" in " ".join(form.errors["igsp_hooks_url"]) or "standard" in " ".join(form.errors["igsp_hooks_url"])
    igsp_partner.refresh_from_db()
    assert igsp_partner.igsp_hooks_url == "https://hooks.lucky.example/igsp"
    assert AuditLog.objects.count() == audit_before


@pytest.mark.django_db
def test_admin_inline_refuses_an_inside_base_url(admin_client, public_partner):
    from tests.tenants.test_admin import change_form_data

    change = reverse("admin:tenants_partner_change", args=[public_partner.pk])
    data = change_form_data(admin_client.get(change))
    data["ext_clients-0-base_url"] = "https://[::ffff:169.254.169.254]/latest"

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert "public" in response.content.decode()
    assert public_partner.ext_clients.get().base_url == "https://wallet.brand-one.example/api"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"integrationMode": "igsp", "igspHooksUrl": "https://169.254.169.254/latest"}, "igspHooksUrl"),
        ({"integrationMode": "igsp", "igspHooksUrl": "https://2130706433/hooks"}, "igspHooksUrl"),
        (
            {"integrationMode": "public_api", "extClients": [{"extCID": "a", "baseUrl": "https://[fd00::1]/v1"}]},
            "extClients",
        ),
    ],
)
def test_registration_api_refuses_an_inside_url(live_server, payload, field):
    body = {"name": "Inside", "defaultCurrency": "USD", **payload}
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        resp = client.post("/api/v1/partners/register", headers=ADMIN_KEY, json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_request"
    assert field in resp.json()["message"]
    assert "public" in resp.text or "standard form" in resp.text
    assert not Partner.objects.exists()
    assert not Credential.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "igsp", "--hooks-url", "https://metadata.google.internal/computeMetadata/v1/"],
        ["--mode", "public_api", "--ext-cid", "x", "--base-url", "https://10.0.0.1/v1"],
    ],
)
def test_onboard_command_refuses_an_inside_url(args):
    out = io.StringIO()
    with pytest.raises(CommandError) as err:
        call_command("onboard_partner", "--name", "Inside", *args, "--json", stdout=out)
    assert "public" in str(err.value)
    assert not Partner.objects.exists()
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.getvalue() or "")
