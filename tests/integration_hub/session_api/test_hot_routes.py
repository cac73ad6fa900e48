# ruff: noqa: F811  (pytest fixtures imported from the module that defines them)
"""The game page's hot routes (``integration_hub/session_api/hot.py``) answer as the DRF views did, byte for byte,
and the session cache refuses a session closed elsewhere within its second."""

from __future__ import annotations

import time

import pytest

from wallet import session_cache
from wallet.models import GameSession

from .test_session_api import http, igsp_create, markets_seed  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("games_catalog")]

HEADERS = (
    "content-type",
    "allow",
    "www-authenticate",
    "retry-after",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "content-length",
)


def both(http, method, path, **kwargs):
    """The same request answered by the hot route and by the DRF view (``?format=json`` is passed on to DRF)."""
    hot = http.request(method, path, **kwargs)
    drf = http.request(method, path + "?format=json", **kwargs)
    return hot, drf


def same(hot, drf):
    assert hot.status_code == drf.status_code, (hot.text, drf.text)
    assert hot.content == drf.content
    assert {h: hot.headers.get(h) for h in HEADERS} == {h: drf.headers.get(h) for h in HEADERS}


def test_errors_are_the_bytes_drf_answered(http, wired):
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    bet = f"/igsp/v1/sessions/{sid}/bet"
    cases = [
        ("POST", bet, {"headers": key, "json": {"direction": "sideways", "amount": "1.00"}}),  # 400 domain
        ("POST", bet, {"headers": key, "json": [1]}),  # not an object
        ("POST", bet, {"headers": {**key, "Content-Type": "application/json"}, "content": b"{no"}),  # bad JSON
        ("POST", bet, {"headers": key, "json": {"direction": "up", "amount": "-1"}}),
        ("POST", bet, {"headers": key, "json": {"direction": "up", "amount": "1.001"}}),
        ("POST", bet, {"headers": key}),  # empty body
        ("POST", bet, {"json": {}}),  # no key
        ("POST", bet, {"headers": {"X-Casino-Key": "igsp_wrong"}, "json": {}}),
        ("GET", bet, {"headers": key}),  # 405
        ("DELETE", f"/igsp/v1/sessions/{sid}/state", {"headers": key}),
        ("POST", f"/igsp/v1/sessions/{sid.upper()}/bet", {"headers": key, "json": {}}),  # 404
        ("POST", "/igsp/v1/sessions/not-a-uuid/bet", {"headers": key, "json": {}}),
        ("POST", f"/igsp/v1/sessions/{sid}/cash-out", {"headers": key, "json": {"betId": "x"}}),
        ("POST", f"/igsp/v1/sessions/{sid}/cash-out/preview", {"headers": key, "json": {}}),
    ]
    for method, path, kwargs in cases:
        same(*both(http, method, path, **kwargs))
    GameSession.objects.filter(pk=sid).update(status="closed")
    same(*both(http, "POST", bet, headers=key, json={"direction": "up", "amount": "1.00"}))  # 410


def test_answers_are_the_shapes_drf_answered(http, wired, markets_seed):  # noqa: F811
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    for path in ("state", "balance"):
        hot, drf = both(http, "GET", f"/igsp/v1/sessions/{sid}/{path}", headers=key)
        assert hot.status_code == drf.status_code == 200
        assert hot.headers["allow"] == drf.headers["allow"] and hot.json().keys() == drf.json().keys()
    hot, drf = both(http, "POST", f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"direction": "up", "amount": "1"})
    assert hot.status_code == drf.status_code == 201
    assert list(hot.json()) == list(drf.json()) and hot.json()["stake"] == drf.json()["stake"] == "1.00"
    assert {h: hot.headers.get(h) for h in HEADERS[:-1]} == {h: drf.headers.get(h) for h in HEADERS[:-1]}
    msid, mkey = igsp_create(http, wired, "prediction-markets", player="p-2")
    market = http.get(f"/igsp/v1/sessions/{msid}/state", headers=mkey).json()["markets"][0]["id"]
    body = {"marketId": market, "outcome": "YES", "amount": "2.00"}
    hot, drf = both(http, "POST", f"/igsp/v1/sessions/{msid}/bet", headers=mkey, json=body)
    assert hot.status_code == drf.status_code == 201 and list(hot.json()) == list(drf.json())
    preview = {"betId": hot.json()["betId"]}
    hot, drf = both(http, "POST", f"/igsp/v1/sessions/{msid}/cash-out/preview", headers=mkey, json=preview)
    assert hot.status_code == drf.status_code == 200 and hot.content == drf.content


def test_options_and_head_go_on_to_the_drf_view(http, wired):
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    options = http.options(f"/igsp/v1/sessions/{sid}/bet", headers=key)
    assert options.status_code == 200 and options.json()["name"] == "Session Bet"
    assert http.head(f"/igsp/v1/sessions/{sid}/balance", headers=key).status_code == 200


def test_the_wsgi_application_answers_the_hot_routes_before_django():
    from config import wsgi
    from integration_hub.session_api import hot

    assert isinstance(wsgi.application, hot.HotRoutes)


def test_a_session_closed_elsewhere_is_refused_within_the_cache_second(http, wired, settings):
    settings.HUB_SESSION_CACHE_SECONDS = 1.0
    session_cache.clear()
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    bet = {"direction": "up", "amount": "1.00"}
    assert http.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json=bet).status_code == 201  # cached now
    GameSession.objects.filter(pk=sid).update(status="closed")  # another process terminates it
    closed_at = time.monotonic()
    while True:
        sent = time.monotonic()  # the cache entry read by this request is at most 1 s old when it arrives
        resp = http.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json=bet)
        if resp.status_code == 410:
            break
        assert resp.status_code == 201 and sent - closed_at < 1.0, resp.text
    assert resp.json()["error"] == "session_closed" and sent - closed_at < 1.0 + 0.5


def test_a_session_terminated_in_this_process_is_refused_at_once(http, wired, settings):
    from wallet import services

    settings.HUB_SESSION_CACHE_SECONDS = 1.0
    session_cache.clear()
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    assert http.get(f"/igsp/v1/sessions/{sid}/balance", headers=key).status_code == 200  # cached now
    services.session_close(session=GameSession.objects.get(pk=sid))
    assert http.get(f"/igsp/v1/sessions/{sid}/balance", headers=key).status_code == 410
