"""POST /api/v1/terminate-sessions acts once and only on the casino it names, over real
HTTP.

The Core API signs the body alone, with no timestamp: without more, a captured terminate verifies forever and,
replayed later, closes the player's *future* sessions. The body carries a ``requestId`` (remembered, a second use
answers 409) and a ``timestamp`` (refused outside ±HUB_CLOCK_SKEW_SECONDS). An aggregator's ExtCIDs are different
casinos: ``extCID`` picks the one whose sessions close, required when the partner has more than one.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core import signing
from tenants import services as tenant_services
from wallet.models import GameSession

from .conftest import core_post, core_session, igsp_post, igsp_session, once


def captured(wired, payload: dict) -> tuple[bytes, dict[str, str]]:
    """The exact bytes and headers of one signed terminate: what an eavesdropper (or a log) keeps."""
    body, sig = signing.public_sign_body(
        wired.credentials["core_api"].secret, {"cID": str(wired.partner.pk), **payload}
    )
    return body, {"X-REQUEST-SIGN": sig, "Content-Type": "application/json"}


def is_open(http, gs_id, key) -> bool:
    state = http.get(f"/igsp/v1/sessions/{gs_id}/state", headers=key)
    assert state.status_code in (200, 410), state.text
    return state.status_code == 200


def test_a_terminate_replayed_after_the_window_is_refused_and_the_players_new_session_stays_open(
    http, wired, games_catalog, settings
):
    settings.HUB_CLOCK_SKEW_SECONDS = 2  # the replay store forgets the requestId after 2 x 2 s
    first, first_key, _ = core_session(http, wired, "traderhero-jackpot", user="u-rg")
    body, headers = captured(wired, once(userID="u-rg", reason="self-exclusion"))
    done = http.post("/api/v1/terminate-sessions", content=body, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["terminated"] == 1, done.text
    assert not is_open(http, first, first_key)

    time.sleep(4.5)  # past the window and past the requestId's memory: only the timestamp can refuse it now
    later, later_key, _ = core_session(http, wired, "traderhero-jackpot", user="u-rg")
    replayed = http.post("/api/v1/terminate-sessions", content=body, headers=headers)
    assert replayed.status_code == 400, replayed.text
    assert set(replayed.json()) <= {"message", "details", "code"}
    assert "timestamp" in replayed.text
    assert is_open(http, later, later_key)


def test_the_same_requestId_a_second_time_is_refused_409_and_closes_nothing(http, wired, games_catalog):
    first, first_key, _ = core_session(http, wired, "traderhero-jackpot", user="u-1")
    body, headers = captured(wired, once(userID="u-1"))
    assert http.post("/api/v1/terminate-sessions", content=body, headers=headers).status_code == 200
    assert not is_open(http, first, first_key)

    again, again_key, _ = core_session(http, wired, "traderhero-jackpot", user="u-1")
    replayed = http.post("/api/v1/terminate-sessions", content=body, headers=headers)
    assert replayed.status_code == 409, replayed.text
    assert set(replayed.json()) <= {"message", "details", "code"}
    assert "requestId" in replayed.json()["message"]
    # The id is what is remembered, not the bytes: a new body re-using it is refused too.
    spelt_differently = json.loads(body)["requestId"].upper()
    reused = core_post(http, wired, "/terminate-sessions", {**once(userID="u-1"), "requestId": spelt_differently})
    assert reused.status_code == 409, reused.text
    assert is_open(http, again, again_key)
    # A new requestId is a new request.
    assert core_post(http, wired, "/terminate-sessions", once(userID="u-1")).json()["terminated"] == 1


def _now_plus(seconds: int) -> int:
    """Unix seconds ``seconds`` away from now, rounded away from now: a whole second is all a timestamp holds, and
    truncating ``now + 301`` could leave it only 300.x s ahead by the time the hub reads it (accepted, in a CI run)."""
    now = time.time()
    return math.ceil(now) + seconds if seconds > 0 else math.floor(now) + seconds


def _iso_ago(seconds: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


BAD = {
    "requestId missing": ("requestId", lambda p: p.pop("requestId")),
    "requestId not a UUID": ("requestId", lambda p: p.update(requestId="not-a-uuid")),
    "requestId a number": ("requestId", lambda p: p.update(requestId=12345)),
    "timestamp missing": ("timestamp", lambda p: p.pop("timestamp")),
    "timestamp a word": ("timestamp", lambda p: p.update(timestamp="yesterday")),
    "timestamp a boolean": ("timestamp", lambda p: p.update(timestamp=True)),
    "timestamp a fraction": ("timestamp", lambda p: p.update(timestamp=p["timestamp"] + 0.5)),
    "timestamp a numeric string": ("timestamp", lambda p: p.update(timestamp=str(p["timestamp"]))),
    "timestamp without offset": ("timestamp", lambda p: p.update(timestamp="2026-12-07T13:00:00")),
    "timestamp 301 s old": ("timestamp", lambda p: p.update(timestamp=_now_plus(-301))),
    "timestamp 301 s ahead": ("timestamp", lambda p: p.update(timestamp=_now_plus(301))),
    "ISO timestamp 301 s old": ("timestamp", lambda p: p.update(timestamp=_iso_ago(301))),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_missing_malformed_or_stale_requestId_or_timestamp_is_a_400_and_nothing_is_closed(
    http, wired, games_catalog, settings, case
):
    settings.HUB_CLOCK_SKEW_SECONDS = 300
    field, spoil = BAD[case]
    gs_id, key, _ = core_session(http, wired, "traderhero-jackpot", user="u-2")
    payload = once(userID="u-2")
    request_id = payload["requestId"]
    spoil(payload)
    refused = core_post(http, wired, "/terminate-sessions", payload)
    assert refused.status_code == 400, refused.text
    assert set(refused.json()) <= {"message", "details", "code"}
    assert field in refused.text
    assert is_open(http, gs_id, key)
    # A refused request does not use up its requestId.
    ok = core_post(http, wired, "/terminate-sessions", {**once(userID="u-2"), "requestId": request_id})
    assert ok.status_code == 200, ok.text
    assert ok.json()["terminated"] == 1, ok.text


def test_an_iso_8601_timestamp_with_an_offset_is_accepted(http, wired, games_catalog):
    gs_id, key, _ = core_session(http, wired, "traderhero-jackpot", user="u-3")
    for stamp in (
        datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        datetime.now(timezone(timedelta(hours=2))).isoformat(),
    ):
        ok = core_post(http, wired, "/terminate-sessions", once(userID="u-3", timestamp=stamp))
        assert ok.status_code == 200, ok.text
    assert not is_open(http, gs_id, key)


def second_casino(wired, live_hub) -> str:
    ext_cid = f"{wired.slug}-b"
    tenant_services.ext_client_create(
        partner=wired.partner, ext_cid=ext_cid, base_url=f"{live_hub.url}/t/{wired.slug}/adapter", actor="test"
    )
    return ext_cid


def casino_session(http, wired, ext_cid: str, user: str):
    ref = f"ext-{uuid.uuid4()}"
    created = core_post(
        http,
        wired,
        "/create-new-game",
        {
            "extCID": ext_cid,
            "gameID": "traderhero-jackpot",
            "demo": False,
            "platform": "desktop",
            "currency": "USD",
            "locale": "en_us",
            "sessionID": ref,
            "user": {"id": user, "nickName": "Zed", "country": "DE"},
        },
    )
    assert created.status_code == 200, created.text
    game = created.json()
    return game["gsID"], {"X-Casino-Key": game["gameURL"].split("#key=")[1]}


def test_an_aggregator_terminating_a_user_closes_only_the_named_casinos_sessions(
    http, wired, sandbox, live_hub, games_catalog
):
    casino_b = second_casino(wired, live_hub)
    in_a, key_a = casino_session(http, wired, wired.slug, "123")
    in_b, key_b = casino_session(http, wired, casino_b, "123")

    # Two casinos behind one cID: a terminate that names none is refused, nothing closed.
    unnamed = core_post(http, wired, "/terminate-sessions", once(userID="123"))
    assert unnamed.status_code == 400, unnamed.text
    assert "extCID" in unnamed.text, unnamed.text
    assert set(unnamed.json()) <= {"message", "details", "code"}
    assert is_open(http, in_a, key_a)
    assert is_open(http, in_b, key_b)

    # Someone else's casino, or one that does not exist: 404, nothing closed.
    from tests.conftest import wire_partner

    other = wire_partner(sandbox, live_hub)
    for ext_cid in (other.slug, "no-such-casino"):
        unknown = core_post(http, wired, "/terminate-sessions", once(userID="123", extCID=ext_cid))
        assert unknown.status_code == 404, unknown.text
        assert set(unknown.json()) <= {"message", "details", "code"}, unknown.text
    assert is_open(http, in_a, key_a)
    assert is_open(http, in_b, key_b)

    closed = core_post(http, wired, "/terminate-sessions", once(userID="123", extCID=casino_b))
    assert closed.status_code == 200, closed.text
    assert [s["gsID"] for s in closed.json()["sessions"]] == [in_b]
    assert is_open(http, in_a, key_a)
    assert not is_open(http, in_b, key_b)
    # Our session id of casino A under casino B's name closes nothing either.
    assert core_post(http, wired, "/terminate-sessions", once(gsID=in_a, extCID=casino_b)).json()["terminated"] == 0
    assert is_open(http, in_a, key_a)


def test_a_partner_with_one_casino_may_leave_extCID_out(http, wired, games_catalog):
    gs_id, key, _ = core_session(http, wired, "traderhero-jackpot", user="u-4")
    named = core_post(http, wired, "/terminate-sessions", once(userID="u-4", extCID=wired.slug))
    assert named.status_code == 200, named.text
    assert named.json()["terminated"] == 1, named.text
    again, again_key, _ = core_session(http, wired, "traderhero-jackpot", user="u-4")
    unnamed = core_post(http, wired, "/terminate-sessions", once(userID="u-4"))
    assert unnamed.status_code == 200, unnamed.text
    assert unnamed.json()["terminated"] == 1, unnamed.text
    assert not is_open(http, gs_id, key)
    assert not is_open(http, again, again_key)


def test_each_protocols_terminate_closes_only_that_protocols_sessions(http, wired, games_catalog):
    """A partner speaking both protocols: IGSP player "7" and a casino's user "7" are not the same person."""
    igsp_sid, igsp_key, _ = igsp_session(http, wired, "traderhero-jackpot", player="7")
    core_gs, core_key, _ = core_session(http, wired, "traderhero-jackpot", user="7")

    core = core_post(http, wired, "/terminate-sessions", once(userID="7"))
    assert core.status_code == 200, core.text
    assert [s["gsID"] for s in core.json()["sessions"]] == [core_gs], core.text
    assert is_open(http, igsp_sid, igsp_key)

    core_gs, core_key, _ = core_session(http, wired, "traderhero-jackpot", user="7")
    igsp = igsp_post(http, wired, "/igsp/v1/sessions/terminate", {"player_id": "7"})
    assert igsp.status_code == 200
    assert [s["game_session_id"] for s in igsp.json()["sessions"]] == [igsp_sid]
    assert is_open(http, core_gs, core_key)
    assert GameSession.objects.get(pk=igsp_sid).status == "closed"
