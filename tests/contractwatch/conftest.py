"""A partner whose wallet is a small local HTTP server answering what a test tells it (both protocols), and one
wired to the sandbox (a wallet that keeps the contract)."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tenants import services as tenant_services
from tests.conftest import wire_partner
from wallet import services

CONFORMING = {
    ("igsp", "balance"): (200, {"balance": 1000.0}),
    ("igsp", "bet"): (200, {"balance": 999.0, "transaction_id": "w-1"}),
    ("igsp", "win"): (200, {"balance": 1002.0, "transaction_id": "w-2"}),
    ("igsp", "refund"): (200, {"balance": 1000.0, "transaction_id": "w-3"}),
    ("public_api", "balance"): (200, {"balance": "1000.00"}),
    ("public_api", "bet"): (200, {"balance": "999.00", "txID": "w-1"}),
    ("public_api", "win"): (200, {"balance": "1002.00", "txID": "w-2"}),
    ("public_api", "refund"): (200, {"balance": "1000.00", "txID": "w-3"}),
}


class Wallet:
    """What the server answers per (protocol, action): (status, JSON value or raw bytes); conforming by default."""

    def __init__(self):
        self.answers = dict(CONFORMING)
        self.calls: list[tuple[str, str]] = []

    def answer(self, protocol: str, action: str, status: int, body) -> None:
        self.answers[(protocol, action)] = (status, body)

    def conform(self) -> None:
        self.answers = dict(CONFORMING)


@pytest.fixture
def wallet_server():
    wallet = Wallet()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, protocol: str, action: str) -> None:
            wallet.calls.append((protocol, action))
            status, body = wallet.answers[(protocol, action)]
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            self._reply("public_api", "balance")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/hooks"):
                self._reply("igsp", json.loads(body)["action"])
            else:
                self._reply("public_api", self.path.rsplit("/", 1)[-1])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    wallet.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield wallet
    server.shutdown()
    server.server_close()


class Broken:
    """A partner (both protocols) whose wallet is ``wallet_server``."""

    def __init__(self, partner, wallet: Wallet):
        self.partner, self.wallet = partner, wallet
        self.ext_client = partner.ext_clients.get()

    def session(self, game, protocol: str, *, player: str = "p-1"):
        return services.session_create(
            protocol=protocol,
            partner=self.partner,
            ext_client=self.ext_client if protocol == "public_api" else None,
            game=game,
            player_id=player,
            player_name="Fox",
            currency="USD",
            partner_session_ref=f"sess-{uuid.uuid4().hex[:10]}",
        ).session


@pytest.fixture
def broken(wallet_server, live_hub, transactional_db, monkeypatch):
    from wallet import tasks

    monkeypatch.setattr(tasks.deliver_partner, "delay", lambda *a: None)  # the tests deliver themselves
    result = tenant_services.partner_onboard(
        name=f"Drifting {uuid.uuid4().hex[:6]}",
        actor="test",
        igsp=True,
        public_api=True,
        default_currency="USD",
        igsp_hooks_url=f"{wallet_server.url}/hooks",
        ext_clients=[{"ext_cid": f"ext-{uuid.uuid4().hex[:8]}", "base_url": f"{wallet_server.url}/adapter"}],
    )
    return Broken(result.partner, wallet_server)


@pytest.fixture
def keeper(sandbox, live_hub, transactional_db):
    """A partner whose wallet is the sandbox: every answer keeps the contract."""
    return wire_partner(sandbox, live_hub)


def alerting(partner, django_user_model, url: str) -> str:
    """The partner's account manager (an email) and alert webhook (``url``); returns the webhook's secret."""
    from tenants.models import CredentialPurpose

    manager = django_user_model.objects.create_user(
        username=f"am-{partner.slug}", email=f"am@{partner.slug}.example", is_staff=True
    )
    tenant_services.partner_update(partner=partner, actor="test", account_manager=manager, alert_webhook_url=url)
    return tenant_services.credential_issue(partner=partner, purpose=CredentialPurpose.ALERT_WEBHOOK, actor="t").secret
