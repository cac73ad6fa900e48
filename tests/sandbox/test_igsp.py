"""IGSP hooks on the sandbox partner: signatures, validation, money movement, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox import services
from sandbox.models import SandboxTransaction, TxStatus

from .helpers import (
    IGSP_KEY,
    IGSP_SECRET,
    balance_of,
    encode,
    igsp_body,
    igsp_call,
    igsp_headers,
    loads,
    stale,
    uid,
)

pytestmark = [pytest.mark.urls("sandbox.urls"), pytest.mark.django_db]


# ------------------------------------------------------------------ signing --


def test_signed_balance_call_auto_creates_the_account_with_the_default_balance(client, tenant):
    response = igsp_call(client, igsp_body("balance"))

    assert response.status_code == 200
    assert response.content == b'{"balance":1000.00}'
    assert balance_of(tenant, "p1", "EUR") == Decimal("1000.00")


def test_bad_signature_is_401_in_the_igsp_error_shape(client, tenant):
    raw = encode(igsp_body("balance"))
    headers = igsp_headers(raw)
    headers["X-Signature"] = "0" * 64

    response = igsp_call(client, raw, headers=headers)

    assert response.status_code == 401
    body = loads(response)
    assert body["error"] == "unauthorized"
    assert body["status"] == 401
    assert body["message"]


def test_body_changed_after_signing_is_rejected(client, tenant):
    raw = encode(igsp_body("bet", amount=Decimal("1.00")))
    headers = igsp_headers(raw)

    response = igsp_call(client, raw.replace(b"1.00", b"0.01"), headers=headers)

    assert response.status_code == 401
    assert not SandboxTransaction.objects.exists()


@pytest.mark.parametrize("minutes_ago", [6, -6])  # too old, or too far in the future
def test_stale_timestamp_is_401(client, tenant, minutes_ago):
    response = igsp_call(client, igsp_body("balance"), now=stale(minutes_ago))

    assert response.status_code == 401
    assert loads(response)["message"] == "Stale timestamp"


def test_timestamp_within_the_window_is_accepted(client, tenant):
    assert igsp_call(client, igsp_body("balance"), now=stale(4)).status_code == 200


@pytest.mark.parametrize(("key", "secret"), [("gp_live_other", IGSP_SECRET), (IGSP_KEY, "wrong-secret")])
def test_wrong_key_or_secret_is_401(client, tenant, key, secret):
    assert igsp_call(client, igsp_body("balance"), key=key, secret=secret).status_code == 401


def test_missing_headers_are_401(client, tenant):
    assert igsp_call(client, igsp_body("balance"), headers={}).status_code == 401


def test_previous_credentials_still_verify_during_rotation(client, db):
    from .helpers import make_tenant

    make_tenant(
        igsp_api_key="gp_live_new",
        igsp_secret="new-secret",
        igsp_previous_credentials=[{"api_key": IGSP_KEY, "secret": IGSP_SECRET}],
    )

    assert igsp_call(client, igsp_body("balance")).status_code == 200
    assert igsp_call(client, igsp_body("balance"), key="gp_live_new", secret="new-secret").status_code == 200
    assert igsp_call(client, igsp_body("balance"), key="gp_live_new", secret=IGSP_SECRET).status_code == 401


def test_unknown_tenant_is_404(client, tenant):
    assert igsp_call(client, igsp_body("balance"), slug="nobody").status_code == 404


# --------------------------------------------------------------- validation --


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "10.00"},  # a string, not a JSON number
        {"amount": Decimal("-1")},
        {"amount": Decimal("1.001")},  # more decimals than EUR has
        {"amount": True},
        {"type": "jackpot"},  # a win type on a bet
        {"transaction_id": 123},
        {"transaction_id": ""},
        {"currency": "E"},
        {"finished": "yes"},
        {"action": "rollback"},
    ],
)
def test_invalid_bet_bodies_are_400(client, tenant, change):
    body = igsp_body("bet")
    body.update(change)
    response = igsp_call(client, body)

    assert response.status_code == 400
    body = loads(response)
    assert set(body) == {"error", "message", "status"}
    assert body["status"] == 400
    assert not SandboxTransaction.objects.exists()


@pytest.mark.parametrize(
    "missing", ["player_id", "amount", "currency", "game_id", "transaction_id", "session_id", "type"]
)
def test_missing_required_bet_field_is_400(client, tenant, missing):
    body = igsp_body("bet")
    del body[missing]

    assert igsp_call(client, body).status_code == 400


def test_refund_requires_bet_transaction_id(client, tenant):
    assert igsp_call(client, igsp_body("refund")).status_code == 400


def test_not_json_is_400_after_auth(client, tenant):
    response = igsp_call(client, b"{not json")

    assert response.status_code == 400
    assert loads(response)["error"] == "invalid_json"


def test_number_no_decimal_holds_is_400_not_500(client, tenant):
    """An exponent no Decimal holds is not JSON money: 400 invalid_json, not the last-resort 500."""
    response = igsp_call(client, b'{"action": "bet", "amount": 5e99999999999999999999}')

    assert response.status_code == 400
    assert loads(response)["error"] == "invalid_json"


# ------------------------------------------------------------ money movement --


def test_bet_debits_and_answers_balance_and_our_transaction_id(client, tenant):
    bet = igsp_body("bet", amount=Decimal("12.50"))

    response = igsp_call(client, bet)

    assert response.status_code == 200
    body = loads(response)
    tx = SandboxTransaction.objects.get(tx_id=bet["transaction_id"])
    assert response.content == f'{{"balance":987.50,"transaction_id":"{tx.partner_tx_id}"}}'.encode()
    assert body["transaction_id"] != bet["transaction_id"]
    assert balance_of(tenant, "p1", "EUR") == Decimal("987.50")
    assert tx.moved
    assert tx.delta == Decimal("-12.50")
    assert tx.status == TxStatus.APPLIED


def test_integer_amounts_are_accepted(client, tenant):
    assert igsp_call(client, igsp_body("bet", amount=3)).status_code == 200
    assert balance_of(tenant, "p1", "EUR") == Decimal("997")


def test_win_credits(client, tenant):
    igsp_call(client, igsp_body("bet", amount=Decimal("10")))

    response = igsp_call(client, igsp_body("win", amount=Decimal("25.10"), type="jackpot"))

    assert response.status_code == 200
    assert loads(response)["balance"] == Decimal("1015.10")
    assert balance_of(tenant, "p1", "EUR") == Decimal("1015.10")


def test_insufficient_funds_is_400_and_moves_nothing(client, tenant):
    services.account_set_balance(tenant=tenant, player_id="p1", currency="EUR", balance="5.00")

    response = igsp_call(client, igsp_body("bet", amount=Decimal("5.01")))

    assert response.status_code == 400
    assert loads(response) == {"error": "insufficient_funds", "message": "Insufficient funds", "status": 400}
    assert balance_of(tenant, "p1", "EUR") == Decimal("5.00")
    assert SandboxTransaction.objects.get().status == TxStatus.REJECTED


def test_refund_credits_the_referenced_bet_once(client, tenant):
    bet = igsp_body("bet", amount=Decimal("40.00"))
    igsp_call(client, bet)

    first = igsp_call(client, igsp_body("refund", amount=Decimal("40.00"), bet_transaction_id=bet["transaction_id"]))
    second = igsp_call(client, igsp_body("refund", amount=Decimal("40.00"), bet_transaction_id=bet["transaction_id"]))

    assert first.status_code == 200
    assert second.status_code == 200
    assert balance_of(tenant, "p1", "EUR") == Decimal("1000.00")
    refunds = SandboxTransaction.objects.filter(action="refund").order_by("id")
    assert [r.moved for r in refunds] == [True, False]
    assert refunds[1].note == "bet_already_refunded"


def test_refund_of_an_unseen_bet_is_200_without_money_and_blocks_the_late_bet(client, tenant):
    bet = igsp_body("bet", amount=Decimal("30.00"))
    refund = igsp_body("refund", amount=Decimal("30.00"), bet_transaction_id=bet["transaction_id"])

    response = igsp_call(client, refund)

    assert response.status_code == 200
    assert loads(response)["balance"] == Decimal("1000.00")
    assert SandboxTransaction.objects.get(tx_id=refund["transaction_id"]).status == TxStatus.REFUND_WITHOUT_BET

    late = igsp_call(client, bet)

    assert late.status_code == 400
    assert loads(late)["error"] == "transaction_refunded"
    assert balance_of(tenant, "p1", "EUR") == Decimal("1000.00")


def test_refund_of_a_rejected_bet_moves_nothing(client, tenant):
    services.account_set_balance(tenant=tenant, player_id="p1", currency="EUR", balance="1.00")
    bet = igsp_body("bet", amount=Decimal("2.00"))
    igsp_call(client, bet)

    response = igsp_call(client, igsp_body("refund", amount=Decimal("2.00"), bet_transaction_id=bet["transaction_id"]))

    assert response.status_code == 200
    assert balance_of(tenant, "p1", "EUR") == Decimal("1.00")


def test_freespin_bet_does_not_debit(client, tenant):
    response = igsp_call(client, igsp_body("bet", amount=Decimal("1.00"), type="freespin"))

    assert response.status_code == 200
    assert balance_of(tenant, "p1", "EUR") == Decimal("1000.00")
    assert SandboxTransaction.objects.get().free


def test_replay_answers_the_identical_body_and_moves_money_once(client, tenant):
    bet = igsp_body("bet", amount=Decimal("7.25"))

    first = igsp_call(client, bet)
    again = igsp_call(client, bet)

    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert balance_of(tenant, "p1", "EUR") == Decimal("992.75")
    tx = SandboxTransaction.objects.get()
    assert tx.replays == 1


def test_replayed_rejection_is_identical_even_after_a_top_up(client, tenant):
    services.account_set_balance(tenant=tenant, player_id="p1", currency="EUR", balance="0")
    bet = igsp_body("bet", amount=Decimal("1.00"))
    first = igsp_call(client, bet)
    services.account_set_balance(tenant=tenant, player_id="p1", currency="EUR", balance="100")

    again = igsp_call(client, bet)

    assert first.status_code == again.status_code == 400
    assert first.content == again.content
    assert balance_of(tenant, "p1", "EUR") == Decimal("100")


def test_tx_id_reused_for_another_action_is_400(client, tenant):
    bet = igsp_body("bet")
    igsp_call(client, bet)

    response = igsp_call(client, igsp_body("win", transaction_id=bet["transaction_id"]))

    assert response.status_code == 400
    assert loads(response)["error"] == "duplicate_transaction"
    assert balance_of(tenant, "p1", "EUR") == Decimal("990.00")


def test_crypto_precision_and_per_currency_override(client, db):
    from .helpers import make_tenant

    tenant = make_tenant(currency_precision={"EUR": 3})
    igsp_call(client, igsp_body("bet", amount=Decimal("0.125")))
    response = igsp_call(client, igsp_body("bet", currency="BTC", amount=Decimal("0.00000001")))

    assert balance_of(tenant, "p1", "EUR") == Decimal("999.875")
    assert response.content.startswith(b'{"balance":999.99999999,')


def test_strict_tenant_rejects_unknown_players(client, db):
    from .helpers import make_tenant

    make_tenant(strict_sessions=True)

    response = igsp_call(client, igsp_body("balance", player_id=uid()))

    assert response.status_code == 400
    assert loads(response)["error"] == "player_not_found"
