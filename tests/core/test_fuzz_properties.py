"""The fuzz properties (fuzz/properties.py) in the normal suite: every input the atheris runs kept
(fuzz/regressions/<target>/) and a bounded number of hypothesis examples of the same targets. The first
section pins each defect a fuzz run found, end to end, as a partner would meet it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import signing
from fuzz import properties
from tests.conftest import cache_clear

REGRESSIONS = Path(__file__).resolve().parents[2] / "fuzz" / "regressions"
BOUNDED = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


# ------------------------------------------------------ found by fuzzing --


def test_a_partner_sending_the_canonical_bytes_of_a_body_with_a_large_number_is_authenticated(
    live_server, public_partner, games_catalog
):
    """atheris (fuzz_canonical): the canonical form of 1.5e17 is the integer literal 150000000000000000
    (RFC 8785 writes every number as ECMAScript does). A partner's SDK sends exactly the bytes it signed; we
    used to parse that literal as a Python int beyond 2^53, which rfc8785 refuses, and answered 401 to a
    correctly signed request. RFC 8785 reads every JSON number as an IEEE double."""
    body = {
        "cID": str(public_partner.pk),
        "extCID": public_partner.ext_cid,
        "gameID": "traderhero-jackpot",
        "currency": "USD",
        "locale": "en_us",
        "platform": "desktop",
        "demo": True,
        "extra": 1.5e17,
    }
    raw, sig = signing.public_sign_body(public_partner.api_key, body)
    assert b'"extra":150000000000000000' in raw
    resp = requests.post(
        f"{live_server.url}/api/v1/create-new-game",
        data=raw,
        timeout=30,
        headers={"Content-Type": "application/json", "X-REQUEST-SIGN": sig},
    )
    assert resp.status_code == 200, resp.text
    assert signing.canonicalize_raw(raw) == raw


HUGE_EXPONENT = (
    b'{"game_id": "traderhero-jackpot", "player_id": "p-1", "player_name": "Fox", "currency": "USD", '
    b'"session_id": "s-huge", "balance": 5e99999999999999999999999}'
)


@pytest.mark.parametrize(("path", "signed"), [("/igsp/v1/sessions", True), ("/igsp/v1/demo/sessions", False)])
def test_a_number_with_an_exponent_decimal_cannot_hold_is_a_400_not_a_500(
    live_server, igsp_partner, games_catalog, path, signed
):
    """atheris (fuzz_parsers): ``5e99999999999999999999999`` makes Decimal() raise InvalidOperation (an
    ArithmeticError, not a ValueError), which the request parser let through: a 500 on every endpoint that
    reads a body, for a client's typo. Now a 400 in the protocol's shape, and nothing written."""
    from wallet.models import GameSession

    cache_clear()  # the demo endpoint's per-IP throttle, spent by earlier tests
    headers = {"Content-Type": "application/json"}
    if signed:
        headers.update(signing.igsp_headers(igsp_partner.api_key, igsp_partner.secret, HUGE_EXPONENT))
    before = GameSession.objects.count()
    resp = requests.post(f"{live_server.url}{path}", data=HUGE_EXPONENT, headers=headers, timeout=30)
    assert resp.status_code == 400, resp.text[:300]
    assert resp.json()["error"] == "invalid_request"
    assert resp.json()["status"] == 400
    assert GameSession.objects.count() == before


def test_a_partner_wallet_answer_with_an_exponent_decimal_cannot_hold_is_no_body_not_a_crash():
    """atheris (fuzz_parsers): the same number in a partner wallet's answer raised out of the transport's
    classifier, so a bet or a payout delivery crashed instead of being classified (declined or failed)."""
    from wallet.transport import classify

    class Answer:
        status_code = 200
        content = b'{"balance": 1e99999999999999999999999, "transaction_id": "t-1"}'

    result = classify(Answer(), "", 5)
    assert result.outcome == "ok"
    assert result.body is None


def test_a_partner_balance_with_an_exponent_beyond_the_decimal_context_is_no_balance_not_a_500(
    monkeypatch, igsp_partner, games_catalog
):
    """atheris (fuzz_parsers): a partner wallet answering ``{"balance": 1e4444444441498449}`` made
    partner_balance raise decimal.Overflow (``abs()`` rounds to the context), so the player's balance call
    answered 500."""
    from rest_framework.test import APIClient

    from tests.conftest import igsp_signed_headers
    from wallet import transport

    class Answer:
        status_code = 200
        content = b'{"balance": 1e4444444441498449, "transaction_id": "t-1"}'

    monkeypatch.setattr(transport, "send", lambda *a, **k: (Answer(), "", 3))
    raw = json.dumps(
        {
            "game_id": "traderhero-jackpot",
            "player_id": "p-1",
            "player_name": "Fox",
            "currency": "USD",
            "session_id": "s-overflow",
            "balance": 10,
        }
    ).encode()
    client = APIClient()
    created = client.generic(
        "POST",
        "/igsp/v1/sessions",
        raw,
        content_type="application/json",
        **igsp_signed_headers(igsp_partner.api_key, igsp_partner.secret, raw),
    )
    assert created.status_code == 201, created.content
    session_id, key = created.json()["url"].split("/launch/")[1].split("#key=")
    balance = client.get(f"/igsp/v1/sessions/{session_id}/balance", HTTP_X_CASINO_KEY=key)
    # An answer without a balance our columns hold is no balance: the documented 502, in the IGSP error shape.
    assert balance.status_code == 502, balance.content
    assert balance.json()["error"] == "partner_unreachable"


# ---------------------------------------------------------- kept inputs --


def _kept():
    for path in sorted(REGRESSIONS.glob("*/*")):
        yield pytest.param(path.parent.name, path.read_bytes(), id=f"{path.parent.name}/{path.name}")


@pytest.mark.parametrize(("target", "data"), list(_kept()))
def test_kept_fuzz_inputs_hold_every_property(target, data):
    if target == "canonical_query":
        properties.check_canonical_query(json.loads(data))
    else:
        properties.CHECKS[target](data)


# ------------------------------------------------- bounded, in every run --

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@BOUNDED
@given(st.one_of(JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=64)))
def test_canonicalize_raw_properties(data):
    properties.check_canonicalize_raw(data)


@BOUNDED
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=24)), max_size=6))
def test_canonical_query_properties(pairs):
    properties.check_canonical_query(pairs)


@BOUNDED
@given(
    st.one_of(
        JSON.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
        st.from_regex(r"\A-?\d{0,30}(\.\d{0,30})?([eE][-+]?\d{1,6})?\Z").map(str.encode),
    )
)
@pytest.mark.parametrize(
    "target", ["decimal_json_parser", "parse_amount", "partner_wallet_answer", "renderer_roundtrip"]
)
def test_parser_properties(target, data):
    properties.CHECKS[target](data)
