"""Concurrent identical requests move money once (real HTTP, one DB connection per server thread).

Runs on PostgreSQL. Skipped on SQLite: pytest-django's live server shares one
in-memory connection between all its threads there, so it cannot serve truly
concurrent transactions.
"""

from __future__ import annotations

from contextlib import ExitStack
from decimal import Decimal

import httpx
import pytest

from core import signing
from sandbox import services
from sandbox.models import SandboxAccount, SandboxTransaction
from tests.conftest import run_together

from .helpers import INTEGRATION_KEY, SLUG, bet_payload, encode, igsp_body, igsp_headers, is_sqlite, uid

pytestmark = [pytest.mark.urls("sandbox.urls"), pytest.mark.django_db(transaction=True, available_apps=["sandbox"])]

THREADS = 8


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if is_sqlite():
        pytest.skip("needs a database with real concurrent connections (run with DATABASE_URL=postgres://…)")


def fire(base_url: str, requests: list[tuple[str, bytes, dict]]) -> list[httpx.Response]:
    """Send all requests at once (one thread and one client each, the threads released together)."""

    def send(i: int) -> httpx.Response:
        path, body, headers = requests[i]
        return clients[i].post(path, content=body, headers={"Content-Type": "application/json", **headers})

    with ExitStack() as stack:  # the clients are built before the threads start: sending is all they do together
        clients = [stack.enter_context(httpx.Client(base_url=base_url, timeout=15.0)) for _ in requests]
        return run_together(len(requests), send)


def igsp_request(body) -> tuple[str, bytes, dict]:
    raw = encode(body)
    return f"/t/{SLUG}/igsp/hooks", raw, igsp_headers(raw)


def test_identical_bets_at_once_move_money_once_and_answer_identically(live, live_tenant):
    base_url, _ = live
    bet = igsp_body("bet", amount=Decimal("15.00"))

    responses = fire(base_url, [igsp_request(bet)] * THREADS)

    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    account = SandboxAccount.objects.get(tenant=live_tenant, player_id="p1", currency="EUR")
    assert account.balance == Decimal("985.00")
    tx = SandboxTransaction.objects.get(tx_id=bet["transaction_id"])
    assert tx.replays == THREADS - 1


def test_identical_public_api_wins_at_once_credit_once(live, live_tenant):
    base_url, _ = live
    services.session_register(tenant=live_tenant, session_id="s-c", player_id="carol", currency="USD", balance="0")
    body, signature = signing.public_sign_body(INTEGRATION_KEY, bet_payload("s-c", "3.33"))
    responses = fire(base_url, [(f"/t/{SLUG}/adapter/win", body, {"X-REQUEST-SIGN": signature})] * THREADS)

    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert SandboxAccount.objects.get(player_id="carol").balance == Decimal("3.33")


def test_many_different_bets_never_overdraw(live, live_tenant):
    base_url, _ = live
    services.account_set_balance(tenant=live_tenant, player_id="p1", currency="EUR", balance="30.00")

    responses = fire(base_url, [igsp_request(igsp_body("bet", amount=Decimal("10.00"))) for _ in range(THREADS)])

    assert sorted(r.status_code for r in responses) == [200] * 3 + [400] * (THREADS - 3)
    assert SandboxAccount.objects.get(player_id="p1").balance == Decimal("0.00")


def test_bet_racing_its_refund_always_nets_to_zero(live, live_tenant):
    base_url, _ = live
    for _ in range(3):
        bet = igsp_body("bet", amount=Decimal("20.00"))
        refund = igsp_body("refund", amount=Decimal("20.00"), bet_transaction_id=bet["transaction_id"])

        fire(base_url, [igsp_request(bet), igsp_request(refund), igsp_request(refund)])

        assert SandboxAccount.objects.get(player_id="p1").balance == Decimal("1000.00")
        assert (
            SandboxTransaction.objects.filter(action="refund", moved=True, ref_tx_id=bet["transaction_id"]).count() <= 1
        )


def test_identical_refunds_of_an_unseen_bet_at_once(live, live_tenant):
    base_url, _ = live
    orig = uid()
    refund = igsp_body("refund", amount=Decimal("5.00"), bet_transaction_id=orig)

    responses = fire(base_url, [igsp_request(refund)] * THREADS)

    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert SandboxAccount.objects.get(player_id="p1").balance == Decimal("1000.00")
    assert SandboxTransaction.objects.filter(tx_id=orig, status="rejected").count() == 1
