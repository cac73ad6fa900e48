"""Games admin: catalog editing with soft delete, market actions through the services, read-only lists."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog.models import Game
from games import catalog
from games.models import JackpotRound, Market, MarketEvent, MarketStatus
from games.traderhero import services

from .factories import make_market, open_position

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw")
    client.force_login(user)
    return client


def url(model: str, view: str, *args) -> str:
    app = "catalog" if model in ("provider", "game") else "games"
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def run_action(client, model: str, action: str, pks) -> list[str]:
    response = client.post(
        url(model, "changelist"), {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_changelists_and_change_pages_render(admin_client):
    market = make_market()
    position = open_position(market)
    rnd = services.jackpot_round_open(
        session_id=uuid.uuid4(), round_id=uuid.uuid4(), direction="up", stake=Decimal("1"), currency="USD"
    )
    for model in ("provider", "game", "market", "marketevent", "position", "jackpotround"):
        assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url("game", "change", catalog.TRADERHERO_JACKPOT_ID)).status_code == 200
    assert admin_client.get(url("market", "change", market.pk)).status_code == 200
    assert admin_client.get(url("position", "change", position.pk)).status_code == 200
    page = admin_client.get(url("jackpotround", "change", rnd.pk)).content.decode()
    assert rnd.server_seed not in page
    assert "hidden until the round is settled" in page
    assert rnd.server_seed_hash in page


def test_positions_and_rounds_are_read_only(admin_client):
    position = open_position(make_market())
    assert admin_client.get(url("position", "add")).status_code == 403
    response = admin_client.post(url("position", "change", position.pk), {"stake": "999"})
    assert response.status_code == 403
    assert admin_client.post(url("position", "delete", position.pk), {"post": "yes"}).status_code == 403
    assert admin_client.get(url("jackpotround", "add")).status_code == 403


def test_game_soft_delete_and_restore_actions(admin_client):
    messages = run_action(admin_client, "game", "soft_delete", [catalog.PREDICTION_MARKETS_ID])
    assert "hidden" in messages[0]
    assert Game.objects.get(pk=catalog.PREDICTION_MARKETS_ID).deleted_at is not None
    run_action(admin_client, "game", "restore", [catalog.PREDICTION_MARKETS_ID])
    assert Game.objects.get(pk=catalog.PREDICTION_MARKETS_ID).deleted_at is None
    assert admin_client.post(url("game", "delete", catalog.PREDICTION_MARKETS_ID), {"post": "yes"}).status_code == 403


@pytest.fixture
def queued(monkeypatch):
    from games import tasks

    sent = []
    monkeypatch.setattr(tasks.settle_market, "delay", lambda *args: sent.append(args))
    return sent


def test_market_actions_call_the_services_and_queue_settlements(
    admin_client, queued, django_capture_on_commit_callbacks
):
    market = make_market()
    open_position(market, outcome="NO", stake="4.00")
    assert "suspended" in run_action(admin_client, "market", "suspend", [market.pk])[0]
    assert Market.objects.get(pk=market.pk).status == MarketStatus.SUSPENDED
    # A refused transition is an error message, not a 500.
    assert "Cannot suspend" in run_action(admin_client, "market", "suspend", [market.pk])[0]
    with django_capture_on_commit_callbacks(execute=True):
        messages = run_action(admin_client, "market", "resolve_no", [market.pk])
    assert "resolve queued" in messages[0]
    assert "1 open position" in messages[0]
    assert queued == [(str(market.pk), "resolve", "NO", "admin:root@example.com")]
    assert Market.objects.get(pk=market.pk).status == MarketStatus.SUSPENDED  # the worker settles it


@pytest.mark.parametrize(
    ("action", "expected"),
    [("cancel", ("cancel", None)), ("void", ("void", None)), ("resolve_yes", ("resolve", "YES"))],
)
def test_market_settling_actions_queue_the_settlement(
    admin_client, queued, django_capture_on_commit_callbacks, action, expected
):
    market = make_market()
    open_position(market, stake="2.50")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, "market", action, [market.pk])
    assert [q[1:3] for q in queued] == [expected]


def test_settled_market_cannot_be_settled_again(admin_client, queued):
    market = make_market()
    Market.objects.filter(pk=market.pk).update(status=MarketStatus.RESOLVED)
    assert "cannot void" in run_action(admin_client, "market", "void", [market.pk])[0]
    assert queued == []


def test_resume_action(admin_client):
    market = make_market()
    run_action(admin_client, "market", "suspend", [market.pk])
    run_action(admin_client, "market", "resume", [market.pk])
    assert Market.objects.get(pk=market.pk).status == MarketStatus.OPEN


def test_market_add_and_edit_go_through_services(admin_client):
    response = admin_client.post(
        url("market", "add"),
        {
            "title": "Will it snow?",
            "description": "",
            "close_at_0": "2099-01-01",
            "close_at_1": "12:00:00",
            "b": "250",
            "q_yes": "0",
            "q_no": "10",
        },
    )
    assert response.status_code == 302
    market = Market.objects.get(title="Will it snow?")
    assert (market.b, market.q_no) == (Decimal("250"), Decimal("10"))
    assert MarketEvent.objects.filter(market=market, action="create", actor="admin:root@example.com").exists()
    response = admin_client.post(
        url("market", "change", market.pk),
        {
            "title": "Will it snow in May?",
            "description": "x",
            "close_at_0": "2099-01-02",
            "close_at_1": "12:00:00",
        },
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert market.title == "Will it snow in May?"
    assert market.b == Decimal("250")
    assert MarketEvent.objects.filter(market=market, action="update").exists()
    page = admin_client.get(url("market", "change", market.pk)).content.decode()
    assert "Will it snow in May?" in page
    assert "admin:root@example.com" in page
    assert "<td>update</td>" in page


def test_jackpot_round_seed_is_shown_once_settled(admin_client):
    rnd = services.jackpot_round_open(
        session_id=uuid.uuid4(), round_id=uuid.uuid4(), direction="down", stake=Decimal("1"), currency="USD"
    )
    services.jackpot_round_settle(bet_id=rnd.pk, force=True)
    page = admin_client.get(url("jackpotround", "change", rnd.pk)).content.decode()
    assert JackpotRound.objects.get(pk=rnd.pk).server_seed in page


def test_account_managers_see_demo_books_and_positions_apart_from_real_money(
    admin_client, queued, django_capture_on_commit_callbacks
):
    market = make_market()
    open_position(market, outcome="NO", stake="4.00")
    open_position(market, outcome="YES", stake="400.00", demo=True)
    open_position(market, outcome="YES", stake="300.00", demo=True)
    page = admin_client.get(url("market", "change", market.pk)).content.decode()
    assert "<td>USD</td><td>real</td>" in page
    assert "<td>USD</td><td>demo (play money)</td>" in page
    demo_only = admin_client.get(url("position", "changelist") + "?demo__exact=1").content.decode()
    assert "2 positions" in demo_only
    with django_capture_on_commit_callbacks(execute=True):
        messages = run_action(admin_client, "market", "resolve_no", [market.pk])
    assert "1 open position(s) will be paid" in messages[0]
    assert "2 demo position(s)" in messages[0]
