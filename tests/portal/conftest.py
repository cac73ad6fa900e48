"""Fixtures of the portal, dashboard and alerts tests: two partners wired to the sandbox, with real calls."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from tests.conftest import wire_partner
from tests.wallet.test_policies import new_session
from wallet import delivery, services


def play(wired, game, *, player="p-1", protocol="igsp", bets=2, win="3.00"):
    """Real HTTP to the sandbox: a balance call, ``bets`` bets, one win delivered by the pump."""
    session = new_session(wired, game, protocol, player=player)
    services.session_balance(session=session)
    rounds = [services.bet_place(session=session, amount=Decimal("1.00")).round for _ in range(bets)]
    win_tx = services.win_record(round=rounds[0], amount=Decimal(win))
    delivery.deliver(win_tx.pk)  # one attempt, as the pump would make it
    return session, rounds, win_tx


@pytest.fixture
def two_partners(sandbox, live_hub, transactional_db, monkeypatch):
    from wallet import tasks

    monkeypatch.setattr(tasks.deliver_partner, "delay", lambda *a: None)  # the tests deliver themselves
    return wire_partner(sandbox, live_hub), wire_partner(sandbox, live_hub)


def portal_enter(client: httpx.Client, url: str) -> httpx.Response:
    """What a browser does with a magic link ``…/portal/enter#<token>``: it requests the page without the
    fragment, and the page posts the fragment's token with its CSRF token."""
    path, _, token = ("/" + url.split("://", 1)[1].split("/", 1)[1]).partition("#")
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return client.post(path, data={"csrfmiddlewaretoken": csrf, "token": token})


def portal_client(live_hub, url: str) -> httpx.Client:
    """A browser-like client that opened ``url`` (a magic link) and keeps the session cookie."""
    client = httpx.Client(base_url=live_hub.url, follow_redirects=False, timeout=10)
    response = portal_enter(client, url)
    assert response.status_code == 302
    assert response.headers["location"].endswith("/portal/")
    return client


def portal_refused(live_hub, token: str) -> int:
    """The status a fresh browser gets when it opens the magic link of ``token``."""
    with httpx.Client(base_url=live_hub.url, follow_redirects=False, timeout=10) as client:
        return portal_enter(client, f"{live_hub.url}/portal/enter#{token}").status_code
