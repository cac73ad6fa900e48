"""The outbound pool checks the peer it connects to, and reads a partner's answer only up to a bound.

A real HTTP server in the test plays a partner wallet that misbehaves; the hub talks to it through the same
process-wide pool it uses in production.
"""

from __future__ import annotations

import functools
import gzip
import json
import socket
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.errors import UpstreamUnavailable
from tenants import services as tenant_services
from tenants.models import ExtClient, Partner
from wallet import delivery, services, transport
from wallet.models import DeliveryAttempt, Transaction, TxKind, TxStatus

MIB = 1024 * 1024


@functools.cache
def gzip_bomb() -> bytes:
    return gzip.compress(b" " * (64 * MIB), compresslevel=9)


class Wallet:
    """A partner wallet on 127.0.0.1: ``behaviour[action]`` says how it answers (ok, big, endless, drip)."""

    def __init__(self):
        self.behaviour: dict[str, str] = {}
        self.requests: list[str] = []
        self.connections: set = set()
        wallet = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._answer({})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                self._answer(body if isinstance(body, dict) else {})

            def _answer(self, body):
                action = body.get("action") or self.path.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
                wallet.requests.append(action)
                wallet.connections.add(self.client_address)
                mode = wallet.behaviour.get(action, "ok")
                ok = json.dumps(
                    {
                        "balance": "100.00",
                        "transaction_id": f"p-{uuid.uuid4().hex[:8]}",
                        "txID": f"p-{uuid.uuid4().hex[:8]}",
                    }
                ).encode()
                try:
                    if mode == "ok":
                        self._send(200, ok)
                    elif mode == "big":  # a valid JSON object, 1 MiB long
                        self._send(200, b'{"balance": "100.00", "pad": "' + b"x" * MIB + b'"}')
                    elif mode == "gzipbomb":  # ~64 KiB on the wire, 64 MiB once decompressed
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Encoding", "gzip")
                        self.send_header("Content-Length", str(len(gzip_bomb())))
                        self.end_headers()
                        self.wfile.write(gzip_bomb())
                    elif mode == "endless":  # chunked, never ends
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        chunk = b"x" * 8192
                        deadline = time.monotonic() + 20
                        while time.monotonic() < deadline:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    elif mode == "drip":  # a small body, one byte every 0.3 s: each read is quick, the whole is not
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(ok)))
                        self.end_headers()
                        for i in range(len(ok)):
                            self.wfile.write(ok[i : i + 1])
                            self.wfile.flush()
                            time.sleep(0.3)
                except OSError:
                    self.close_connection = True

            def _send(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wallet():
    server = Wallet()
    yield server
    server.close()


@pytest.fixture
def partner(wallet, transactional_db):
    result = tenant_services.partner_onboard(
        name=f"Odd wallet {uuid.uuid4().hex[:6]}",
        actor="test",
        igsp=True,
        public_api=True,
        default_currency="USD",
        igsp_hooks_url=f"{wallet.url}/igsp/hooks",
        ext_clients=[{"ext_cid": f"odd-{uuid.uuid4().hex[:6]}", "base_url": f"{wallet.url}/adapter"}],
    )
    return result.partner


def new_session(partner, game, protocol):
    ext = partner.ext_clients.get() if protocol == "public_api" else None
    return services.session_create(
        protocol=protocol,
        partner=partner,
        ext_client=ext,
        game=game,
        player_id="p-1",
        player_name="Fox",
        currency="USD",
        partner_session_ref=f"s-{uuid.uuid4().hex[:10]}",
    ).session


def map_name(monkeypatch, name: str, ip: str = "127.0.0.1"):
    """A public-looking name that resolves to ``ip`` (what DNS rebinding does after the URL was saved)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == name:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


PROTOCOLS = ["igsp", "public_api"]
ODD = ["big", "endless", "drip"]


@pytest.fixture(params=["send", "send_soon"])
def send(request):
    """The call as a bet makes it (``transport.send``, the pooled client) and as the delivery pump does
    (``transport.send_soon``, the event loop's): the same checks and bounds, the same errors."""
    if request.param == "send":
        return transport.send

    def soon(method, url, *, content=None, headers=None):
        return transport.send_soon(method, url, content=content, headers=headers, then=lambda *r: r).result(30)

    return soon


# ---------------------------------------------------------- bounded reads --


@pytest.mark.parametrize("mode", [*ODD, "gzipbomb"])
def test_send_reads_at_most_the_bound_within_the_total_timeout(wallet, settings, mode, send):
    settings.HUB_WALLET_TIMEOUT_SECONDS = 1.0
    wallet.behaviour["win"] = mode
    gzip_bomb()  # compressed before the clock starts
    started = time.monotonic()
    response, error, _ = send(
        "POST", f"{wallet.url}/hooks", content=b'{"action": "win"}', headers={"Content-Type": "application/json"}
    )
    elapsed = time.monotonic() - started
    assert response is None
    assert error.startswith("response too large" if mode != "drip" else "timeout"), error
    assert elapsed < 2.5, elapsed
    # The half-read connection is not handed back to the pool: the next call on the same host reads a clean answer.
    wallet.behaviour["win"] = "ok"
    response, error, _ = send("POST", f"{wallet.url}/hooks", content=b'{"action": "win"}')
    assert error == ""
    assert response.status_code == 200
    assert json.loads(response.content)["balance"] == "100.00"


def test_an_answer_just_under_the_bound_is_read_whole(wallet, settings, send):
    settings.HUB_WALLET_MAX_RESPONSE_BYTES = 2 * MIB
    wallet.behaviour["win"] = "big"
    response, error, _ = send("POST", f"{wallet.url}/hooks", content=b'{"action": "win"}')
    assert error == ""
    assert len(response.content) > MIB


def test_keep_alive_survives_the_checks(wallet, send):
    for _ in range(5):
        response, error, _ = send("POST", f"{wallet.url}/hooks", content=b'{"action": "balance"}')
        assert error == ""
        assert response.status_code == 200
    assert len(wallet.connections) == 1  # one connection, checked once, reused


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("mode", ODD)
def test_a_bet_with_an_oversized_or_endless_answer_is_declined_and_refunded(partner, game, wallet, protocol, mode):
    session = new_session(partner, game, protocol)
    wallet.behaviour["bet"] = mode
    with pytest.raises(UpstreamUnavailable):
        services.bet_place(session=session, amount=Decimal("5.00"))
    bet = Transaction.objects.get(kind=TxKind.BET)
    refund = Transaction.objects.get(kind=TxKind.REFUND)
    assert bet.status == TxStatus.DECLINED
    assert refund.refunds_id == bet.pk
    assert ("too large" if mode != "drip" else "timeout") in bet.last_error
    # The refund goes out (and the wallet answers it normally).
    assert delivery.deliver(refund.pk) == "delivered"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("mode", ["big", "endless"])
def test_a_win_with_an_oversized_answer_stays_pending_and_is_retried(partner, game, wallet, protocol, mode):
    session = new_session(partner, game, protocol)
    bet = services.bet_place(session=session, amount=Decimal("2.00"))
    wallet.behaviour["win"] = mode
    win = services.win_record(round=bet.round, amount=Decimal("4.00"))
    assert delivery.deliver(win.pk) == "retry"
    row = Transaction.objects.get(pk=win.pk)
    assert row.status == TxStatus.PENDING
    assert row.attempts == 1
    assert "too large" in row.last_error
    attempt = DeliveryAttempt.objects.get(transaction=win)
    assert attempt.outcome == "failed"


# ----------------------------------------------------- connect-time check --


def test_a_name_that_now_resolves_to_loopback_is_refused_at_connect(wallet, settings, monkeypatch, send):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    map_name(monkeypatch, "wallet.rebound.example")
    response, error, _ = send(
        "POST", f"http://wallet.rebound.example:{wallet.port}/hooks", content=b'{"action": "balance"}'
    )
    assert response is None, error
    assert error.startswith("connection error: refused"), error
    response, error, _ = send("POST", f"https://wallet.rebound.example:{wallet.port}/hooks", content=b"{}")
    assert response is None, error
    assert error.startswith("connection error: refused"), error  # before any TLS
    assert wallet.requests == []
    assert wallet.connections == set()  # nothing reached the inside
    # The same socket path with loopback allowed (the test settings) connects: the check is what refused.
    settings.HUB_ALLOW_HTTP_LOOPBACK = True
    map_name(monkeypatch, "wallet.rebound2.example")
    response, error, _ = send(
        "POST", f"http://wallet.rebound2.example:{wallet.port}/hooks", content=b'{"action": "balance"}'
    )
    assert error == ""
    assert response.status_code == 200
    assert wallet.requests == ["balance"]


def test_literal_inside_addresses_are_refused_at_connect(wallet, settings, send):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    for url in (
        f"http://127.0.0.1:{wallet.port}/x",
        f"http://2130706433:{wallet.port}/x",
        f"http://0x7f000001:{wallet.port}/x",
        f"http://127.1:{wallet.port}/x",
        f"http://0.0.0.0:{wallet.port}/x",
        f"http://[::ffff:127.0.0.1]:{wallet.port}/x",
    ):
        response, error, _ = send("GET", url)
        assert response is None, (url, error)
        assert error.startswith("connection error: refused"), (url, error)
    # With the development flag loopback is reachable, 0.0.0.0 (this host, on Linux) never.
    settings.HUB_ALLOW_HTTP_LOOPBACK = True
    response, error, _ = send("GET", f"http://0.0.0.0:{wallet.port}/x")
    assert response is None, error
    assert error.startswith("connection error: refused"), error
    assert wallet.requests == []


def test_an_allowed_private_network_connects(wallet, settings, monkeypatch, send):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    settings.HUB_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    map_name(monkeypatch, "wallet.onprem.example")
    response, error, _ = send("GET", f"http://wallet.onprem.example:{wallet.port}/balance")
    assert error == ""
    assert response.status_code == 200


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_rebound_partner_url_declines_and_refunds_the_bet(partner, game, wallet, settings, monkeypatch, protocol):
    # The URL was saved while it pointed outside; now its name answers 127.0.0.1.
    host = f"wallet-{protocol.replace('_', '-')}.rebound.example"
    Partner.objects.filter(pk=partner.pk).update(igsp_hooks_url=f"http://{host}:{wallet.port}/igsp/hooks")
    ExtClient.objects.filter(partner=partner).update(base_url=f"http://{host}:{wallet.port}/adapter")
    partner.refresh_from_db()
    session = new_session(partner, game, protocol)
    map_name(monkeypatch, host)
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(UpstreamUnavailable):
        services.bet_place(session=session, amount=Decimal("3.00"))
    bet = Transaction.objects.get(kind=TxKind.BET)
    assert bet.status == TxStatus.DECLINED
    assert "connection error" in bet.last_error
    assert Transaction.objects.filter(kind=TxKind.REFUND, refunds_id=bet.pk).exists()
    assert wallet.requests == []
