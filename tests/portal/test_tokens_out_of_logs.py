"""No bearer token in any log line: a real gunicorn started with the hub's own settings
(``config/gunicorn.py``) serves the portal's magic link and a round-details link; its access log (and error
log) is read afterwards and holds neither token. The portal link carries its token in the URL fragment, which
never reaches a server: the page posts it once for a session cookie."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings

from core.logging import redact_text
from portal import services as portal_services
from tests.integration_hub.test_replay import _database_url, _free_port
from wallet.round_links import round_details_link, round_details_token

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


class Gunicorn:
    """The hub under gunicorn with ``-c config/gunicorn.py`` (its access log format and logger class)."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": _database_url(),
                "CELERY_BROKER_URL": "memory://",
                "HUB_PORT": str(self.port),
                "HUB_WEB_WORKERS": "1",
                "HUB_WEB_THREADS": "2",
                "HUB_PUBLIC_URL": self.url,
            }
        )
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(gunicorn), "-c", "config/gunicorn.py", "config.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                pytest.fail(f"gunicorn did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def open_like_a_browser(client: httpx.Client, url: str) -> httpx.Response:
    """What a browser does with the link: it requests the URL without its fragment; the page (its script, or
    the form a user without scripts fills in) posts the fragment's token with the page's CSRF token."""
    parts = urlsplit(url)
    page = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    if page.status_code != 200 or not parts.fragment:
        return page
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return client.post(parts.path, data={"csrfmiddlewaretoken": csrf, "token": parts.fragment})


@pytest.mark.slow
def test_no_portal_or_round_token_in_the_logs_of_a_real_gunicorn(igsp_partner, tmp_path, settings):
    issued = portal_services.portal_link_issue(partner=igsp_partner, actor="test", days=90, label="dev")
    assert issued.token not in urlsplit(issued.url).path + urlsplit(issued.url).query  # never sent to a server
    path = urlsplit(round_details_link(uuid.uuid4()).url).path
    round_token = path.rsplit("/", 1)[-1]
    log_path = tmp_path / "gunicorn.log"

    with Gunicorn(log_path) as hub, httpx.Client(base_url=hub.url, timeout=10) as client:
        entered = open_like_a_browser(client, issued.url.replace(settings.HUB_PUBLIC_URL, hub.url))
        assert entered.status_code == 302
        assert entered.headers["location"].endswith("/portal/")
        assert client.get("/portal/").status_code == 200
        # A link in the old shape (the token in the path) is refused without opening anything, and not logged.
        legacy = httpx.get(f"{hub.url}/portal/enter/{issued.token}", timeout=10)
        assert legacy.status_code in (403, 410)
        assert "portal-partner" not in legacy.text
        # The round-details link keeps its token in the path (it is short-lived): the log redacts it.
        assert httpx.get(f"{hub.url}{path}", timeout=10).status_code == 410  # no such round
        assert httpx.get(f"{hub.url}{path}x", timeout=10).status_code == 410  # a forged one

    log = log_path.read_text()
    assert "/portal/enter" in log
    assert "/rounds/" in log
    assert " 410 " in log  # the requests were logged…
    secrets = [issued.token, issued.token[len("hub_portal_") :], round_token, round_token.rsplit(":", 1)[-1]]
    for secret in secrets:  # …without their tokens
        assert secret not in log, f"token in the log: {[line for line in log.splitlines() if secret in line]}"


def test_the_log_filter_redacts_portal_and_round_tokens():
    portal = "hub_portal_" + "a" * 43  # all lower case: not caught by the key-shape rule
    line = f'127.0.0.1 "GET /portal/enter/{portal} HTTP/1.1" 403 - 3ms'
    assert portal not in redact_text(line)
    assert "/portal/enter/" in redact_text(line)
    token = round_details_token(uuid.uuid4())
    for shown in (token, token.replace(":", "%3A")):
        text = redact_text(f"Gone: /rounds/{shown}?lang=de")
        assert token.rsplit(":", 1)[-1] not in text
        assert "/rounds/" in text
        assert "lang=de" in text
