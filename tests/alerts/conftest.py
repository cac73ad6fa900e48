"""Alert tests' fixtures: real local HTTP receivers and partners with an alert webhook and its secret."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tenants import services as tenant_services
from tenants.models import CredentialPurpose


@pytest.fixture
def hook_server():
    """Make real local HTTP receivers; ``delay``: seconds each one sleeps before it answers (a hanging webhook)."""
    made = []

    def make(delay: float = 0.0):
        got: list[tuple[float, dict, bytes]] = []
        release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got.append((time.monotonic(), dict(self.headers), body))
                release.wait(delay)
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append((server, release))
        return f"http://127.0.0.1:{server.server_address[1]}/alerts", got

    yield make
    for server, release in made:
        release.set()
        server.shutdown()
        server.server_close()


def alert_partner(name: str, url: str, django_user_model=None):
    result = tenant_services.partner_onboard(
        name=name,
        actor="test",
        igsp=True,
        public_api=True,
        igsp_hooks_url="http://127.0.0.1:9/hooks",
        ext_clients=[{"ext_cid": f"ext-{uuid.uuid4().hex[:8]}", "base_url": "http://127.0.0.1:9/adapter"}],
    )
    manager = None
    if django_user_model is not None:
        manager = django_user_model.objects.create_user(
            username=f"am-{result.partner.slug}", email=f"am@{result.partner.slug}.example", is_staff=True
        )
    partner = tenant_services.partner_update(
        partner=result.partner, actor="test", alert_webhook_url=url, account_manager=manager
    )
    alert_key = tenant_services.credential_issue(partner=partner, purpose=CredentialPurpose.ALERT_WEBHOOK, actor="t")
    return partner, result.credentials, alert_key.secret
