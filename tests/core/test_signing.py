"""The signing primitives, with the test vectors of PROTOCOLS.md."""

from datetime import UTC, datetime, timedelta

import pytest

from core import signing

IGSP_SECRET = "91b2c7a4aadb48b62e0f3d5e6a7b8c9d"
IGSP_TS = "2025-10-17T12:03:41Z"
IGSP_BODY = (
    b'{"game_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","player_id":"player-912","player_name":"LuckyFox",'
    b'"currency":"EUR","session_id":"sess-20250101-0001","balance":100.00,"device":"desktop","is_demo":false}'
)
VECTOR_NOW = datetime(2025, 10, 17, 12, 3, 41, tzinfo=UTC)
PUBLIC_KEY = "your-api-token-here"
PUBLIC_BODY = {
    "cID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "currency": "USD",
    "demo": True,
    "extCID": "your_ext_id",
    "gameID": "sg_catch_97",
    "locale": "en-US",
    "platform": "desktop",
    "returnURL": "https://your-site.com/game-lobby",
}


def test_igsp_vector_with_body():
    assert (
        signing.igsp_sign(IGSP_SECRET, IGSP_BODY, IGSP_TS)
        == "98f070f336eb26a46bef9faf3d127b0ad0c302ee08eec0365b1cca90e90abbe4"
    )


def test_igsp_vector_empty_body():
    assert (
        signing.igsp_sign(IGSP_SECRET, b"", IGSP_TS)
        == "f4bcc51080b0ad642c218bd13f699a0b2cfc2bb5e444120d478e08dc8c1dc53f"
    )


def test_igsp_verify_accepts_vector_within_window_and_picks_matching_key():
    sig = "98f070f336eb26a46bef9faf3d127b0ad0c302ee08eec0365b1cca90e90abbe4"
    assert signing.igsp_verify(["other-secret", IGSP_SECRET], IGSP_BODY, IGSP_TS, sig, now=VECTOR_NOW) == 1
    assert (
        signing.igsp_verify([IGSP_SECRET], IGSP_BODY, IGSP_TS, sig.upper(), now=VECTOR_NOW + timedelta(seconds=299))
        == 0
    )


@pytest.mark.parametrize("shift", [timedelta(seconds=301), timedelta(seconds=-301), timedelta(days=1)])
def test_igsp_verify_rejects_stale_and_future_timestamps(shift):
    sig = signing.igsp_sign(IGSP_SECRET, IGSP_BODY, IGSP_TS)
    with pytest.raises(signing.SignatureError):
        signing.igsp_verify([IGSP_SECRET], IGSP_BODY, IGSP_TS, sig, now=VECTOR_NOW + shift)


@pytest.mark.parametrize(
    ("body", "ts", "sig"),
    [
        (IGSP_BODY.replace(b"100.00", b"1000.00"), IGSP_TS, None),
        (IGSP_BODY, "2025-10-17T12:03:42Z", None),
        (IGSP_BODY, IGSP_TS, ""),
        (IGSP_BODY, "not-a-time", None),
        (IGSP_BODY, "2025-10-17T12:03:41", None),  # no zone
    ],
)
def test_igsp_verify_rejects_tampering(body, ts, sig):
    good = signing.igsp_sign(IGSP_SECRET, IGSP_BODY, IGSP_TS)
    with pytest.raises(signing.SignatureError):
        signing.igsp_verify([IGSP_SECRET], body, ts, good if sig is None else sig, now=VECTOR_NOW)


def test_public_vector_post():
    body, sig = signing.public_sign_body(PUBLIC_KEY, PUBLIC_BODY)
    assert sig == "768d628187b84431db6b5f3ed3351a6429e4442841659dbb97016a93a5ec30cb"
    assert body.startswith(b'{"cID":"a1b2c3d4')
    assert b" " not in body.replace(b"game-lobby", b"")


def test_public_vector_get_query():
    canonical = signing.canonical_query({"sessionID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"})
    assert canonical == b'{"sessionID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}'
    assert (
        signing.public_sign(PUBLIC_KEY, canonical) == "21389d22c89edb34a0f3d629a6810c71499979edd02236cb9563f3317ec9a51c"
    )


def test_public_canonicalization_ignores_formatting():
    pretty = (
        b'{\n  "returnURL": "https://your-site.com/game-lobby", "platform": "desktop",\n "locale":"en-US",'
        b' "gameID": "sg_catch_97", "extCID": "your_ext_id", "demo": true, "currency": "USD",'
        b' "cID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}'
    )
    canonical = signing.canonicalize_raw(pretty)
    assert (
        signing.public_verify(
            [PUBLIC_KEY], canonical, "768d628187b84431db6b5f3ed3351a6429e4442841659dbb97016a93a5ec30cb"
        )
        == 0
    )


def test_public_verify_rejects_wrong_key_and_bad_json():
    canonical = signing.canonical_json(PUBLIC_BODY)
    with pytest.raises(signing.SignatureError):
        signing.public_verify(["not-the-key"], canonical, signing.public_sign(PUBLIC_KEY, canonical))
    with pytest.raises(signing.SignatureError):
        signing.canonicalize_raw(b"{not json")
    with pytest.raises(signing.SignatureError):
        signing.canonicalize_raw(b'{"n": 9007199254740993}')  # beyond IEEE double integers
