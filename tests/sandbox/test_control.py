"""Control API (tenants, faults, balances, sessions, ledger) and the httpx client in sandbox.client."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sandbox.client import SandboxClient, SandboxError
from sandbox.models import SandboxAccount, SandboxTenant

from .helpers import IGSP_KEY, IGSP_SECRET, INTEGRATION_KEY, adapter_post, bet_payload, igsp_body, igsp_call, uid

pytestmark = [pytest.mark.urls("sandbox.urls"), pytest.mark.django_db]


def put(client, path, body, **headers):
    return client.put(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_healthz(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "sandbox"}


def test_put_tenant_creates_then_updates_and_never_echoes_secrets(client, db):
    created = put(
        client,
        "/t/acme",
        {
            "igsp_api_key": IGSP_KEY,
            "igsp_secret": IGSP_SECRET,
            "integration_api_key": INTEGRATION_KEY,
            "default_balance": "250.5",
            "currency_precision": {"BTC": 8},
        },
    )
    updated = put(client, "/t/acme", {"name": "Acme", "strict_sessions": True})

    assert created.status_code == 201
    assert updated.status_code == 200
    body = updated.json()
    assert body["name"] == "Acme"
    assert body["strict_sessions"] is True
    assert body["igsp_api_key"] == IGSP_KEY
    assert body["has_igsp_secret"] is True
    assert body["default_balance"] == "250.5"
    assert body["urls"] == {
        "igsp_hooks": "http://testserver/t/acme/igsp/hooks",
        "adapter_base": "http://testserver/t/acme/adapter",
    }
    assert IGSP_SECRET not in updated.content.decode()
    assert INTEGRATION_KEY not in updated.content.decode()
    assert set(body["faults"]) == {"balance", "bet", "win", "refund"}
    tenant = SandboxTenant.objects.get(slug="acme")
    assert tenant.default_balance == Decimal("250.5")
    assert tenant.igsp_secret == IGSP_SECRET


@pytest.mark.parametrize(
    "body",
    [
        {"default_balance": -1},
        {"default_balance": "abc"},
        {"strict_sessions": "yes"},
        {"unknown": 1},
        {"currency_precision": {"BTC": 9}},
        {"faults": {"bet": {"error_rate": 5}}},
        {"fault_seed": "x"},
        {"igsp_previous_credentials": [{"api_key": "k"}]},
    ],
)
def test_put_tenant_validation(client, db, body):
    response = put(client, "/t/acme", body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert not SandboxTenant.objects.exists()


def test_put_tenant_bad_json(client, db):
    response = client.put("/t/acme", data=b"{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_put_tenant_number_no_decimal_holds(client, db):
    response = client.put("/t/acme", data=b'{"balance": 5e99999999999999999999}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert not SandboxTenant.objects.exists()


def test_faults_replace_and_read(client, tenant):
    response = put(client, f"/t/{tenant.slug}/faults", {"bet": {"error_rate": 0.25, "stall_seconds": 1.5}, "seed": 9})

    assert response.status_code == 200
    body = response.json()
    assert body["seed"] == 9
    assert body["faults"]["bet"]["error_rate"] == 0.25
    assert body["faults"]["bet"]["stall_seconds"] == 1.5
    assert body["faults"]["win"]["error_rate"] == 0.0

    round_trip = put(client, f"/t/{tenant.slug}/faults", body)
    assert round_trip.status_code == 200
    assert round_trip.json() == body
    assert client.get(f"/t/{tenant.slug}/faults").json() == body

    cleared = put(client, f"/t/{tenant.slug}/faults", {})
    assert cleared.json()["faults"]["bet"]["error_rate"] == 0.0
    assert cleared.json()["seed"] is None


def test_set_balance_and_read_account(client, tenant):
    response = put(client, f"/t/{tenant.slug}/accounts/p9/EUR", {"balance": "12.30"})

    assert response.status_code == 200
    assert response.json() == {"player_id": "p9", "currency": "EUR", "balance": "12.30"}
    assert SandboxAccount.objects.get(player_id="p9").balance == Decimal("12.30")
    assert client.get(f"/t/{tenant.slug}/accounts/p9/EUR").json()["balance"] == "12.30"
    assert put(client, f"/t/{tenant.slug}/accounts/p9/EUR", {"balance": "-1"}).status_code == 400
    assert put(client, f"/t/{tenant.slug}/accounts/p9/EUR", {"amount": "1"}).status_code == 400


def test_register_session(client, tenant):
    response = put(client, f"/t/{tenant.slug}/sessions/sess-7", {"playerId": "bob", "currency": "EUR", "balance": "50"})

    assert response.status_code == 200
    assert response.json() == {"session_id": "sess-7", "player_id": "bob", "currency": "EUR", "balance": "50.00"}
    bet = adapter_post(client, "bet", bet_payload("sess-7", "20"))
    assert bet.json()["balance"] == "30.00"


def test_unknown_tenant_or_path_is_a_json_404(client, db):
    assert client.get("/t/nobody/ledger").status_code == 404
    assert client.get("/no/such/path").json() == {"error": "not_found", "message": "No such sandbox endpoint"}
    assert put(client, "/t/nobody/faults", {}).status_code == 404


def test_ledger_lists_accounts_transactions_and_totals(client, tenant):
    bet = igsp_body("bet", amount=Decimal("10.00"))
    igsp_call(client, bet)
    igsp_call(client, bet)  # replay
    igsp_call(client, igsp_body("win", amount=Decimal("4.00")))
    igsp_call(client, igsp_body("refund", bet_transaction_id=bet["transaction_id"], amount=Decimal("10.00")))
    igsp_call(client, igsp_body("refund", bet_transaction_id=uid(), amount=Decimal("1.00")))

    ledger = client.get(f"/t/{tenant.slug}/ledger").json()

    assert ledger["accounts"] == [{"player_id": "p1", "currency": "EUR", "balance": "1004.00"}]
    actions = [(t["action"], t["status"], t["moved"]) for t in ledger["transactions"]]
    assert actions == [
        ("bet", "applied", True),
        ("win", "applied", True),
        ("refund", "applied", True),
        ("bet", "rejected", False),
        ("refund", "refund_without_bet", False),
    ]
    assert ledger["transactions"][0]["replays"] == 1
    assert ledger["transactions"][0]["refunded_by"] == ledger["transactions"][2]["tx_id"]
    summary = ledger["summary"]
    assert summary["transactions"] == 5
    assert summary["money_movements"] == 3
    assert summary["max_movements_per_tx"] == 1
    assert summary["movements_by_tx"][bet["transaction_id"]] == 1
    assert summary["per_player"] == [
        {
            "player_id": "p1",
            "currency": "EUR",
            "balance": "1004",
            "bets": "10",
            "wins": "4",
            "refunds": "10",
            "net": "4",
            "movements": 3,
        }
    ]

    assert client.delete(f"/t/{tenant.slug}/ledger").status_code == 204
    assert client.get(f"/t/{tenant.slug}/ledger").json()["transactions"] == []


def test_control_token_is_enforced_when_set(client, db, monkeypatch):
    monkeypatch.setenv("HUB_SANDBOX_CONTROL_TOKEN", "s3cret")

    assert put(client, "/t/acme", {}).status_code == 401
    assert put(client, "/t/acme", {}, **{"X-Sandbox-Token": "nope"}).status_code == 401
    assert put(client, "/t/acme", {}, **{"X-Sandbox-Token": "s3cret"}).status_code == 201
    assert client.get("/healthz").status_code == 200


# -------------------------------------------------------------- the client --


@pytest.mark.django_db(transaction=True, available_apps=["sandbox"])
def test_client_configures_a_running_sandbox(live_server, transactional_db):
    with SandboxClient(live_server.url) as sb:
        assert sb.healthz()["status"] == "ok"
        tenant = sb.configure_tenant(
            "demo",
            igsp_api_key=IGSP_KEY,
            igsp_secret=IGSP_SECRET,
            integration_api_key=INTEGRATION_KEY,
            default_balance=Decimal("500"),
            faults={"win": {"error_rate": Decimal("0.5")}},
            fault_seed=3,
        )
        assert tenant["urls"]["igsp_hooks"] == f"{live_server.url}/t/demo/igsp/hooks"
        assert sb.igsp_hooks_url("demo") == tenant["urls"]["igsp_hooks"]
        assert sb.adapter_base_url("demo") == tenant["urls"]["adapter_base"]
        assert sb.set_faults("demo", {"bet": {"drop_rate": 1}}, seed=5)["faults"]["bet"]["drop_rate"] == 1.0
        assert sb.clear_faults("demo")["faults"]["bet"]["drop_rate"] == 0.0
        assert sb.set_balance("demo", "p 1/x", "EUR", Decimal("42.10"))["balance"] == "42.10"
        assert sb.get_account("demo", "p 1/x", "EUR")["balance"] == "42.10"
        assert sb.register_session("demo", "s-1", "p2", "USD", "7")["balance"] == "7.00"
        ledger = sb.ledger("demo")
        assert {a["player_id"] for a in ledger["accounts"]} == {"p 1/x", "p2"}
        assert sb.ledger("demo", player_id="p2")["accounts"] == [
            {"player_id": "p2", "currency": "USD", "balance": "7.00"}
        ]
        sb.reset_ledger("demo")
        assert sb.ledger("demo")["accounts"] == []
        with pytest.raises(SandboxError) as excinfo:
            sb.set_balance("demo", "p", "EUR", "-5")
        assert excinfo.value.status == 400
        with pytest.raises(TypeError):
            sb.set_balance("demo", "p", "EUR", 1.5)


def test_tenant_configure_keyword_service(db):
    from sandbox import services

    tenant = services.tenant_configure(
        slug="demo", igsp_api_key=IGSP_KEY, igsp_secret=IGSP_SECRET, integration_api_key=INTEGRATION_KEY
    )
    again = services.tenant_configure(slug="demo", default_balance="5")

    assert again.pk == tenant.pk
    assert again.igsp_secret == IGSP_SECRET
    assert again.default_balance == Decimal("5")
    with pytest.raises(services.SandboxValidationError):
        services.tenant_configure(slug="demo", bogus=1)
