"""Public API Integration Adapter endpoints on the sandbox partner."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import signing
from sandbox import services
from sandbox.models import SandboxSession, SandboxTransaction, TxStatus

from .helpers import (
    INTEGRATION_KEY,
    SLUG,
    adapter_balance,
    adapter_post,
    balance_of,
    bet_payload,
    loads,
    make_tenant,
    uid,
)

pytestmark = [pytest.mark.urls("sandbox.urls"), pytest.mark.django_db]


@pytest.fixture
def session(tenant):
    services.session_register(tenant=tenant, session_id="sess-1", player_id="alice", currency="USD", balance="100.10")
    return "sess-1"


# ------------------------------------------------------------------ signing --


def test_signed_get_balance(client, tenant, session):
    response = adapter_balance(client, session)

    assert response.status_code == 200
    assert response.content == b'{"balance":"100.10"}'


def test_get_balance_signature_matches_the_documented_vector(client, db):
    make_tenant(integration_api_key="your-api-token-here")
    session_id = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    response = client.get(
        f"/t/{SLUG}/adapter/balance",
        {"sessionID": session_id},
        headers={"X-REQUEST-SIGN": "21389d22c89edb34a0f3d629a6810c71499979edd02236cb9563f3317ec9a51c"},
    )

    assert response.status_code == 200


def test_bad_get_signature_is_401_with_message(client, tenant, session):
    response = adapter_balance(client, session, key="wrong-key")

    assert response.status_code == 401
    body = loads(response)
    assert body["message"] == "Invalid signature"
    assert "code" not in body or body["code"] in {"session_not_found"}


def test_missing_signature_is_401(client, tenant, session):
    response = client.get(f"/t/{SLUG}/adapter/balance", {"sessionID": session})

    assert response.status_code == 401


def test_post_signature_covers_the_raw_bytes(client, tenant, session):
    payload = bet_payload(session)
    canonical, signature = signing.public_sign_body(INTEGRATION_KEY, payload)
    pretty = canonical.replace(b",", b", ")  # same JSON value, other bytes

    assert adapter_post(client, "bet", payload, raw=pretty, sign=signature).status_code == 401
    assert (
        adapter_post(client, "bet", payload, raw=pretty, sign=signing.public_sign(INTEGRATION_KEY, pretty)).status_code
        == 200
    )


def test_bad_post_signature_moves_nothing(client, tenant, session):
    response = adapter_post(client, "bet", bet_payload(session), key="wrong-key")

    assert response.status_code == 401
    assert not SandboxTransaction.objects.exists()
    assert balance_of(tenant, "alice", "USD") == Decimal("100.10")


def test_previous_integration_key_still_verifies(client, db):
    tenant = make_tenant(integration_api_key="new-key", integration_previous_keys=[INTEGRATION_KEY])
    services.session_register(tenant=tenant, session_id="s", player_id="p", currency="USD")

    assert adapter_balance(client, "s").status_code == 200
    assert adapter_balance(client, "s", key="new-key").status_code == 200


# ------------------------------------------------------------------ sessions --


def test_unknown_session_is_auto_created_with_the_default_balance(client, tenant):
    response = adapter_balance(client, "fresh-session")

    assert response.status_code == 200
    assert loads(response) == {"balance": "1000.00"}
    session = SandboxSession.objects.get(session_id="fresh-session")
    assert (session.player_id, session.currency) == ("fresh-session", "USD")


def test_strict_tenant_answers_session_not_found_with_refresh(client, db):
    make_tenant(strict_sessions=True)

    response = adapter_post(client, "bet", bet_payload("unknown"))

    assert response.status_code == 404
    assert loads(response) == {"message": "Session not found", "code": "session_not_found", "action": "refresh"}
    assert not SandboxTransaction.objects.exists()


# ------------------------------------------------------------ money movement --


def test_bet_win_refund_flow(client, tenant, session):
    bet = bet_payload(session, "10.10")
    response = adapter_post(client, "bet", bet)
    assert response.status_code == 200
    body = loads(response)
    assert body["balance"] == "90.00"
    assert body["txID"] == str(SandboxTransaction.objects.get(tx_id=bet["txID"]).partner_tx_id)

    win = adapter_post(client, "win", bet_payload(session, "5", roundID=bet["roundID"]))
    assert loads(win)["balance"] == "95.00"

    refund = adapter_post(
        client,
        "refund",
        {"sessionID": session, "txID": uid(), "origTxID": bet["txID"], "roundID": bet["roundID"], "amount": "10.10"},
    )
    assert refund.status_code == 200
    assert loads(refund)["balance"] == "105.10"
    assert balance_of(tenant, "alice", "USD") == Decimal("105.10")


def test_insufficient_funds(client, tenant, session):
    response = adapter_post(client, "bet", bet_payload(session, "100.11"))

    assert response.status_code == 400
    assert loads(response) == {"message": "Insufficient funds", "code": "insufficient_funds"}
    assert balance_of(tenant, "alice", "USD") == Decimal("100.10")


def test_refund_of_unknown_bet_is_200_and_moves_nothing(client, tenant, session):
    orig = uid()
    response = adapter_post(
        client, "refund", {"sessionID": session, "txID": uid(), "origTxID": orig, "amount": "10.00"}
    )

    assert response.status_code == 200
    assert loads(response)["balance"] == "100.10"
    assert balance_of(tenant, "alice", "USD") == Decimal("100.10")

    late = adapter_post(client, "bet", bet_payload(session, "10.00", txID=orig))
    assert late.status_code == 400
    assert balance_of(tenant, "alice", "USD") == Decimal("100.10")


def test_free_round_bets_and_wins_do_not_move_the_balance_but_are_recorded(client, tenant, session):
    bet = bet_payload(session, "1000.00", type="free", frID="fr-1")  # more than the balance: still fine
    first = adapter_post(client, "bet", bet)
    again = adapter_post(client, "bet", bet)
    win = adapter_post(client, "win", bet_payload(session, "3.00", type="free", frID="fr-1"))

    assert first.status_code == again.status_code == win.status_code == 200
    assert first.content == again.content
    assert loads(win)["balance"] == "100.10"
    txs = SandboxTransaction.objects.order_by("id")
    assert [(t.action, t.free, t.moved, t.fr_id) for t in txs] == [
        ("bet", True, False, "fr-1"),
        ("win", True, False, "fr-1"),
    ]


def test_regular_win_with_frid_is_the_bonus_withdrawal_and_credits(client, tenant, session):
    response = adapter_post(client, "win", bet_payload(session, "12.00", type="regular", frID="fr-1"))

    assert response.status_code == 200
    assert loads(response)["balance"] == "112.10"


def test_replay_is_identical_and_moves_money_once(client, tenant, session):
    win = bet_payload(session, "1.00")

    responses = [adapter_post(client, "win", win) for _ in range(3)]

    assert {r.content for r in responses} == {responses[0].content}
    assert balance_of(tenant, "alice", "USD") == Decimal("101.10")
    assert SandboxTransaction.objects.get().replays == 2


def test_refunding_a_free_bet_moves_nothing(client, tenant, session):
    bet = bet_payload(session, "5.00", type="free", frID="fr-1")
    adapter_post(client, "bet", bet)

    adapter_post(client, "refund", {"sessionID": session, "txID": uid(), "origTxID": bet["txID"], "amount": "5.00"})

    assert balance_of(tenant, "alice", "USD") == Decimal("100.10")
    assert SandboxTransaction.objects.get(action="refund").status == TxStatus.REFUND_WITHOUT_BET


# --------------------------------------------------------------- validation --


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "01.5"},
        {"amount": "1."},
        {"amount": "-1"},
        {"amount": 10},
        {"amount": "1.001"},
        {"amount": "1e3"},
        {"amount": "١٢"},  # non-ASCII digits
        {"txID": "not-a-uuid"},
        {"roundID": None},
        {"type": "bonus"},
        {"sessionID": ""},
        {"frID": 5},
    ],
)
def test_invalid_bet_bodies_are_400(client, tenant, session, change):
    payload = bet_payload(session)
    payload.update(change)
    payload = {k: v for k, v in payload.items() if v is not None}

    response = adapter_post(client, "bet", payload)

    assert response.status_code == 400
    assert "message" in loads(response)
    assert not SandboxTransaction.objects.exists()


def test_refund_needs_orig_tx_id(client, tenant, session):
    response = adapter_post(client, "refund", {"sessionID": session, "txID": uid(), "amount": "1.00"})

    assert response.status_code == 400


def test_balance_needs_session_id(client, tenant):
    signature = signing.public_sign(INTEGRATION_KEY, signing.canonical_query({}))

    response = client.get(f"/t/{SLUG}/adapter/balance", headers={"X-REQUEST-SIGN": signature})

    assert response.status_code == 400


def test_wrong_method_is_405(client, tenant):
    assert client.get(f"/t/{SLUG}/adapter/bet").status_code == 405
