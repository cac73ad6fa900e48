"""In a real browser: only a partner's configured site can embed its game page, and only it hears the game's events.

The casino pages are served by small HTTP servers on other loopback origins (``http://127.0.0.1:<port>``, not the
hub's ``http://localhost:<port>``), so Chromium enforces the hub's frame-ancestors and the game's postMessage
target origins exactly as it would for https://casino.example.
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tenants import services as tenant_services
from wallet import services as wallet_services

from .conftest import needs_chromium

pytestmark = needs_chromium

HOST_PAGE = """<!doctype html><html><body>
<script>
  window.received = [];
  window.addEventListener("message", (e) => window.received.push({origin: e.origin, type: e.data && e.data.type}));
</script>
<iframe id="game" src="SRC" width="800" height="600"></iframe>
</body></html>"""


@contextmanager
def casino_site():
    """A casino's web server on its own loopback origin; ``site.embed = url`` sets the game page it embeds."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = HOST_PAGE.replace("SRC", server.embed).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.embed = "about:blank"
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def launch_url(hub, partner, games_catalog) -> str:
    created = wallet_services.session_create(
        protocol="igsp",
        game=games_catalog["traderhero-jackpot"],
        player_id="p",
        currency="USD",
        partner=partner,
        partner_session_ref=f"ref-{uuid.uuid4().hex[:8]}",
        is_demo=True,
        demo_balance=100,
    )
    return f"{hub.url}/launch/{created.session.pk}#key={created.key}"


def open_casino(chromium, site, src: str):
    site.embed = src
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{site.origin}/casino")
    return page, context


def game_loaded(page) -> bool:
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        frame = next((f for f in page.frames if "/launch/" in f.url), None)
        if (
            frame is not None
            and frame.evaluate("() => document.querySelector('[data-testid=balance]')?.dataset.amount || ''")
            == "100.00"
        ):
            return True
        if any(f.url.startswith("chrome-error:") for f in page.frames):
            return False
        time.sleep(0.1)
    return False


def received(page, *, until_ready: bool) -> list[dict]:
    deadline = time.monotonic() + (8 if until_ready else 2)
    while time.monotonic() < deadline:
        got = page.evaluate("window.received")
        if until_ready and any(m["type"] == "igsp:ready" for m in got):
            return got
        time.sleep(0.1)
    return page.evaluate("window.received")


def test_only_the_partners_configured_site_embeds_the_game_and_hears_it(chromium, hub, games_catalog, igsp_partner):
    with casino_site() as casino, casino_site() as other:
        tenant_services.partner_update(partner=igsp_partner, actor="am", frame_origins=[casino.origin])

        page, context = open_casino(chromium, casino, launch_url(hub, igsp_partner, games_catalog))
        try:
            assert game_loaded(page), "the configured casino site embeds the game page"
            messages = received(page, until_ready=True)
            assert "igsp:ready" in {m["type"] for m in messages}
            assert {m["origin"] for m in messages} == {hub.url}
        finally:
            context.close()

        page, context = open_casino(chromium, other, launch_url(hub, igsp_partner, games_catalog))
        try:
            assert not game_loaded(page), "another site cannot embed the partner's game page"
            assert received(page, until_ready=False) == []
        finally:
            context.close()


def test_a_partner_without_configured_sites_is_embedded_by_no_other_site(chromium, hub, games_catalog, public_partner):
    with casino_site() as casino:
        page, context = open_casino(chromium, casino, launch_url(hub, public_partner, games_catalog))
        try:
            assert not game_loaded(page)
            assert received(page, until_ready=False) == []
        finally:
            context.close()
