"""Inbound authentication over real HTTP: the failure matrix of both partner schemes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.utils import timezone as dj_tz

from core import signing
from tenants import services
from tenants.models import Credential, CredentialPurpose

pytestmark = [pytest.mark.urls("tests.integration_hub.urls"), pytest.mark.django_db(transaction=True)]

AUTH_FAILED = "Authentication failed: missing or invalid credentials or signature."


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def igsp_request(
    http, partner, *, body: bytes = b"", method="POST", key=None, secret=None, now=None, ts=None, sig=None, headers=None
):
    key = key or partner.api_key
    secret = secret or partner.secret
    h = signing.igsp_headers(key, secret, body, now=now)
    if ts is not None:
        h["X-Timestamp"] = ts
    if sig is not None:
        h["X-Signature"] = sig
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    if method == "GET":
        return http.get("/test/igsp-echo", headers=h)
    return http.post("/test/igsp-echo", content=body, headers={**h, "Content-Type": "application/json"})


def assert_auth_failed(resp, style="igsp"):
    assert resp.status_code == 401, resp.text
    assert resp.headers.get("WWW-Authenticate")
    if style == "igsp":
        assert resp.json() == {"error": "unauthorized", "message": AUTH_FAILED, "status": 401}
    else:
        assert resp.json() == {"message": AUTH_FAILED}


# ----------------------------------------------------------------- IGSP --


def test_igsp_signed_get_and_post_are_accepted(http, igsp_partner):
    body = b'{"amount": 12.50, "player_id": "p1"}'
    resp = igsp_request(http, igsp_partner, body=body)
    assert resp.status_code == 200, resp.text
    assert (
        resp.content == ('{"partner":"' + str(igsp_partner.pk) + '","echo":{"amount":12.50,"player_id":"p1"}}').encode()
    )
    resp = igsp_request(http, igsp_partner, method="GET")
    assert resp.status_code == 200


@pytest.mark.parametrize("drop", ["Authorization", "X-Timestamp", "X-Signature"])
def test_igsp_missing_header_is_401(http, igsp_partner, drop):
    assert_auth_failed(igsp_request(http, igsp_partner, body=b"{}", headers={drop: None}))


def test_igsp_no_headers_at_all_is_401(http, igsp_partner):
    assert_auth_failed(http.post("/test/igsp-echo", content=b"{}"))


def test_igsp_failure_matrix_gets_one_body(http, igsp_partner, db):
    other = services.partner_onboard(
        name="Other", actor="t", igsp=True, public_api=False, igsp_hooks_url="https://other.example/h"
    )
    other_cred = other.credentials[CredentialPurpose.IGSP]
    body = b'{"a":1}'
    now = datetime.now(UTC)
    cases = {
        "bad signature": igsp_request(http, igsp_partner, body=body, sig="0" * 64),
        "stale timestamp": igsp_request(http, igsp_partner, body=body, now=now - timedelta(seconds=330)),
        "future timestamp": igsp_request(http, igsp_partner, body=body, now=now + timedelta(seconds=330)),
        "garbage timestamp": igsp_request(http, igsp_partner, body=body, ts="yesterday"),
        "tampered body": http.post(
            "/test/igsp-echo",
            content=b'{"a":2}',
            headers=signing.igsp_headers(igsp_partner.api_key, igsp_partner.secret, body),
        ),
        "unknown key": igsp_request(http, igsp_partner, body=body, key="gp_live_doesnotexist"),
        "another partner's secret": igsp_request(http, igsp_partner, body=body, secret=other_cred.secret),
        "another partner's key id": igsp_request(http, igsp_partner, body=body, key=other_cred.credential.public_id),
        "basic scheme": igsp_request(
            http, igsp_partner, body=body, headers={"Authorization": f"Basic {igsp_partner.api_key}"}
        ),
    }
    for name, resp in cases.items():
        assert resp.status_code == 401, name
        assert_auth_failed(resp)


def test_igsp_revoked_key_is_401(http, igsp_partner):
    services.credential_revoke(credential=igsp_partner.credential, actor="t")
    assert_auth_failed(igsp_request(http, igsp_partner, body=b"{}"))


def test_igsp_rotation_window(http, igsp_partner):
    new = services.credential_rotate(credential=igsp_partner.credential, actor="t", grace_seconds=3600)
    # Both the old (retiring) and the new key verify during the grace period.
    assert igsp_request(http, igsp_partner, body=b"{}").status_code == 200
    assert (
        igsp_request(http, igsp_partner, body=b"{}", key=new.credential.public_id, secret=new.secret).status_code == 200
    )
    # After the grace period only the new key verifies.
    Credential.objects.filter(pk=igsp_partner.credential.pk).update(expires_at=dj_tz.now() - timedelta(seconds=1))
    assert_auth_failed(igsp_request(http, igsp_partner, body=b"{}"))
    assert (
        igsp_request(
            http,
            igsp_partner,
            body=b"{}",
            key=new.credential.public_id,
            secret=new.secret,
            now=datetime.now(UTC) + timedelta(seconds=1),
        ).status_code
        == 200
    )  # not a replay


def test_igsp_ip_allowlist_enforced(http, igsp_partner):
    services.partner_update(partner=igsp_partner, actor="t", ip_allowlist=["10.1.0.0/16"])
    resp = igsp_request(http, igsp_partner, body=b"{}")
    assert resp.status_code == 403
    assert resp.json()["error"] == "forbidden"
    services.partner_update(partner=igsp_partner, actor="t", ip_allowlist=["10.1.0.0/16", "127.0.0.0/8"])
    assert igsp_request(http, igsp_partner, body=b"{}").status_code == 200


def test_igsp_suspended_partner_is_blocked(http, igsp_partner):
    services.partner_suspend(partner=igsp_partner, actor="t")
    resp = igsp_request(http, igsp_partner, body=b"{}")
    assert resp.status_code == 403
    assert resp.json()["error"] == "account_blocked"
    services.partner_activate(partner=igsp_partner, actor="t")
    assert igsp_request(http, igsp_partner, body=b"{}").status_code == 200


def test_last_used_is_written_at_most_once_a_minute(http, igsp_partner):
    assert igsp_request(http, igsp_partner, method="GET").status_code == 200
    first = Credential.objects.get(pk=igsp_partner.credential.pk).last_used_at
    assert first is not None
    assert igsp_request(http, igsp_partner, method="GET").status_code == 200
    assert Credential.objects.get(pk=igsp_partner.credential.pk).last_used_at == first
    Credential.objects.filter(pk=igsp_partner.credential.pk).update(last_used_at=first - timedelta(seconds=61))
    assert igsp_request(http, igsp_partner, method="GET").status_code == 200
    assert Credential.objects.get(pk=igsp_partner.credential.pk).last_used_at > first


def test_failed_auth_never_logs_the_secret(http, igsp_partner, caplog):
    caplog.set_level(logging.DEBUG)
    # A client that sent its secret where the key id goes, and a bad signature.
    resp = igsp_request(http, igsp_partner, body=b'{"x":1}', key=igsp_partner.secret, sig="f" * 64)
    assert resp.status_code == 401
    from core.logging import RedactSecretsFilter

    text_lines = []
    for record in caplog.records:
        RedactSecretsFilter().filter(record)
        text_lines.append(logging.Formatter("%(message)s %(exc_text)s").format(record) + repr(vars(record)))
    logged = "\n".join(text_lines)
    assert "Unauthorized" in logged  # django.request logged the 401 …
    assert igsp_partner.secret not in logged  # … and never the secret
    assert "f" * 64 not in logged
    assert igsp_partner.secret not in resp.text


# ----------------------------------------------------------- Public API --


def public_request(http, partner, payload=None, *, key=None, raw: bytes | None = None, sig=None):
    payload = payload if payload is not None else {"cID": str(partner.pk), "extCID": partner.ext_cid}
    body, good = signing.public_sign_body(key or partner.api_key, payload)
    if raw is not None:
        body = raw
    return http.post(
        "/test/public-echo", content=body, headers={"X-REQUEST-SIGN": sig or good, "Content-Type": "application/json"}
    )


def test_public_signed_post_is_accepted(http, public_partner):
    resp = public_request(http, public_partner)
    assert resp.status_code == 200, resp.text
    assert resp.json()["partner"] == str(public_partner.pk)


def test_public_body_formatted_differently_but_correctly_signed_is_accepted(http, public_partner):
    payload = {
        "extCID": public_partner.ext_cid,
        "cID": str(public_partner.pk),
        "amount": "1.50",
        "nested": {"b": [1, 2.5], "a": "é"},
    }
    pretty = json.dumps(payload, indent=4, ensure_ascii=True).encode()
    resp = public_request(http, public_partner, payload, raw=pretty)
    assert resp.status_code == 200, resp.text
    assert resp.json()["echo"]["nested"] == {"b": [1, 2.5], "a": "é"}


def test_public_signed_get_query(http, public_partner):
    params = {"cID": str(public_partner.pk), "extCID": public_partner.ext_cid}
    sig = signing.public_sign(public_partner.api_key, signing.canonical_query(params))
    assert http.get("/test/public-echo", params=params, headers={"X-REQUEST-SIGN": sig}).status_code == 200
    assert_auth_failed(
        http.get("/test/public-echo", params={**params, "extCID": "x"}, headers={"X-REQUEST-SIGN": sig}), style="public"
    )


def test_public_failure_matrix(http, public_partner, db):
    other = services.partner_onboard(
        name="Other PA",
        actor="t",
        igsp=False,
        public_api=True,
        ext_clients=[{"ext_cid": "other-brand", "base_url": "https://o.example/api"}],
    )
    other_key = other.credentials[CredentialPurpose.CORE_API].secret
    cases = {
        "no signature": http.post("/test/public-echo", json={"cID": str(public_partner.pk)}),
        "bad signature": public_request(http, public_partner, sig="0" * 64),
        "another partner's key": public_request(http, public_partner, key=other_key),
        "integration key instead of API key": public_request(http, public_partner, key=public_partner.integration_key),
        "unknown cID": public_request(http, public_partner, {"cID": "00000000-0000-0000-0000-000000000000"}),
        "malformed cID": public_request(http, public_partner, {"cID": "nope"}),
        "tampered body": public_request(
            http, public_partner, raw=json.dumps({"cID": str(public_partner.pk), "extCID": "someone-else"}).encode()
        ),
        "not json": public_request(http, public_partner, raw=b"{oops"),
    }
    for name, resp in cases.items():
        assert resp.status_code == 401, name
        assert_auth_failed(resp, style="public")


def test_public_rotation_and_revocation(http, public_partner):
    new = services.credential_rotate(credential=public_partner.core_credential, actor="t")
    assert public_request(http, public_partner).status_code == 200  # retiring key still verifies
    assert public_request(http, public_partner, key=new.secret).status_code == 200
    services.credential_revoke(credential=public_partner.core_credential, actor="t")
    assert_auth_failed(public_request(http, public_partner), style="public")
    assert public_request(http, public_partner, key=new.secret).status_code == 200


def test_public_suspended_partner_gets_account_blocked(http, public_partner):
    services.partner_suspend(partner=public_partner, actor="t")
    resp = public_request(http, public_partner)
    assert resp.status_code == 403
    assert resp.json()["code"] == "account_blocked"
